package dev.kiln.server.notebook;

import dev.kiln.server.KilnHttp;
import dev.kiln.server.ServerTestSupport;
import dev.kiln.server.security.UserAccounts;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

import java.time.Duration;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * {@code kiln.notebooks.rebuild-after-switch=auto}: after a machine switch the cells that had run go again by
 * themselves on the new machine, in the order they first ran, each for the person who ran it, with nobody clicking.
 */
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT,
        properties = "kiln.notebooks.rebuild-after-switch=auto")
class NotebookRebuildAutoIT {
    static final Duration START = Duration.ofMinutes(3);

    @DynamicPropertySource
    static void dataDirectory(DynamicPropertyRegistry registry) {
        ServerTestSupport.freshDataDirectory(registry);
    }

    @LocalServerPort
    int port;
    @Autowired
    UserAccounts accounts;

    @Test
    void aSwitchReRunsTheCellsThatRanByItself() {
        var user = ServerTestSupport.newUser(accounts, "Ada Auto");
        var owner = KilnHttp.signIn("http://localhost:" + port, user.getUsername(), "password-" + user.getUsername());
        String studioId = owner.postJson("/api/studios", "{\"name\":\"Auto rebuild\"}").path("id").asString();
        assertThat(owner.put("/api/studios/" + studioId + "/file?path=auto.ipynb", "{\"text\":\"\",\"baseVersion\":\"\"}")
                .statusCode()).isEqualTo(200);
        owner.startMachine(studioId, "local-2");
        try (var client = NotebookSocketClient.open(owner, studioId, "auto.ipynb")) {
            client.insert("a", "code", null, "var words = new ArrayList<String>(List.of(\"first\"));");
            client.insert("b", "code", "a", "words.add(\"second\");\nString.join(\" \", words)");
            client.run("a", "b");
            assertThat(client.awaitEnded("b", START).path("state").asString()).isEqualTo("done");

            owner.startMachine(studioId, "local-1");
            await().atMost(START).until(() -> client.kernel.path("detail").asString().contains("State rebuilt"));
            assertThat(client.rebuild).isEmpty();
            assertThat(client.runs.get("b").path("state").asString()).isEqualTo("done");
            assertThat(client.runs.get("b").path("by").asString()).isEqualTo("Ada Auto");
            assertThat(client.outputsOf("b", "execute_result").getFirst().path("data").path("text/plain").asString())
                    .isEqualTo("\"first second\"");
            assertThat(client.runs.get("b").path("executionCount").asInt()).isEqualTo(2);
        }
    }
}
