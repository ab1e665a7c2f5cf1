package dev.kiln.server.job;

import dev.kiln.server.KilnHttp;
import dev.kiln.server.KilnServerProcess;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.NodeBuilder;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.api.model.batch.v1.JobBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.EnableKubernetesMockClient;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

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
    static final Map<String, Process> kubelet = new ConcurrentHashMap<>();
    static final Map<String, Path> homes = new ConcurrentHashMap<>();
    static ScheduledExecutorService kubeletLoop;

    @BeforeAll
    static void cluster() {
        client.nodes().resource(new NodeBuilder().withNewMetadata().withName("cpu-1").endMetadata().withNewSpec()
                .endSpec().withNewStatus().addToAllocatable("cpu", new Quantity("32"))
                .addToAllocatable("memory", new Quantity("128Gi")).endStatus().build()).create();
        kubeletLoop = Executors.newSingleThreadScheduledExecutor();
        kubeletLoop.scheduleWithFixedDelay(JobRestartOnKubernetesIT::kubeletTick, 200, 200, TimeUnit.MILLISECONDS);
    }

    @AfterAll
    static void stopKubelet() {
        kubeletLoop.shutdownNow();
        kubelet.values().forEach(Process::destroyForcibly);
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
            Path home = homes.get("kiln-studio-" + studioId + "-g1");

            String onMachine = session.postJson(jobs(studioId), "{\"entryPoint\":\"example.Ticks\",\"nodes\":1,"
                    + "\"devices\":1}").path("id").asString();
            await().atMost(Duration.ofMinutes(2)).until(() -> status(session, studioId, onMachine).equals("RUNNING")
                    && session.jobLog(studioId, onMachine, "").contains("tick 3"));
            String gang = session.postJson(jobs(studioId), "{\"entryPoint\":\"example.Ticks\",\"nodes\":2,"
                    + "\"devices\":1}").path("id").asString();
            runIndexedJob(gang);
            await().atMost(Duration.ofSeconds(30)).until(() -> status(session, studioId, gang).equals("RUNNING"));

            kiln.stop();
            assertThat(kubelet.get("kiln-studio-" + studioId + "-g1").isAlive()).as("the pod outlives the server")
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

    /** Runs new studio pods (a real agent process each) and stops the processes of deleted ones. */
    static void kubeletTick() {
        try {
            var pods = client.pods().inNamespace("kiln").withLabel("app.kubernetes.io/name", "kiln-machine").list()
                    .getItems();
            var names = pods.stream().map(p -> p.getMetadata().getName()).toList();
            kubelet.entrySet().removeIf(e -> {
                if (!names.contains(e.getKey())) {
                    e.getValue().destroy();
                    return true;
                }
                return false;
            });
            for (Pod pod : pods) {
                if (!kubelet.containsKey(pod.getMetadata().getName())) {
                    kubelet.put(pod.getMetadata().getName(), startAgent(pod));
                    client.pods().inNamespace("kiln").resource(new PodBuilder(pod).editOrNewSpec().withNodeName("cpu-1")
                            .endSpec().editOrNewStatus().withPhase("Running").withConditions().addNewCondition()
                            .withType("Ready").withStatus("True").endCondition().endStatus().build()).updateStatus();
                }
            }
        } catch (Exception e) {
            System.err.println("test kubelet: " + e);
        }
    }

    /** A pod's agent: a real agent process with the pod's environment, its Secret volumes as files. */
    static Process startAgent(Pod pod) throws IOException {
        var command = List.of(ProcessHandle.current().info().command().orElse("java"), "-cp",
                System.getProperty("java.class.path"), "dev.kiln.machine.agent.MachineAgent");
        Path home = Files.createTempDirectory("kiln-test-pod-");
        var builder = new ProcessBuilder(command).redirectErrorStream(true)
                .redirectOutput(home.resolve("agent.log").toFile());
        builder.environment().clear();
        var mounts = new java.util.LinkedHashMap<String, Path>();
        var container = pod.getSpec().getContainers().getFirst();
        for (var mount : container.getVolumeMounts()) {
            var volume = pod.getSpec().getVolumes().stream().filter(v -> v.getName().equals(mount.getName()))
                    .findFirst().orElseThrow();
            if (volume.getSecret() != null) {
                Path dir = Files.createDirectories(home.resolveSibling(home.getFileName() + "-" + mount.getName()));
                var secret = client.secrets().inNamespace("kiln").withName(volume.getSecret().getSecretName()).get();
                for (var item : volume.getSecret().getItems()) {
                    Files.writeString(dir.resolve(item.getPath()), secretValue(secret, item.getKey()));
                }
                mounts.put(mount.getMountPath(), dir);
            }
        }
        for (EnvVar env : container.getEnv()) {
            if (env.getValue() != null) {
                String value = env.getValue();
                for (var mount : mounts.entrySet()) {
                    if (value.startsWith(mount.getKey() + "/")) {
                        value = mount.getValue() + value.substring(mount.getKey().length());
                    }
                }
                builder.environment().put(env.getName(), value);
            }
        }
        builder.environment().put("HOME", home.toString());
        homes.put(pod.getMetadata().getName(), home);
        return builder.start();
    }

    static String secretValue(io.fabric8.kubernetes.api.model.Secret secret, String key) {
        return secret.getData() != null && secret.getData().containsKey(key)
                ? new String(Base64.getDecoder().decode(secret.getData().get(key)))
                : secret.getStringData().get(key);
    }
}
