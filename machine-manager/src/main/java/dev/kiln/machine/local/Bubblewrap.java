package dev.kiln.machine.local;

import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.jar.JarFile;
import java.util.stream.Stream;

/**
 * Local machines in a bubblewrap ({@code bwrap}) sandbox. A machine's processes see:
 * <ul>
 *   <li>its home directory as {@value #HOME} (read-write), a private {@code /tmp}, {@code /dev/shm} and {@code /dev};</li>
 *   <li>the system ({@code /usr}, {@code /etc}, {@code /opt}, {@code /sys}) and the JDK, read-only;</li>
 *   <li>the jars of Kiln's agent and training runtime, read-only, each at its own path (and nothing else of the
 *       server's installation: not its data directory, not other machines' homes);</li>
 *   <li>only their own processes (a PID namespace), with a {@code /proc} of their own.</li>
 * </ul>
 * The network is the host's: agents dial the server on loopback, and jobs reach the internet.
 *
 * <p>When the server runs as root, bwrap (as root) builds the mounts and each studio's machine then runs as a user of
 * its own ({@link MachineUids}) with no capabilities and no way to gain any ({@code setpriv --no-new-privs}), so it
 * cannot read root's files even where a path leads there. As any other user, bwrap runs unprivileged in a user
 * namespace and the machine keeps the server's user id; the mount namespace alone hides the server's files.
 */
public final class Bubblewrap implements MachineSandbox {
    /** The home as the machine sees it: the same path as on a Kubernetes pod. */
    public static final String HOME = "/home/kiln";
    static final String USER = "kiln";

    /** Everything a sandbox command is made of: for the pure {@link #command} (tested as a whole list). */
    record Layout(Path bwrap, Path setpriv, Integer uid, Path home, Path passwd, Path group, List<Path> system,
                  List<Path> symlinks, List<Path> readOnly, List<Path> devices, List<String> command) {}

    private final Path bwrap;
    private final Path setpriv;
    private final MachineUids uids;
    private final List<Path> readOnly;

    Bubblewrap(Path bwrap, Path setpriv, MachineUids uids, List<Path> readOnly) {
        this.bwrap = bwrap;
        this.setpriv = setpriv;
        this.uids = uids;
        this.readOnly = List.copyOf(readOnly);
    }

    /** For this server process, root or not: the machines see its JDK and the runtime they run from. */
    static Bubblewrap forThisHost(Path machinesDir, AgentRuntime runtime) {
        var readOnly = new ArrayList<Path>();
        readOnly.add(Path.of(System.getProperty("java.home")));
        readOnly.addAll(runtime.classpath());
        return new Bubblewrap(find("bwrap"), isRoot() ? find("setpriv") : null,
                isRoot() ? new MachineUids(machinesDir) : null, readOnly);
    }

    @Override
    public String unsandboxedReason() {
        return null;
    }

    @Override
    public String homeInside(Machine machine) {
        return HOME;
    }

    @Override
    public List<String> wrap(Machine machine) throws IOException {
        Integer uid = uids == null ? null : uids.uidOf(machine.studioId());
        int shown = uid != null ? uid : currentUid();
        if (uid != null) {
            MachineUids.own(machine.home(), uid);
        }
        Path files = Files.createDirectories(machine.dir().resolve("sandbox"));
        Path passwd = files.resolve("passwd");
        Path group = files.resolve("group");
        // Who the machine's user is, for shells, git and ssh: no host accounts are visible.
        Files.writeString(passwd, "root:x:0:0:root:/root:/usr/sbin/nologin\n" + USER + ":x:" + shown + ":" + shown
                + ":Kiln machine:" + HOME + ":/bin/bash\nnobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin\n");
        Files.writeString(group, "root:x:0:\n" + USER + ":x:" + shown + ":\nnogroup:x:65534:\n");
        var system = new ArrayList<Path>();
        var symlinks = new ArrayList<Path>();
        for (String top : List.of("/usr", "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32", "/etc", "/opt", "/sys")) {
            Path path = Path.of(top);
            if (Files.isSymbolicLink(path)) {
                symlinks.add(path);
            } else if (Files.isDirectory(path)) {
                system.add(path);
            }
        }
        return command(new Layout(bwrap, setpriv, uid, machine.home(), passwd, group, system, symlinks, readOnly,
                gpuDevices(), machine.command()));
    }

