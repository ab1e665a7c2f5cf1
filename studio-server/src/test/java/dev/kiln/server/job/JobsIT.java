package dev.kiln.server.job;

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

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Base64;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Jobs from the studio flow on the local backend, with real processes throughout: the agent compiles the workspace's
 * example module and trains it as a 2-rank DDP job over Gloo (real libtorch, real c10d); the loss goes down, the
 * metrics reach the API and Prometheus, logs are kept per rank; cancel stops both ranks; compile errors come back
 * with file and line; bad requests are refused with the reason.
 */
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT)
class JobsIT {

    @DynamicPropertySource
    static void dataDirectory(DynamicPropertyRegistry registry) {
        ServerTestSupport.freshDataDirectory(registry);
    }

    @LocalServerPort
    int port;
    @Autowired
    UserAccounts accounts;

    KilnHttp session;
    String studioId;

    String jobs() {
        return "/api/studios/" + studioId + "/jobs";
    }

    JsonNode awaitEnded(String jobId) {
        return session.awaitJobEnded(studioId, jobId);
    }

    JsonNode job(String jobId) {
        return KilnHttp.JSON.readTree(session.get(jobs() + "/" + jobId).body());
    }

    String log(String jobId, String query) {
        return session.jobLog(studioId, jobId, query);
    }

