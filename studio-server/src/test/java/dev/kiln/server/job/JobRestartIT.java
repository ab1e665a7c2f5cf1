package dev.kiln.server.job;

import dev.kiln.server.KilnHttp;
import dev.kiln.server.KilnServerProcess;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * A server restart under a running job on a local machine, with the packaged server as its own process. A local
 * machine stops with the server (its process is the server's child and its token lives in the server's memory), so
 * the job cannot survive: after the restart the studio's new machine says in its hello that it knows no such job, and
 * the planner ends the job with the reason, rather than every unfinished job being failed blindly at start.
 */
class JobRestartIT {

    @Test
    void aJobWhoseLocalMachineStoppedWithTheServerEndsWithTheReason() {
        try (var kiln = new KilnServerProcess(KilnServerProcess.freshDataDir("kiln-test-job-restart-local-"),
                Map.of()).start()) {
            var session = KilnHttp.signIn(kiln.base(), "admin", KilnServerProcess.PASSWORD);
            String studioId = session.postJson("/api/studios", "{\"name\":\"Restarted\"}").path("id").asString();
            var slow = session.put("/api/studios/" + studioId + "/file?path=src/main/java/example/Ticks.java",
                    "{\"text\":\"package example;\\npublic class Ticks { public static void main(String[] a) "
                    + "throws Exception { for (int i = 0; i < 1500; i++) { System.out.println(\\\"tick \\\" + i); "
                    + "Thread.sleep(200); } } }\\n\",\"baseVersion\":\"\"}");
            assertThat(slow.statusCode()).as(slow.body()).isEqualTo(200);
            session.startMachine(studioId, "local-1");
            String jobId = session.postJson("/api/studios/" + studioId + "/jobs", "{\"entryPoint\":\"example.Ticks\","
                    + "\"nodes\":1,\"devices\":1}").path("id").asString();
            await().atMost(Duration.ofMinutes(2)).until(() -> session.jobLog(studioId, jobId, "").contains("tick 3"));

            kiln.stop();
            kiln.start();

            var again = KilnHttp.signIn(kiln.base(), "admin", KilnServerProcess.PASSWORD);
            var ended = again.awaitJobEnded(studioId, jobId);
            assertThat(ended.path("status").asString()).as(ended.toString()).isEqualTo("FAILED");
            assertThat(ended.path("detail").asString()).isEqualTo(JobPlanner.RESTARTED);
            assertThat(again.jobLog(studioId, jobId, "")).as("the log before the restart is kept").contains("tick 3")
                    .contains("kiln: failed: " + JobPlanner.RESTARTED);
            // The studio's machine came back (it is wanted), without the job.
            await().atMost(Duration.ofMinutes(1)).until(() -> KilnHttp.JSON.readTree(again.get("/api/studios/"
                    + studioId + "/machine").body()).path("phase").asString().equals("READY"));
        }
    }
}
