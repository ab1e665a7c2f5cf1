package dev.kiln.machine.local;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * The sandbox of a local machine: the command line as a whole (a pure function), and a real sandbox on this host
 * (Debian's bubblewrap; {@code ./kiln test} installs it), seen from the inside by a shell.
 */
class BubblewrapTest {
    @TempDir
    Path dir;

    @Test
    void theCommandBindsTheHomeTheSystemAndTheRuntimeReadOnlyAndDropsRoot() throws Exception {
        var layout = new Bubblewrap.Layout(Path.of("/usr/bin/bwrap"), Path.of("/usr/bin/setpriv"), 200_001,
                Path.of("/data/machines/s1/home"), Path.of("/data/machines/s1/sandbox/passwd"),
                Path.of("/data/machines/s1/sandbox/group"), List.of(Path.of("/usr"), Path.of("/etc")), List.of(),
                List.of(Path.of("/opt/jdk"), Path.of("/srv/kiln/lib/kiln.jar"), Path.of("/usr/lib/jvm/jdk")),
                List.of(Path.of("/dev/nvidia0")),
                List.of("/opt/jdk/bin/java", "-cp", "/srv/kiln/lib/kiln.jar", "Agent"));
        assertThat(String.join(" ", Bubblewrap.command(layout))).isEqualTo(String.join(" ",
                "/usr/bin/bwrap --unshare-pid --unshare-ipc --unshare-uts --unshare-cgroup-try --hostname kiln-machine",
                "--new-session --ro-bind /usr /usr --ro-bind /etc /etc",
                "--ro-bind /data/machines/s1/sandbox/passwd /etc/passwd --ro-bind /data/machines/s1/sandbox/group /etc/group",
                "--ro-bind-try /run/systemd/resolve /run/systemd/resolve --proc /proc --dev /dev",
                "--perms 1777 --tmpfs /dev/shm --perms 1777 --tmpfs /tmp --perms 1777 --tmpfs /var/tmp",
                "--dev-bind-try /dev/nvidia0 /dev/nvidia0",
                "--perms 0755 --dir /home --perms 0755 --dir /opt --perms 0755 --dir /srv --perms 0755 --dir /srv/kiln",
                "--perms 0755 --dir /srv/kiln/lib",
                "--ro-bind /opt/jdk /opt/jdk --ro-bind /srv/kiln/lib/kiln.jar /srv/kiln/lib/kiln.jar",
                "--bind /data/machines/s1/home /home/kiln --chdir /home/kiln --",
                "/usr/bin/setpriv --reuid=200001 --regid=200001 --clear-groups --inh-caps=-all --bounding-set=-all",
                "--no-new-privs -- /opt/jdk/bin/java -cp /srv/kiln/lib/kiln.jar Agent"));
    }

    @Test
    void withoutRootTheSandboxMakesItsOwnUserNamespaceAndKeepsTheUser() throws Exception {
        var layout = new Bubblewrap.Layout(Path.of("bwrap"), null, null, Path.of("/h"), Path.of("/p"), Path.of("/g"),
                List.of(), List.of(), List.of(), List.of(), List.of("sh"));
        var command = Bubblewrap.command(layout);
        assertThat(command).contains("--unshare-user").doesNotContain("/usr/bin/setpriv");
        assertThat(command.subList(command.size() - 2, command.size())).containsExactly("--", "sh");
    }

    @Test
    void aMachineSeesItsHomeAndTheSystemButNothingOfTheServer() throws Exception {
        String problem = Bubblewrap.probe(dir);
        requireSandbox(problem);
        Path machines = Files.createDirectories(dir.resolve("machines"));
        Path secret = Files.writeString(dir.resolve("secret.key"), "server secret");
        Path other = Files.createDirectories(machines.resolve("other/home"));
        Files.writeString(other.resolve("private.txt"), "another studio");
        Path home = Files.createDirectories(machines.resolve("s1/home"));
        Files.writeString(home.resolve("mine.txt"), "my file");

        var sandbox = Bubblewrap.forThisHost(machines, AgentRuntime.thisJvm());
        String script = String.join("; ",
                "echo home=$HOME",
                "cat ~/mine.txt && echo",
                "echo x > ~/written.txt && echo wrote-home",
                "echo x > /tmp/t && echo x > /dev/shm/t && echo wrote-tmp",
                "cat " + secret + " 2>&1 || echo no-secret",
                "cat " + other.resolve("private.txt") + " 2>&1 || echo no-other",
                "ls " + machines + " 2>&1 || echo no-machines",
                "echo x > /usr/kiln-test 2>&1 || echo usr-read-only",
                "echo procs=$(ls /proc | grep -c '^[0-9]')",
                "echo uid=$(id -u) user=$(id -un)",
                "env | sort | tr '\\n' ' '");
        var command = sandbox.wrap(new MachineSandbox.Machine("s1", machines.resolve("s1"), home,
                List.of("/bin/sh", "-c", script)));
        var builder = new ProcessBuilder(command).redirectErrorStream(true);
        builder.environment().clear();
        builder.environment().putAll(MachineEnvironment.of(Bubblewrap.HOME, java.util.Map.of()));
        var process = builder.start();
        assertThat(process.waitFor(30, TimeUnit.SECONDS)).isTrue();
        String out = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);

        assertThat(out).contains("home=/home/kiln", "my file", "wrote-home", "no-secret", "no-other", "no-machines",
                "usr-read-only", "wrote-tmp").doesNotContain("server secret").doesNotContain("another studio");
        assertThat(home.resolve("written.txt")).exists();
        int procs = Integer.parseInt(out.replaceAll("(?s).*procs=(\\d+).*", "$1"));
        assertThat(procs).as("only the sandbox's own processes: " + out).isLessThan(8);
        assertThat(out).contains("user=kiln");
        if (Bubblewrap.isRoot()) {
            assertThat(out).as("a server running as root gives machines their own user").contains("uid=" + MachineUids.FIRST);
            assertThat(Files.getAttribute(home, "unix:uid")).isEqualTo(MachineUids.FIRST);
        }
        assertThat(out).doesNotContain("KILN_ADMIN").doesNotContain("AWS_");
    }

    @Test
    void eachStudioKeepsItsOwnUserId() throws Exception {
        var uids = new MachineUids(dir);
        int first = uids.uidOf("a");
        int second = uids.uidOf("b");
        assertThat(first).isEqualTo(MachineUids.FIRST);
        assertThat(second).isEqualTo(MachineUids.FIRST + 1);
        assertThat(new MachineUids(dir).uidOf("a")).as("remembered").isEqualTo(first);
    }

    /** A sandbox is required under CI (./kiln test installs bubblewrap); elsewhere the test says why it skipped. */
    static void requireSandbox(String problem) {
        if (problem != null && "true".equals(System.getenv("CI"))) {
            throw new AssertionError("No sandbox on this CI machine: " + problem);
        }
        assumeTrue(problem == null, () -> "no sandbox here: " + problem);
    }
}