    @Test
    void aStudioTrainsWithTwoRanksFollowsItLiveAndCancelsAndRefusesWhatCannotRun() throws Exception {
        KilnPrincipal owner = ServerTestSupport.newUser(accounts, "Jo Jobs");
        session = KilnHttp.signIn("http://localhost:" + port, owner.getUsername(), "password-" + owner.getUsername());
        studioId = session.postJson("/api/studios", "{\"name\":\"Training\"}").path("id").asString();

        var noMachine = session.post(jobs(), "{\"entryPoint\":\"example.SumRegression\",\"nodes\":1,\"devices\":1}");
        assertThat(noMachine.statusCode()).isEqualTo(409);
        assertThat(noMachine.body()).contains("Start the studio's machine first");

        session.startMachine(studioId, "local-2");

        var tooMany = session.post(jobs(), "{\"entryPoint\":\"example.SumRegression\",\"nodes\":1,\"devices\":3}");
        assertThat(tooMany.statusCode()).isEqualTo(400);
        assertThat(tooMany.body()).contains("asks for 3 devices per node").contains("has 2 cores");

        // The example module, trained by two DDP ranks.
        JsonNode started = session.postJson(jobs(), "{\"entryPoint\":\"example.SumRegression\",\"nodes\":1,"
                + "\"devices\":2,\"args\":[\"--trainer.max-epochs=4\",\"samples=2048\"]}");
        String jobId = started.path("id").asString();
        assertThat(started.path("number").asInt()).isEqualTo(1);
        JsonNode done = awaitEnded(jobId);
        String all = log(jobId, "");
        assertThat(done.path("status").asString()).as(all).isEqualTo("SUCCEEDED");
        assertThat(all).contains("Compiling the workspace").contains("started rank 0").contains("started rank 1")
                .contains("all 2 ranks finished");

        JsonNode metrics = KilnHttp.JSON.readTree(session.get(jobs() + "/" + jobId + "/metrics").body());
        JsonNode loss = metrics.path("loss");
        assertThat(loss.size()).isGreaterThan(3);
        double first = loss.get(0).get(1).asDouble();
        double last = loss.get(loss.size() - 1).get(1).asDouble();
        assertThat(last).as("the loss went down: " + loss).isLessThan(first * 0.5);
        assertThat(metrics.path("val_loss").size()).isGreaterThan(0);

        String prometheus = HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create("http://localhost:"
                        + port + "/actuator/prometheus")).header("Authorization", "Basic " + Base64.getEncoder()
                        .encodeToString("admin:admin-password-for-tests".getBytes(StandardCharsets.UTF_8))).build(),
                HttpResponse.BodyHandlers.ofString()).body();
        assertThat(prometheus).containsPattern("kiln_job_metric\\{[^}]*job=\"" + jobId + "\"[^}]*name=\"loss\"[^}]*"
                + "rank=\"0\"");
        assertThat(prometheus).containsPattern("kiln_machine_cpu_utilization\\{studio=\"" + studioId + "\"}");

        // Cancel stops every rank.
        String longJob = session.postJson(jobs(), "{\"entryPoint\":\"example.SumRegression\",\"nodes\":1,"
                + "\"devices\":2,\"args\":[\"--trainer.max-epochs=100000\"]}").path("id").asString();
        await().atMost(Duration.ofMinutes(2)).until(() -> log(longJob, "rank=1").contains("[rank 1]")
                || KilnHttp.JSON.readTree(session.get(jobs() + "/" + longJob + "/metrics").body()).path("loss").size() > 2);
        assertThat(processesOf(longJob)).as("ranks and launcher").isGreaterThanOrEqualTo(3);
        assertThat(session.post(jobs() + "/" + longJob + "/cancel", "{}").statusCode()).isEqualTo(200);
        JsonNode cancelled = awaitEnded(longJob);
        assertThat(cancelled.path("status").asString()).isEqualTo("CANCELLED");
        assertThat(cancelled.path("detail").asString()).contains("Jo Jobs");
        await().atMost(Duration.ofSeconds(20)).until(() -> processesOf(longJob) == 0);

        // Re-run repeats the parameters.
        JsonNode again = session.postJson(jobs() + "/" + jobId + "/rerun", "{}");
        assertThat(again.path("request").path("args").toString()).contains("samples=2048");
        assertThat(awaitEnded(again.path("id").asString()).path("status").asString()).isEqualTo("SUCCEEDED");

        // An entry point that does not exist, then a workspace that does not compile.
        String missing = session.postJson(jobs(), "{\"entryPoint\":\"example.Nope\",\"nodes\":1,\"devices\":1}")
                .path("id").asString();
        assertThat(awaitEnded(missing).path("detail").asString()).contains("No class example.Nope");

        var broken = session.put("/api/studios/" + studioId + "/file?path=src/main/java/example/Broken.java",
                "{\"text\":\"package example;\\n\\nclass Broken { int x = \\\"text\\\"; }\\n\",\"baseVersion\":\"\"}");
        assertThat(broken.statusCode()).as(broken.body()).isEqualTo(200);
        String failing = session.postJson(jobs(), "{\"entryPoint\":\"example.SumRegression\",\"nodes\":1,"
                + "\"devices\":1}").path("id").asString();
        JsonNode failed = awaitEnded(failing);
        assertThat(failed.path("status").asString()).isEqualTo("FAILED");
        assertThat(failed.path("detail").asString()).contains("does not compile");
        JsonNode diagnostic = failed.path("diagnostics").get(0);
        assertThat(diagnostic.path("path").asString()).isEqualTo("src/main/java/example/Broken.java");
        assertThat(diagnostic.path("line").asInt()).isEqualTo(3);
        assertThat(diagnostic.path("message").asString()).contains("incompatible types");

        assertThat(KilnHttp.JSON.readTree(session.get(jobs()).body()).size()).isEqualTo(5);
        session.post("/api/studios/" + studioId + "/machine/stop", "{}");
    }

    @Test
    void aJobMovesWithItsMachineAndResumesFromItsCheckpoint() {
        KilnPrincipal owner = ServerTestSupport.newUser(accounts, "Max Mover");
        session = KilnHttp.signIn("http://localhost:" + port, owner.getUsername(), "password-" + owner.getUsername());
        studioId = session.postJson("/api/studios", "{\"name\":\"Moving\"}").path("id").asString();
        session.startMachine(studioId, "local-2");

        String jobId = session.postJson(jobs(), "{\"entryPoint\":\"example.SumRegression\",\"nodes\":1,"
                + "\"devices\":1,\"args\":[\"--trainer.max-epochs=100000\",\"samples=512\"]}").path("id").asString();
        await().atMost(Duration.ofMinutes(2)).until(() -> log(jobId, "").contains("checkpoint"));

        session.postJson("/api/studios/" + studioId + "/machine", "{\"machineType\":\"local-1\"}");
        await().atMost(Duration.ofMinutes(2)).until(() -> log(jobId, "").contains("Resuming from the last checkpoint"));
        await().atMost(Duration.ofMinutes(1)).until(() -> job(jobId).path("status").asString().equals("RUNNING"));
        String history = log(jobId, "");
        assertThat(history).contains("The machine stopped while the job ran")
                .contains("resuming on the new machine (attempt 2)");
        assertThat(history.indexOf("Resuming from the last checkpoint"))
                .isGreaterThan(history.indexOf("resuming on the new machine"));
        // Before the old machine stopped, the job checkpointed at the step it was at, and resumed from there or from
        // a later checkpoint it wrote before the machine stopped: never from before the switch was asked for.
        var saved = java.util.regex.Pattern.compile("checkpointed at step (\\d+) before the machine stopped")
                .matcher(history);
        assertThat(saved.find()).as(history).isTrue();
        await().atMost(Duration.ofMinutes(1)).until(() -> log(jobId, "").contains("] resumed {"));
        var resumed = java.util.regex.Pattern.compile("resumed \\{[^}]*\"step\":(\\d+)").matcher(log(jobId, ""));
        assertThat(resumed.find()).as(history).isTrue();
        assertThat(Long.parseLong(resumed.group(1))).isGreaterThanOrEqualTo(Long.parseLong(saved.group(1)));

        session.post(jobs() + "/" + jobId + "/cancel", "{}");
        assertThat(awaitEnded(jobId).path("status").asString()).isEqualTo("CANCELLED");
        session.post("/api/studios/" + studioId + "/machine/stop", "{}");
    }

    /** Processes (launcher and ranks) whose command line names the job (its directory is on it). */
    static long processesOf(String jobId) {
        return ProcessHandle.allProcesses().filter(p -> p.info().commandLine().orElse("").contains(jobId)).count();
    }
}
