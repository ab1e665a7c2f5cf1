package dev.kiln.server.machine;

import dev.kiln.machine.agent.AgentRegistry;
import dev.kiln.server.KilnHttp;
import dev.kiln.server.ServerTestSupport;
import dev.kiln.server.config.KilnProperties;
import dev.kiln.server.security.KilnPrincipal;
import dev.kiln.server.security.UserAccounts;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.WebSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

/**
 * What a teammate with an editor link can do from a real terminal on a real local machine (in its bubblewrap
 * sandbox): everything in the studio's own home, nothing of the server (its data directory, key, database, process
 * and environment) or of another studio's machine. Also: a stolen agent token cannot take over a machine's
 * connection, viewers open no shells, a studio's terminals are capped, revoking a link ends the shells and jobs its
 * people started, and a deleted studio's machine home goes to the trash.
 *
 * <p>The data directory is under {@code target/}, not {@code /tmp} (which every sandbox replaces with its own), so
 * the paths tried really exist on this host.
 */
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT)
class MachineSandboxIT {
    static Path dataDir;

    @BeforeAll
    static void sandboxAvailable() {
        assertThat(System.getenv("CI") == null || Files.isExecutable(Path.of("/usr/bin/bwrap")))
                .as("./kiln test installs bubblewrap").isTrue();
    }

    @DynamicPropertySource
    static void dataDirectory(DynamicPropertyRegistry registry) throws Exception {
        dataDir = Files.createTempDirectory(Files.createDirectories(Path.of("target")), "sandbox-it-").toAbsolutePath();
        registry.add("kiln.data-dir", dataDir::toString);
        registry.add("kiln.admin-password", () -> "admin-password-for-tests");
        registry.add("kiln.machine.local.sandbox", () -> "on");
    }

    @LocalServerPort
    int port;
    @Autowired
    UserAccounts accounts;
    @Autowired
    KilnProperties properties;
    @Autowired
    dev.kiln.machine.local.LocalProcessBackend backend;
    @Autowired
    AgentRegistry agents;

    KilnHttp owner;
    String studioId;

    String base() {
        return "http://localhost:" + port;
    }

    @BeforeEach
    void studio() {
        KilnPrincipal user = ServerTestSupport.newUser(accounts, "Sandy Owner");
        owner = KilnHttp.signIn(base(), user.getUsername(), "password-" + user.getUsername());
        studioId = owner.postJson("/api/studios", "{\"name\":\"Sandboxed\"}").path("id").asString();
    }

    KilnHttp teammate(String role) {
        String token = owner.postJson("/api/studios/" + studioId + "/links", "{\"role\":\"" + role + "\"}")
                .path("token").asString();
        var user = ServerTestSupport.newUser(accounts, "Ted Teammate");
        var session = KilnHttp.signIn(base(), user.getUsername(), "password-" + user.getUsername());
        session.postJson("/api/studios/joined/" + token, "{}");
        return session;
    }

    /** Runs a command line in the terminal and returns what it printed up to its end marker. */
    static String run(LocalMachineIT.TerminalClient terminal, String command) throws Exception {
        String marker = "done-" + System.nanoTime();
        int from = terminal.screen().length();
        terminal.send(KilnHttp.JSON.createObjectNode().put("type", "input")
                .put("data", command + "\recho " + marker.substring(0, 5) + "''" + marker.substring(5) + "\r").toString());
        await().atMost(Duration.ofSeconds(20)).until(() -> terminal.screen().indexOf(marker, from) >= 0);
        String screen = terminal.screen();
        return screen.substring(from, screen.indexOf(marker, from));
    }

    @Test
    void anEditorsTerminalSeesItsHomeButNothingOfTheServerOrOtherStudios() throws Exception {
        // Another studio with a machine and a private file in its home.
        String other = owner.postJson("/api/studios", "{\"name\":\"Other\"}").path("id").asString();
        owner.startMachine(other, "local-1");
        Path otherHome = dataDir.resolve("machines").resolve(other).resolve("home");
        Files.writeString(otherHome.resolve("private.txt"), "another studio's secret");

        owner.startMachine(studioId, "local-1");
        var editor = teammate("editor");
        var terminal = LocalMachineIT.TerminalClient.open(port, editor, studioId);
        terminal.send("{\"type\":\"resize\",\"cols\":200,\"rows\":50}");

        assertThat(run(terminal, "echo x > ~/mine.txt && cat ~/mine.txt && pwd")).contains("x").contains("/home/kiln");
        Path key = dataDir.resolve("secret.key");
        assertThat(key).as("the server has its key").exists();
        assertThat(java.nio.file.attribute.PosixFilePermissions.toString(Files.getPosixFilePermissions(dataDir)))
                .as("the data directory is the server's alone").isEqualTo("rwx------");
        String attempts = run(terminal, String.join("; ",
                "cat " + key + " || echo no-key",
                "ls " + dataDir.resolve("db") + " || echo no-db",
                "cat " + otherHome.resolve("private.txt") + " || echo no-other-home",
                "ls " + dataDir.resolve("workspaces") + " || echo no-workspaces",
                "cat /proc/" + ProcessHandle.current().pid() + "/environ || echo no-server-environ",
                "cat /proc/*/environ | tr '\\0' '\\n' | grep -c KILN_AGENT_TOKEN",
                "ls /proc | grep -c '^[0-9]'",
                "id -u"));
        assertThat(attempts).contains("no-key", "no-db", "no-other-home", "no-workspaces", "no-server-environ")
                .doesNotContain("another studio's secret");
        assertThat(Files.readString(key)).isNotBlank();
        assertThat(attempts).doesNotContain(Files.readString(key).strip());

        // The environment is an allowlist: nothing of the server's own variables.
        String env = run(terminal, "env");
        for (var variable : System.getenv().entrySet()) {
            if (!Set.of("PATH", "LANG", "TZ", "JAVA_HOME", "TERM", "SHELL", "SHLVL", "PWD", "OLDPWD", "_")
                    .contains(variable.getKey()) && variable.getValue().length() > 2) {
                assertThat(env).as("the server's %s", variable.getKey())
                        .doesNotContain(variable.getKey() + "=" + variable.getValue());
            }
        }
        assertThat(env).contains("HOME=/home/kiln").doesNotContain("KILN_AGENT_TOKEN");
        terminal.close();
    }