    /** The bwrap command line for a layout: a pure function. */
    static List<String> command(Layout layout) throws IOException {
        var args = new ArrayList<String>();
        args.add(layout.bwrap().toString());
        args.addAll(List.of("--unshare-pid", "--unshare-ipc", "--unshare-uts", "--unshare-cgroup-try",
                "--hostname", "kiln-machine", "--new-session"));
        if (layout.uid() == null) {
            args.add("--unshare-user"); // unprivileged: the mounts are made in a user namespace of our own
        }
        for (Path path : layout.system()) {
            args.addAll(List.of("--ro-bind", path.toString(), path.toString()));
        }
        for (Path link : layout.symlinks()) {
            args.addAll(List.of("--symlink", Files.readSymbolicLink(link).toString(), link.toString()));
        }
        args.addAll(List.of("--ro-bind", layout.passwd().toString(), "/etc/passwd",
                "--ro-bind", layout.group().toString(), "/etc/group",
                // A resolv.conf that points into /run (systemd-resolved) still resolves.
                "--ro-bind-try", "/run/systemd/resolve", "/run/systemd/resolve",
                "--proc", "/proc", "--dev", "/dev",
                // Writable by everyone, as on any host (bwrap's default 0755 would leave them to root).
                "--perms", "1777", "--tmpfs", "/dev/shm", "--perms", "1777", "--tmpfs", "/tmp",
                "--perms", "1777", "--tmpfs", "/var/tmp"));
        for (Path device : layout.devices()) {
            args.addAll(List.of("--dev-bind-try", device.toString(), device.toString()));
        }
        // What the system binds hold already (a JDK under /usr) needs no bind of its own.
        var binds = layout.readOnly().stream().filter(p -> layout.system().stream().noneMatch(p::startsWith)).toList();
        // bwrap makes missing parent directories private (0700), which the machine's user could not pass through.
        var parents = new java.util.TreeSet<Path>(java.util.Comparator.comparingInt(Path::getNameCount)
                .thenComparing(Path::toString));
        for (Path path : binds) {
            for (Path parent = path.getParent(); parent != null && parent.getNameCount() > 0; parent = parent.getParent()) {
                parents.add(parent);
            }
        }
        parents.add(Path.of(HOME).getParent());
        for (Path parent : parents) {
            args.addAll(List.of("--perms", "0755", "--dir", parent.toString()));
        }
        for (Path path : binds) {
            args.addAll(List.of("--ro-bind", path.toString(), path.toString()));
        }
        args.addAll(List.of("--bind", layout.home().toString(), HOME, "--chdir", HOME, "--"));
        if (layout.uid() != null) {
            // Root built the sandbox; the machine itself runs as its own user with no capabilities, for good.
            args.addAll(List.of(layout.setpriv().toString(), "--reuid=" + layout.uid(), "--regid=" + layout.uid(),
                    "--clear-groups", "--inh-caps=-all", "--bounding-set=-all", "--no-new-privs", "--"));
        }
        args.addAll(layout.command());
        return args;
    }

    /**
     * Null when a sandbox can be made on this host; else why not, in words. Runs a trivial sandbox once, so a
     * kernel without user namespaces (or a container that forbids them) is found at start, not at a user's click.
     */
    static String probe(Path machinesDir) {
        Path bwrap = find("bwrap");
        if (bwrap == null) {
            return "bubblewrap (bwrap) is not installed";
        }
        if (isRoot() && find("setpriv") == null) {
            return "setpriv (util-linux) is not installed";
        }
        try {
            Path scratch = Files.createTempDirectory("kiln-sandbox-probe");
            try {
                var probe = new Bubblewrap(bwrap, find("setpriv"), isRoot() ? new MachineUids(scratch) : null, List.of());
                Path home = Files.createDirectories(scratch.resolve("probe/home"));
                var command = probe.wrap(new Machine("probe", scratch.resolve("probe"), home,
                        List.of("/bin/sh", "-c", "test -w " + HOME + " && test ! -e " + machinesDir.toAbsolutePath())));
                var process = new ProcessBuilder(command).redirectErrorStream(true).start();
                process.getOutputStream().close();
                if (!process.waitFor(20, TimeUnit.SECONDS)) {
                    process.destroyForcibly();
                    return "bwrap did not finish a test sandbox within 20 s";
                }
                String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
                return process.exitValue() == 0 ? null : "bwrap cannot make a sandbox here (exit "
                        + process.exitValue() + (output.isEmpty() ? "" : ": " + output) + ")";
            } finally {
                try (Stream<Path> walk = Files.walk(scratch)) {
                    walk.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
                }
            }
        } catch (IOException e) {
            return "bwrap cannot be run: " + e.getMessage();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return "interrupted while testing bwrap";
        }
    }

    /**
     * The files a classpath needs, to bind read-only: every entry, and for a jar the entries its manifest's
     * {@code Class-Path} names (an extracted Spring Boot jar lists its libraries there).
     */
    static List<Path> classpathFiles(String classpath) {
        Set<Path> files = new LinkedHashSet<>();
        for (String entry : classpath.split(File.pathSeparator)) {
            if (entry.isBlank()) {
                continue;
            }
            Path path = Path.of(entry).toAbsolutePath().normalize();
            if (!Files.exists(path)) {
                continue;
            }
            files.add(path);
            if (Files.isRegularFile(path) && path.toString().endsWith(".jar")) {
                try (var jar = new JarFile(path.toFile())) {
                    var manifest = jar.getManifest();
                    String more = manifest == null ? null : manifest.getMainAttributes().getValue("Class-Path");
                    if (more != null) {
                        for (String ref : more.trim().split("\\s+")) {
                            Path lib = path.getParent().resolve(ref).normalize();
                            if (!ref.isBlank() && Files.exists(lib)) {
                                files.add(lib);
                            }
                        }
                    }
                } catch (IOException ignored) {
                    // not a readable jar: the JVM will say so
                }
            }
        }
        return List.copyOf(files);
    }

    /** NVIDIA's device nodes, so GPU machines see the host's GPUs. */
    private static List<Path> gpuDevices() {
        try (Stream<Path> dev = Files.list(Path.of("/dev"))) {
            return dev.filter(p -> p.getFileName().toString().startsWith("nvidia")).sorted().toList();
        } catch (IOException e) {
            return List.of();
        }
    }

    static boolean isRoot() {
        return currentUid() == 0;
    }

    static int currentUid() {
        return (int) new com.sun.security.auth.module.UnixSystem().getUid();
    }

    private static Path find(String program) {
        for (String dir : (System.getenv().getOrDefault("PATH", "") + ":/usr/bin:/bin:/usr/sbin:/sbin").split(":")) {
            if (!dir.isBlank() && Files.isExecutable(Path.of(dir, program))) {
                return Path.of(dir, program);
            }
        }
        return null;
    }
}
