package dev.kiln.server.machine;

import dev.kiln.server.KilnHttp;
import dev.kiln.server.ServerTestSupport;
import dev.kiln.server.config.KilnProperties;
import dev.kiln.server.security.UserAccounts;
import dev.kiln.machine.local.LocalProcessBackend;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;
import tools.jackson.databind.JsonNode;

import java.time.Duration;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/** A machine nobody uses stops by itself (here after 4 s instead of 30 min); work keeps it running. */
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT, properties = "kiln.machine.idle-stop=4s")
class IdleStopIT {

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
    LocalProcessBackend backend;

    @Test
    void anIdleMachineStopsAndKeepsItsFiles() throws Exception {
        var owner = ServerTestSupport.newUser(accounts, "Ida Idle");
        var session = KilnHttp.signIn("http://localhost:" + port, owner.getUsername(), "password-" + owner.getUsername());
        String id = session.postJson("/api/studios", "{\"name\":\"Idle\"}").path("id").asString();
        session.postJson("/api/studios/" + id + "/machine", "{\"machineType\":\"local-1\"}");
        await().atMost(Duration.ofSeconds(45)).until(() -> phase(session, id).equals("READY"));

        // Saving a file every second for 7 s: longer than the idle limit, but never idle.
        long until = System.nanoTime() + Duration.ofSeconds(7).toNanos();
        int edits = 0;
        while (System.nanoTime() < until) {
            JsonNode file = KilnHttp.JSON.readTree(session.get("/api/studios/" + id + "/file?path=README.md").body());
            var saved = session.put("/api/studios/" + id + "/file?path=README.md", KilnHttp.JSON.createObjectNode()
                    .put("text", file.path("text").asString() + "\nedit " + edits++)
                    .put("baseVersion", file.path("version").asString()).toString());
            assertThat(saved.statusCode()).as(saved.body()).isEqualTo(200);
            assertThat(phase(session, id)).isEqualTo("READY");
            Thread.sleep(1000);
        }

        await().atMost(Duration.ofSeconds(20)).until(() -> phase(session, id).equals("STOPPED"));
        JsonNode status = KilnHttp.JSON.readTree(session.get("/api/studios/" + id + "/machine").body());
        assertThat(status.path("detail").asString()).startsWith("Stopped after 4 s without activity; files are kept");
        assertThat(status.path("running").asBoolean()).isFalse();
        await().atMost(Duration.ofSeconds(15)).until(() -> backend.processes(id).isEmpty());
        assertThat(properties.dataDir().resolve("machines").resolve(id).resolve("home")).isDirectory();
    }

    private static String phase(KilnHttp session, String id) {
        return KilnHttp.JSON.readTree(session.get("/api/studios/" + id + "/machine").body()).path("phase").asString();
    }
}