    @Test
    void aSecondConnectionWithAMachinesTokenIsRefusedAndTheFirstKeepsWorking() throws Exception {
        owner.startMachine(studioId, "local-1");
        long generation = KilnHttp.JSON.readTree(Files.readString(dataDir.resolve("machines").resolve(studioId)
                .resolve("machine.json"))).path("lastGeneration").asLong();
        // Another token for the same machine: what a stolen one would be.
        String stolen = agents.issue(studioId, generation);
        var client = HttpClient.newHttpClient();
        assertThatThrownBy(() -> client.newWebSocketBuilder().header("Authorization", "Bearer " + stolen)
                .buildAsync(URI.create("ws://localhost:" + port + "/agent"), new WebSocket.Listener() { })
                .get(10, TimeUnit.SECONDS)).hasRootCauseMessage("Unexpected HTTP response status code 409");
        // The real agent still serves the studio.
        var terminal = LocalMachineIT.TerminalClient.open(port, owner, studioId);
        assertThat(run(terminal, "echo still-$((40+2))")).contains("still-42");
        terminal.close();
    }

    @Test
    void viewersOpenNoShellsAndAStudioHasAtMostEightTerminals() throws Exception {
        owner.startMachine(studioId, "local-1");
        var viewer = teammate("viewer");
        var watching = LocalMachineIT.TerminalClient.open(port, viewer, studioId, "watch");
        watching.send("{\"type\":\"resize\",\"cols\":100,\"rows\":30}");
        watching.send("{\"type\":\"resize\",\"cols\":101,\"rows\":30}");
        watching.send("{\"type\":\"input\",\"data\":\"touch ~/from-viewer\\r\"}");
        Thread.sleep(1500); // a shell, had one been opened, would be up by now
        assertThat(shells()).as("no shell for a viewer").isZero();
        assertThat(dataDir.resolve("machines").resolve(studioId).resolve("home/from-viewer")).doesNotExist();

        var open = new java.util.ArrayList<LocalMachineIT.TerminalClient>();
        for (int i = 1; i <= 7; i++) {
            open.add(LocalMachineIT.TerminalClient.open(port, owner, studioId, "t" + i));
        }
        assertThatThrownBy(() -> LocalMachineIT.TerminalClient.open(port, viewer, studioId, "one-too-many"))
                .hasRootCauseMessage("Unexpected HTTP response status code 409");
        open.forEach(LocalMachineIT.TerminalClient::close);
        watching.close();
    }

    @Test
    void revokingALinkEndsTheShellsItsPeopleTypedInAndWhatTheyStartedThere() throws Exception {
        owner.startMachine(studioId, "local-1");
        var editor = teammate("editor");
        var theirs = LocalMachineIT.TerminalClient.open(port, editor, studioId);
        theirs.send("{\"type\":\"resize\",\"cols\":120,\"rows\":30}");
        run(theirs, "nohup sleep 4242 > /dev/null 2>&1 &");
        await().atMost(Duration.ofSeconds(5)).until(() -> processesRunning("4242") == 1);
        var mine = LocalMachineIT.TerminalClient.open(port, owner, studioId);
        String links = owner.get("/api/studios/" + studioId + "/links").body();
        String token = KilnHttp.JSON.readTree(links).get(0).path("token").asString();

        assertThat(owner.delete("/api/studios/" + studioId + "/links/" + token)).isEqualTo(204);
        await().atMost(Duration.ofSeconds(5)).until(() -> processesRunning("4242") == 0);
        await().atMost(Duration.ofSeconds(5)).until(() -> mine.screen().contains("this shell was ended"));
        // The owner's next key opens a fresh shell.
        assertThat(run(mine, "echo fresh-$((1+1))")).contains("fresh-2");
        mine.close();
    }

    @Test
    void aDeletedStudiosMachineHomeGoesToTheTrash() throws Exception {
        owner.startMachine(studioId, "local-1");
        Path home = dataDir.resolve("machines").resolve(studioId).resolve("home");
        Files.writeString(home.resolve("checkpoint.bin"), "weights");
        assertThat(owner.delete("/api/studios/" + studioId)).isEqualTo(204);
        await().atMost(Duration.ofSeconds(30)).until(() -> !Files.exists(home));
        try (var trash = Files.list(dataDir.resolve("trash"))) {
            assertThat(trash.filter(p -> p.getFileName().toString().startsWith(studioId + "-machine-"))
                    .map(p -> p.resolve("home/checkpoint.bin")).filter(Files::exists).count()).isEqualTo(1);
        }
    }

    /** Bash shells running on the studio's machine. */
    long shells() {
        return backend.processes(studioId).stream().flatMap(ProcessHandle::descendants)
                .filter(p -> p.info().command().map(c -> c.endsWith("/bash") || c.endsWith("/sh")).orElse(false))
                .count();
    }

    long processesRunning(String argument) {
        return backend.processes(studioId).stream().flatMap(ProcessHandle::descendants)
                .filter(p -> p.info().arguments().map(a -> List.of(a).contains(argument)).orElse(false)).count();
    }
}
