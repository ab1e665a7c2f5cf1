package dev.kiln.server.job;

import dev.kiln.server.KilnHttp;
import dev.kiln.server.KilnServerProcess;
import dev.kiln.server.machine.MockClusterKubelet;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.batch.v1.JobBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.EnableKubernetesMockClient;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * A server restart under running jobs on the Kubernetes backend: the packaged server as its own process (stopped and
 * started again on the same data directory) against fabric8's mock API server, with the test playing kubelet and Job
 * controller. A studio pod outlives the server, as pods do: its real agent keeps the job running, dials the new
 * server and lists the job in its hello, and the job is followed again (status, log) instead of being failed. A
 * multi-node job's Indexed Job is found again by name and followed to its end, then removed.
 */
@EnableKubernetesMockClient(crud = true)
class JobRestartOnKubernetesIT {
    static KubernetesClient client;
    static KubernetesMockServer server;
    static MockClusterKubelet kubelet;

    @BeforeAll
    static void cluster() {
        kubelet = new MockClusterKubelet(client, "kiln");
    }

    @AfterAll
    static void stopKubelet() {
        kubelet.close();
    }

    static Map<String, String> environment(int port) {
        return Map.of("KILN_MACHINE_BACKEND", "kubernetes", "KILN_KUBERNETES_NAMESPACE", "kiln",
                "KILN_SERVER_URL", "http://localhost:" + port,
                // The server's client finds the (mock) cluster the way it finds a real one without a kubeconfig.
                "KUBERNETES_MASTER", client.getConfiguration().getMasterUrl(),
                "KUBERNETES_TRUST_CERTIFICATES", "true", "KUBERNETES_AUTH_TRYKUBECONFIG", "false",
                "KUBERNETES_AUTH_TRYSERVICEACCOUNT", "false");
    }

    @Test
    void runningJobsAreFollowedAgainAfterTheServerRestarts() throws Exception {
        try (var kiln = new KilnServerProcess(KilnServerProcess.freshDataDir("kiln-test-job-restart-"),
                JobRestartOnKubernetesIT::environment).start()) {
            var session = KilnHttp.signIn(kiln.base(), "admin", KilnServerProcess.PASSWORD);
            String studioId = session.postJson("/api/studios", "{\"name\":\"Restarts\"}").path("id").asString();
            // Ticks until a file appears in the machine's home (at most five minutes).
            var slow = session.put("/api/studios/" + studioId + "/file?path=src/main/java/example/Ticks.java",
                    "{\"text\":\"package example;\\npublic class Ticks { public static void main(String[] a) "
                    + "throws Exception { var stop = java.nio.file.Path.of(System.getenv(\\\"HOME\\\"), \\\"stop\\\"); "
                    + "for (int i = 0; i < 1500 && !java.nio.file.Files.exists(stop); i++) { "
                    + "System.out.println(\\\"tick \\\" + i); Thread.sleep(200); } } }\\n\",\"baseVersion\":\"\"}");
            assertThat(slow.statusCode()).as(slow.body()).isEqualTo(200);
            session.startMachine(studioId, "cpu-2");
            Path home = kubelet.home("kiln-studio-" + studioId + "-g1");

            String onMachine = session.postJson(jobs(studioId), "{\"entryPoint\":\"example.Ticks\",\"nodes\":1,"
                    + "\"devices\":1}").path("id").asString();
            await().atMost(Duration.ofMinutes(2)).until(() -> status(session, studioId, onMachine).equals("RUNNING")
                    && session.jobLog(studioId, onMachine, "").contains("tick 3"));
            String gang = session.postJson(jobs(studioId), "{\"entryPoint\":\"example.Ticks\",\"nodes\":2,"
                    + "\"devices\":1}").path("id").asString();
            runIndexedJob(gang);
            await().atMost(Duration.ofSeconds(30)).until(() -> status(session, studioId, gang).equals("RUNNING"));

            kiln.stop();
            assertThat(kubelet.agent("kiln-studio-" + studioId + "-g1").isAlive()).as("the pod outlives the server")
                    .isTrue();
            kiln.start();

            var again = KilnHttp.signIn(kiln.base(), "admin", KilnServerProcess.PASSWORD);
            await().atMost(Duration.ofMinutes(2)).until(() -> again.jobLog(studioId, onMachine, "")
                    .contains("Kiln restarted while the job ran; following it again"));
            String log = again.jobLog(studioId, onMachine, "");
            assertThat(log).as("the log before the restart is still there").contains("tick 3");
            int ticksBefore = count(log, "tick ");
            await().atMost(Duration.ofSeconds(30)).until(() -> count(again.jobLog(studioId, onMachine, ""), "tick ")
                    > ticksBefore);
            assertThat(status(again, studioId, onMachine)).isEqualTo("RUNNING");

            // The Indexed Job too: found again by name, followed to its end and removed.
            await().atMost(Duration.ofSeconds(30)).until(() -> again.jobLog(studioId, gang, "")
                    .contains("following it again"));
            assertThat(status(again, studioId, gang)).isEqualTo("RUNNING");
            var name = "kiln-job-" + gang;
            client.batch().v1().jobs().inNamespace("kiln").resource(new JobBuilder(client.batch().v1().jobs()
                    .inNamespace("kiln").withName(name).get()).editOrNewStatus().withSucceeded(2).endStatus().build())
                    .updateStatus();
            await().atMost(Duration.ofSeconds(30)).until(() -> status(again, studioId, gang).equals("SUCCEEDED"));
            assertThat(client.batch().v1().jobs().inNamespace("kiln").withName(name).get()).isNull();

            Files.writeString(home.resolve("stop"), "now");
            var ended = again.awaitJobEnded(studioId, onMachine);
            assertThat(ended.path("status").asString()).as(ended.toString()).isEqualTo("SUCCEEDED");
        }
    }

    /** Plays the Job controller for a 2-node job: its pods are created and run. */
    static void runIndexedJob(String jobId) {
        String name = "kiln-job-" + jobId;
        await().atMost(Duration.ofSeconds(30)).until(() -> client.batch().v1().jobs().inNamespace("kiln")
                .withName(name).get() != null);
        var job = client.batch().v1().jobs().inNamespace("kiln").withName(name).get();
        assertThat(job.getMetadata().getLabels()).containsEntry("kiln.dev/job", jobId);
        assertThat(job.getSpec().getTtlSecondsAfterFinished()).as("it expires once finished").isPositive();
        for (int index = 0; index < 2; index++) {
            var pod = client.pods().inNamespace("kiln").resource(new PodBuilder().withNewMetadata()
                    .withName(name + "-" + index).withLabels(job.getSpec().getTemplate().getMetadata().getLabels())
                    .addToAnnotations("batch.kubernetes.io/job-completion-index", String.valueOf(index)).endMetadata()
                    .withSpec(job.getSpec().getTemplate().getSpec()).build()).create();
            client.pods().inNamespace("kiln").resource(new PodBuilder(pod).editOrNewStatus().withPhase("Running")
                    .endStatus().build()).updateStatus();
        }
    }

    static String jobs(String studioId) {
        return "/api/studios/" + studioId + "/jobs";
    }

    static tools.jackson.databind.JsonNode machineJob(KilnHttp session, String studioId, String jobId) {
        return KilnHttp.JSON.readTree(session.get(jobs(studioId) + "/" + jobId).body());
    }

    static String status(KilnHttp session, String studioId, String jobId) {
        return machineJob(session, studioId, jobId).path("status").asString();
    }

    static int count(String text, String word) {
        return text.split(word, -1).length - 1;
    }
}
