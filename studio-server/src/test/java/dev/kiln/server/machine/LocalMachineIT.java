package dev.kiln.server.machine;

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
        assertThat(agents()).isEmpty();
        assertThat(home().resolve("notes.txt")).exists();
    }

    @Test
    void aKilledAgentIsReplaced() {
        session.postJson("/api/studios/" + studioId + "/machine", "{\"machineType\":\"local-1\"}");
        awaitReady();
        ProcessHandle agent = agents().getFirst();
        agent.destroyForcibly();
        await().atMost(Duration.ofSeconds(45)).until(() -> agents().size() == 1 && agents().getFirst().pid() != agent.pid()
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
}
