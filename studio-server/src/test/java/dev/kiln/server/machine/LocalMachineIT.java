package dev.kiln.server.machine;

import dev.kiln.machine.protocol.FromMachine;
import dev.kiln.machine.protocol.ToMachine;
import dev.kiln.server.KilnHttp;
import dev.kiln.server.ServerTestSupport;
import dev.kiln.server.config.KilnProperties;
import dev.kiln.server.security.KilnPrincipal;
import dev.kiln.server.security.UserAccounts;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;
import tools.jackson.databind.JsonNode;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.WebSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

/**
 * The local machine backend end to end: real agent processes started by the server dial home over /agent; the
 * studio starts, switches between two local machine types with its files intact, recovers from a killed agent, and
 * stops. Refusals (unknown type, a type this computer cannot run, a second switch, strangers, bad tokens) are clear.
 */
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT)
class LocalMachineIT {

    @DynamicPropertySource
    static void dataDirectory(DynamicPropertyRegistry registry) {
        ServerTestSupport.freshDataDirectory(registry);
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
    MachineChannel channel;

    KilnPrincipal owner;
    KilnHttp session;
    String studioId;

    String base() {
        return "http://localhost:" + port;
    }

    @BeforeEach
    void studio() {
        owner = ServerTestSupport.newUser(accounts, "Mia Machine");
        session = KilnHttp.signIn(base(), owner.getUsername(), "password-" + owner.getUsername());
        studioId = session.postJson("/api/studios", "{\"name\":\"Machines\"}").path("id").asString();
    }

    @AfterEach
    void stop() {
        session.post("/api/studios/" + studioId + "/machine/stop", "{}");
        await().atMost(Duration.ofSeconds(20)).until(() -> agents().isEmpty());
    }

    JsonNode status() {
        return KilnHttp.JSON.readTree(session.get("/api/studios/" + studioId + "/machine").body());
    }

    /** The phases seen while waiting for READY. */
    List<String> awaitReady() {
        var phases = new ArrayList<String>();
        await().atMost(Duration.ofSeconds(45)).pollInterval(Duration.ofMillis(50)).until(() -> {
            String phase = status().path("phase").asString();
            if (phases.isEmpty() || !phases.getLast().equals(phase)) {
                phases.add(phase);
            }
            return phase.equals("READY");
        });
        return phases;
    }

    /** The studio's agent processes, as the backend started them (each is a child of this JVM). */
    List<ProcessHandle> agents() {
        return backend.processes(studioId);
    }

    Path home() {
        return properties.dataDir().resolve("machines").resolve(studioId).resolve("home");
    }

    @Test
    void startSwitchAndStopWithFilesKept() throws Exception {
        JsonNode before = status();
        assertThat(before.path("phase").asString()).isEqualTo("STOPPED");
        assertThat(before.path("types").findValuesAsString("id")).contains("local-1");

        session.postJson("/api/studios/" + studioId + "/machine", "{\"machineType\":\"local-1\"}");
        awaitReady();
        assertThat(agents()).hasSize(1);
        assertThat(agents().getFirst().parent().map(ProcessHandle::pid)).contains(ProcessHandle.current().pid());
        long firstAgent = agents().getFirst().pid();
        Files.writeString(home().resolve("notes.txt"), "keep me");

        var switched = session.postJson("/api/studios/" + studioId + "/machine", "{\"machineType\":\"local-2\"}");
        assertThat(switched.path("switchingFrom").asString()).isEqualTo("local-1");
        List<String> phases = awaitReady();
        assertThat(phases).contains("STARTING_AGENT");
        assertThat(status().path("machineType").asString()).isEqualTo("local-2");
        assertThat(status().path("switchingFrom").isNull() || status().path("switchingFrom").isMissingNode()).isTrue();
        await().atMost(Duration.ofSeconds(15)).until(() -> agents().size() == 1);
        assertThat(agents().getFirst().pid()).as("a new agent process").isNotEqualTo(firstAgent);
        assertThat(Files.readString(home().resolve("notes.txt"))).isEqualTo("keep me");

        session.postJson("/api/studios/" + studioId + "/machine/stop", "{}");
        await().atMost(Duration.ofSeconds(20)).until(() -> status().path("phase").asString().equals("STOPPED"));
        // STOPPED once the agent said it has finished stopping; its process exits a moment later.
        await().atMost(Duration.ofSeconds(10)).until(() -> agents().isEmpty());
        assertThat(home().resolve("notes.txt")).exists();
    }

    @Test
    void aKilledAgentIsReplaced() {
        session.postJson("/api/studios/" + studioId + "/machine", "{\"machineType\":\"local-1\"}");
        awaitReady();
        // The agent's JVM itself (inside its sandbox, below bwrap), as the kernel's OOM killer would pick it.
        ProcessHandle agent = agents().getFirst().descendants()
                .filter(p -> p.info().command().map(c -> c.endsWith("/java")).orElse(false)).findFirst()
                .orElse(agents().getFirst());
        agent.destroyForcibly();
        await().atMost(Duration.ofSeconds(45)).until(() -> agents().size() == 1 && !agent.isAlive()
                && agents().getFirst().descendants().noneMatch(p -> p.pid() == agent.pid())
                && status().path("phase").asString().equals("READY"));
        assertThat(status().path("machineType").asString()).isEqualTo("local-1");
    }

    @Test
    void refusalsAreClear() {
        var unknown = session.post("/api/studios/" + studioId + "/machine", "{\"machineType\":\"a100-80gb\"}");
        assertThat(unknown.statusCode()).isEqualTo(400);
        assertThat(unknown.body()).contains("Unknown machine type 'a100-80gb'").contains("local-1");

        session.postJson("/api/studios/" + studioId + "/machine", "{\"machineType\":\"local-1\"}");
        awaitReady();
        session.postJson("/api/studios/" + studioId + "/machine", "{\"machineType\":\"local-2\"}");
        var second = session.post("/api/studios/" + studioId + "/machine", "{\"machineType\":\"local-1\"}");
        assertThat(second.statusCode()).as(second.body()).isEqualTo(409);
        assertThat(second.body()).contains("already under way");
        awaitReady();

        var stranger = ServerTestSupport.newUser(accounts, "Sam Stranger");
        var theirs = KilnHttp.signIn(base(), stranger.getUsername(), "password-" + stranger.getUsername());
        assertThat(theirs.get("/api/studios/" + studioId + "/machine").statusCode()).isEqualTo(404);
        assertThat(theirs.post("/api/studios/" + studioId + "/machine", "{\"machineType\":\"local-1\"}").statusCode())
                .isEqualTo(404);
    }

    @Test
    void anAgentWithAWrongTokenIsRefused() {
        var client = HttpClient.newHttpClient();
        assertThatThrownBy(() -> client.newWebSocketBuilder().header("Authorization", "Bearer not-a-real-token")
                .buildAsync(URI.create("ws://localhost:" + port + "/agent"), new WebSocket.Listener() {})
                .get(10, TimeUnit.SECONDS)).hasRootCauseMessage("Unexpected HTTP response status code 401");
    }

    @Test
    void deletingTheStudioStopsItsMachine() {
        session.postJson("/api/studios/" + studioId + "/machine", "{\"machineType\":\"local-1\"}");
        awaitReady();
        assertThat(session.delete("/api/studios/" + studioId)).isEqualTo(204);
        await().atMost(Duration.ofSeconds(20)).until(() -> agents().isEmpty());
    }
    @Test
    void theMachineHasTheStudiosFilesAndFollowsEveryCommit() throws Exception {
        session.postJson("/api/studios/" + studioId + "/machine", "{\"machineType\":\"local-1\"}");
        awaitReady();
        Path readme = home().resolve("workspace/README.md");
        JsonNode file = KilnHttp.JSON.readTree(session.get("/api/studios/" + studioId + "/file?path=README.md").body());
        assertThat(Files.readString(readme)).isEqualTo(file.path("text").asString());

        // A tracked file changed on the machine comes back into the studio's files (no side branch any more); a
        // save in the studio reaches the machine; an ignored file made there (a job's output) stays there only.
        Files.writeString(home().resolve("workspace/.gitignore"), "*.csv\n");
        Files.writeString(home().resolve("workspace/output.csv"), "loss\n0.1\n");
        Files.writeString(readme, "changed on the machine\n");
        await().atMost(Duration.ofSeconds(60)).until(() -> KilnHttp.JSON.readTree(session.get("/api/studios/"
                + studioId + "/file?path=README.md").body()).path("text").asString().equals("changed on the machine\n"));
        JsonNode changed = KilnHttp.JSON.readTree(session.get("/api/studios/" + studioId + "/file?path=README.md").body());
        var saved = session.put("/api/studios/" + studioId + "/file?path=README.md", KilnHttp.JSON.createObjectNode()
                .put("text", "# Saved in the studio\n").put("baseVersion", changed.path("version").asString()).toString());
        assertThat(saved.statusCode()).as(saved.body()).isEqualTo(200);
        await().atMost(Duration.ofSeconds(60)).until(() -> Files.readString(readme).equals("# Saved in the studio\n"));
        assertThat(home().resolve("workspace/output.csv")).hasContent("loss\n0.1\n");
        assertThat(session.get("/api/studios/" + studioId + "/file?path=output.csv").statusCode()).isEqualTo(404);
        try (var git = org.eclipse.jgit.api.Git.open(home().resolve("workspace").toFile())) {
            assertThat(git.branchList().call()).noneMatch(ref -> ref.getName().startsWith("refs/heads/machine/"));
        }
    }

    @Test
    void commandsRunOnTheMachineWithTheirOutputStreamedAndCancelStopsThem() throws Exception {
        session.postJson("/api/studios/" + studioId + "/machine", "{\"machineType\":\"local-1\"}");
        awaitReady();
        var output = new StringBuffer();
        var exits = new java.util.concurrent.ConcurrentHashMap<String, FromMachine.Exit>();
        try (var outputs = channel.on(FromMachine.Output.class, (studio, message) -> {
                 if (studio.equals(studioId)) {
                     output.append(message.stream()).append(':').append(message.data());
                 }
             });
             var ends = channel.on(FromMachine.Exit.class, (studio, message) -> {
                 if (studio.equals(studioId)) {
                     exits.put(message.id(), message);
                 }
             })) {
            assertThat(channel.send(studioId, new ToMachine.Exec("c1", List.of("sh", "-c", "ls; echo problem >&2; exit 3"),
                    "workspace", java.util.Map.of()))).isTrue();
            await().atMost(Duration.ofSeconds(10)).until(() -> exits.containsKey("c1"));
            assertThat(exits.get("c1").code()).isEqualTo(3);
            assertThat(output.toString()).contains("stdout:").contains("README.md").contains("stderr:problem");

            channel.send(studioId, new ToMachine.Exec("c2", List.of("sleep", "120"), null, null));
            Thread.sleep(300);
            channel.send(studioId, new ToMachine.Cancel("c2", 2000L));
            await().atMost(Duration.ofSeconds(10)).until(() -> exits.containsKey("c2"));
            assertThat(exits.get("c2").code()).isNotZero();

            channel.send(studioId, new ToMachine.Exec("c3", List.of("no-such-program"), null, null));
            await().atMost(Duration.ofSeconds(10)).until(() -> exits.containsKey("c3"));
            assertThat(exits.get("c3").error()).contains("cannot start no-such-program");
        }
    }

    @Test
    void theTerminalIsARealShellSharedWithEveryoneInTheStudio() throws Exception {
        session.postJson("/api/studios/" + studioId + "/machine", "{\"machineType\":\"local-1\"}");
        awaitReady();
        var first = TerminalClient.open(port, session, studioId);
        first.send("{\"type\":\"resize\",\"cols\":100,\"rows\":30}");
        first.send("{\"type\":\"input\",\"data\":\"echo kiln-$((6*7)); tty; pwd\\r\"}");
        await().atMost(Duration.ofSeconds(15)).until(() -> first.screen().contains("kiln-42"));
        await().atMost(Duration.ofSeconds(5)).until(() -> first.screen().contains("/dev/pts/"));
        assertThat(first.screen()).contains("workspace");

        // A teammate opening the terminal later sees what happened, then both see new output live.
        var second = TerminalClient.open(port, session, studioId);
        await().atMost(Duration.ofSeconds(5)).until(() -> second.screen().contains("kiln-42"));
        second.send("{\"type\":\"input\",\"data\":\"echo from-$((2+3))-second\\r\"}");
        await().atMost(Duration.ofSeconds(10)).until(() -> first.screen().contains("from-5-second"));

        // With a shell open, commands on this one-core machine still stream their output (the shell's reader must
        // not hold the agent's only carrier thread).
        var output = new StringBuffer();
        try (var ignored = channel.on(FromMachine.Output.class, (studio, message) -> {
            if (studio.equals(studioId)) {
                output.append(message.data());
            }
        })) {
            channel.send(studioId, new ToMachine.Exec("beside-terminal", List.of("sh", "-c", "seq 1 20000"), null, null));
            await().atMost(Duration.ofSeconds(10)).until(() -> output.toString().contains("\n20000\n"));
        }

        var stranger = ServerTestSupport.newUser(accounts, "Tess Terminal");
        var theirs = KilnHttp.signIn(base(), stranger.getUsername(), "password-" + stranger.getUsername());
        assertThatThrownBy(() -> TerminalClient.open(port, theirs, studioId)).hasRootCauseMessage(
                "Unexpected HTTP response status code 404");
        first.close();
        second.close();
    }

    @Test
    void revokingAShareLinkClosesTheTeammatesTerminalAtOnce() throws Exception {
        session.postJson("/api/studios/" + studioId + "/machine", "{\"machineType\":\"local-1\"}");
        awaitReady();
        String token = session.postJson("/api/studios/" + studioId + "/links", "{\"role\":\"editor\"}").path("token")
                .asString();
        var teammate = ServerTestSupport.newUser(accounts, "Rae Revoked");
        var theirs = KilnHttp.signIn(base(), teammate.getUsername(), "password-" + teammate.getUsername());
        theirs.postJson("/api/studios/joined/" + token, "{}");
        var terminal = TerminalClient.open(port, theirs, studioId);
        terminal.send("{\"type\":\"input\",\"data\":\"echo before-$((1+1))\\r\"}");
        await().atMost(Duration.ofSeconds(15)).until(() -> terminal.screen().contains("before-2"));

        assertThat(session.delete("/api/studios/" + studioId + "/links/" + token)).isEqualTo(204);
        await().atMost(Duration.ofSeconds(3)).until(() -> terminal.closeCode == 4403);
        assertThatThrownBy(() -> TerminalClient.open(port, theirs, studioId)).hasRootCauseMessage(
                "Unexpected HTTP response status code 404");
    }

    @Test
    void theWorkspaceIsServedOverGitHttpToPeopleWithAccessOnly() throws Exception {
        String url = base() + "/git/" + studioId + ".git";
        var ls = org.eclipse.jgit.api.Git.lsRemoteRepository().setRemote(url).setCredentialsProvider(
                new org.eclipse.jgit.transport.UsernamePasswordCredentialsProvider(owner.getUsername(),
                        "password-" + owner.getUsername()));
        assertThat(ls.call()).anyMatch(ref -> ref.getName().equals("refs/heads/main"));

        var wrongPassword = org.eclipse.jgit.api.Git.lsRemoteRepository().setRemote(url).setCredentialsProvider(
                new org.eclipse.jgit.transport.UsernamePasswordCredentialsProvider(owner.getUsername(), "nope"));
        assertThatThrownBy(wrongPassword::call).hasMessageContaining("not authorized");

        var stranger = ServerTestSupport.newUser(accounts, "Gil Git");
        var strangers = org.eclipse.jgit.api.Git.lsRemoteRepository().setRemote(url).setCredentialsProvider(
                new org.eclipse.jgit.transport.UsernamePasswordCredentialsProvider(stranger.getUsername(),
                        "password-" + stranger.getUsername()));
        assertThatThrownBy(strangers::call).hasMessageContaining("not found");

        Path clone = Files.createTempDirectory("kiln-clone");
        try (var git = org.eclipse.jgit.api.Git.cloneRepository().setURI(url).setDirectory(clone.toFile())
                .setCredentialsProvider(new org.eclipse.jgit.transport.UsernamePasswordCredentialsProvider(
                        owner.getUsername(), "password-" + owner.getUsername())).call()) {
            assertThat(clone.resolve("README.md")).exists();
            Files.writeString(clone.resolve("pushed.txt"), "x");
            git.add().addFilepattern("pushed.txt").call();
            git.commit().setMessage("try to push").setAuthor("Ow", "ow@example.com").setCommitter("Ow", "ow@example.com").call();
            var push = git.push().setCredentialsProvider(new org.eclipse.jgit.transport.UsernamePasswordCredentialsProvider(
                    owner.getUsername(), "password-" + owner.getUsername()));
            assertThatThrownBy(push::call).isInstanceOf(org.eclipse.jgit.api.errors.TransportException.class);
        }
        assertThat(session.get("/api/studios/" + studioId + "/file?path=pushed.txt").statusCode()).isEqualTo(404);
    }

    /** A browser's terminal connection, keeping the text it received. */
    static final class TerminalClient implements WebSocket.Listener {
        final StringBuffer received = new StringBuffer();
        private final StringBuilder partial = new StringBuilder();
        WebSocket socket;
        volatile int closeCode = -1;

        static TerminalClient open(int port, KilnHttp session, String studioId) throws Exception {
            return open(port, session, studioId, "1");
        }

        static TerminalClient open(int port, KilnHttp session, String studioId, String name) throws Exception {
            var client = new TerminalClient();
            client.socket = HttpClient.newHttpClient().newWebSocketBuilder().header("Cookie", session.cookieHeader())
                    .buildAsync(URI.create("ws://localhost:" + port + "/terminal/" + studioId + "?name=" + name), client)
                    .get(10, TimeUnit.SECONDS);
            return client;
        }

        void send(String json) throws Exception {
            socket.sendText(json, true).get(5, TimeUnit.SECONDS);
        }

        String screen() {
            return received.toString();
        }

        @Override
        public java.util.concurrent.CompletionStage<?> onText(WebSocket webSocket, CharSequence data, boolean last) {
            partial.append(data);
            if (last) {
                JsonNode message = KilnHttp.JSON.readTree(partial.toString());
                if (message.path("type").asString().equals("output")) {
                    received.append(message.path("data").asString());
                }
                partial.setLength(0);
            }
            webSocket.request(1);
            return null;
        }

        @Override
        public java.util.concurrent.CompletionStage<?> onClose(WebSocket webSocket, int statusCode, String reason) {
            closeCode = statusCode;
            return null;
        }

        void close() {
            socket.sendClose(WebSocket.NORMAL_CLOSURE, "done");
        }
    }
}
