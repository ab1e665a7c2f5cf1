package dev.kiln.server.machine;

import dev.kiln.machine.protocol.ToMachine;
import dev.kiln.server.KilnHttp;
import dev.kiln.server.ServerTestSupport;
import dev.kiln.server.security.KilnPrincipal;
import dev.kiln.server.security.UserAccounts;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;
import tools.jackson.databind.JsonNode;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * The usage in the header is the machine's own, on a real sandboxed 1-core machine: idle, it reads idle while this
 * host is busy; with two busy loops of its own, it reads busy but never more than its one core; its memory is what its
 * processes hold, not the host's. The machine dialog says what each type is and whether it can start now.
 */
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT)
class MachineUsageIT {

    @DynamicPropertySource
    static void dataDirectory(DynamicPropertyRegistry registry) {
        ServerTestSupport.freshDataDirectory(registry);
    }

    @LocalServerPort
    int port;
    @Autowired
    UserAccounts accounts;
    @Autowired
    MachineChannel channel;
    @Autowired
    MachineService machines;

    @Test
    void aOneCoreMachineReportsItsOwnShareAndNeverMoreThanItsCore() throws Exception {
        KilnPrincipal owner = ServerTestSupport.newUser(accounts, "Uma Usage");
        var session = KilnHttp.signIn("http://localhost:" + port, owner.getUsername(), "password-" + owner.getUsername());
        String studioId = session.postJson("/api/studios", "{\"name\":\"Usage\"}").path("id").asString();
        session.startMachine(studioId, "local-1");
        await().atMost(Duration.ofSeconds(30)).until(() -> usage(session, studioId).path("cpus").asInt() == 1);

        // This host busy on every core, the machine idle: the machine reads idle.
        var spinners = new ArrayList<Thread>();
        for (int i = 0; i < Runtime.getRuntime().availableProcessors(); i++) {
            spinners.add(Thread.ofPlatform().daemon().start(() -> {
                while (!Thread.currentThread().isInterrupted()) {
                    Math.sqrt(System.nanoTime());
                }
            }));
        }
        try {
            Thread.sleep(3000);
            var idle = readings(session, studioId, 4);
            assertThat(idle).allSatisfy(u -> assertThat(u.path("cpu").asDouble()).as(u.toString()).isLessThan(0.5));
            JsonNode last = idle.getLast();
            assertThat(last.path("memoryUsed").asLong()).as("the machine's processes, not the host")
                    .isPositive().isLessThan(1L << 30);
        } finally {
            spinners.forEach(Thread::interrupt);
        }

        // Two busy loops on the machine itself: busy, and never over its one core.
        channel.send(studioId, new ToMachine.Exec("busy-1", List.of("sh", "-c", "while :; do :; done"), null, null));
        channel.send(studioId, new ToMachine.Exec("busy-2", List.of("sh", "-c", "while :; do :; done"), null, null));
        // On a shared, busy host the two loops may get far less than the core: enough that they show.
        var seen = new ArrayList<JsonNode>();
        await().atMost(Duration.ofSeconds(30)).alias("the busy loops show in " + seen).until(() -> {
            var u = usage(session, studioId);
            seen.add(u);
            return u.path("cpu").asDouble() > 0.15;
        });
        assertThat(readings(session, studioId, 5)).allSatisfy(u -> {
            assertThat(u.path("cpus").asInt()).isEqualTo(1);
            assertThat(u.path("cpu").asDouble()).as(u.toString()).isLessThanOrEqualTo(1.0);
        });
        channel.send(studioId, new ToMachine.Cancel("busy-1", 1000L));
        channel.send(studioId, new ToMachine.Cancel("busy-2", 1000L));

        // The picker: types with their sizes, and the running one is not "unavailable".
        JsonNode state = KilnHttp.JSON.readTree(session.get("/api/studios/" + studioId + "/machine").body());
        JsonNode first = state.path("types").get(0);
        assertThat(first.path("cpu").asString()).isEqualTo("1");
        assertThat(first.path("memory").asString()).isEqualTo("1Gi");
        session.post("/api/studios/" + studioId + "/machine/stop", "{}");
    }

    private static JsonNode usage(KilnHttp session, String studioId) {
        var body = session.get("/api/studios/" + studioId + "/usage").body();
        return body == null || body.isBlank() ? KilnHttp.JSON.createObjectNode() : KilnHttp.JSON.readTree(body);
    }

    private static List<JsonNode> readings(KilnHttp session, String studioId, int count) throws InterruptedException {
        var result = new ArrayList<JsonNode>();
        for (int i = 0; i < count; i++) {
            Thread.sleep(1100);
            result.add(usage(session, studioId));
        }
        return result;
    }
}
