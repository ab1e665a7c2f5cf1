package dev.kiln.machine.local;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;

/**
 * How a local machine is kept apart from the server and from other studios' machines. The local backend asks it to
 * wrap the agent's command; everything the agent starts (shells, jobs, compilers) stays inside.
 *
 * <p>{@link Bubblewrap} is the real thing (Debian's {@code bwrap}): the machine sees its own home as {@code ~}, a
 * read-only system and JDK, Kiln's runtime jars, a private {@code /tmp} and only its own processes. {@link None} runs
 * the agent as a plain process of the server's user: used only where no sandbox can be made, or where an admin turned
 * it off for a single-user install; the server then lets only a studio's owner use its terminal and jobs.
 */
public sealed interface MachineSandbox permits Bubblewrap, MachineSandbox.None {

    /** Where a studio's machine lives on this host, and what it runs. */
    record Machine(String studioId, Path dir, Path home, List<String> command) {}

    /** Null when machines are sandboxed; else the sentence a person reads at start and in the machine dialog. */
    String unsandboxedReason();

    /** The command that starts {@code machine.command()} inside the sandbox (preparing the files it needs). */
    List<String> wrap(Machine machine) throws IOException;

    /** The machine's home as its own processes see it ({@code HOME}). */
    String homeInside(Machine machine);

    /** No sandbox: the agent runs as the server's user, in its home directory on this host. */
    record None(String unsandboxedReason) implements MachineSandbox {
        public None {
            if (unsandboxedReason == null || unsandboxedReason.isBlank()) {
                throw new IllegalArgumentException("say why machines are not sandboxed");
            }
        }

        @Override
        public List<String> wrap(Machine machine) {
            return machine.command();
        }

        @Override
        public String homeInside(Machine machine) {
            return machine.home().toString();
        }
    }

    /**
     * The sandbox for {@code kiln.machine.local.sandbox}: {@code auto} (bubblewrap where it works, else none, said
     * plainly), {@code on} (bubblewrap or refuse to start), {@code off} (an explicit single-user opt-out).
     */
    static MachineSandbox forSetting(String setting, Path machinesDir, AgentRuntime runtime) {
        return switch (setting == null || setting.isBlank() ? "auto" : setting.strip().toLowerCase(java.util.Locale.ROOT)) {
            case "off" -> new None("Machines on this computer are not sandboxed (kiln.machine.local.sandbox=off): "
                    + "they run as Kiln's own user, so only a studio's owner may use its terminal and jobs.");
            case "auto", "on" -> {
                String problem = Bubblewrap.probe(machinesDir);
                if (problem == null) {
                    yield Bubblewrap.forThisHost(machinesDir, runtime);
                }
                if ("on".equalsIgnoreCase(setting.strip())) {
                    throw new IllegalStateException("kiln.machine.local.sandbox=on, but " + problem
                            + ". Install bubblewrap (apt-get install bubblewrap) or set kiln.machine.local.sandbox=auto.");
                }
                yield new None("Machines on this computer are not sandboxed (" + problem + "): only a studio's owner "
                        + "may use its terminal and jobs. Install bubblewrap (apt-get install bubblewrap) to sandbox them.");
            }
            default -> throw new IllegalArgumentException("kiln.machine.local.sandbox must be auto, on or off, not '"
                    + setting + "'");
        };
    }
}
