package dev.kiln.server.machine;

import dev.kiln.server.KilnHttp;
import dev.kiln.server.ServerTestSupport;
import dev.kiln.server.security.KilnPrincipal;
import dev.kiln.server.security.UserAccounts;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.EnableKubernetesMockClient;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;
import tools.jackson.databind.JsonNode;

import java.io.IOException;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * The server on its Kubernetes backend, through the real fabric8 client against fabric8's mock API server in CRUD
 * mode. A small test kubelet plays the cluster: it marks each new studio pod Running and Ready and starts a real
 * agent process with exactly the environment the pod spec gives it (the token read from the pod's Secret), so the
 * agent dials home, syncs the files and makes the machine ready just as it would in a pod.
 */
@EnableKubernetesMockClient(crud = true)
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.DEFINED_PORT)
class KubernetesMachineIT {
    static KubernetesClient client;
    static KubernetesMockServer server;
    static final int PORT = freePort();
    static MockClusterKubelet kubelet;

    @DynamicPropertySource
    static void kubernetesBackend(DynamicPropertyRegistry registry) {
        ServerTestSupport.freshDataDirectory(registry);
        registry.add("server.port", () -> PORT);
        registry.add("kiln.machine.backend", () -> "kubernetes");
        registry.add("kiln.kubernetes.namespace", () -> "kiln");
        registry.add("kiln.kubernetes.server-url", () -> "http://localhost:" + PORT);
    }

    @BeforeAll
    static void cluster() {
        // The server's own client finds the (mock) cluster the way it finds a real one without a kubeconfig.
        System.setProperty("kubernetes.master", client.getConfiguration().getMasterUrl());
        System.setProperty("kubernetes.trust.certificates", "true");
        System.setProperty("kubernetes.auth.tryKubeConfig", "false");
        System.setProperty("kubernetes.auth.tryServiceAccount", "false");
        kubelet = new MockClusterKubelet(client, "kiln");
    }

    @AfterAll
    static void stopKubelet() {
        kubelet.close();
        System.clearProperty("kubernetes.master");
    }


    @Autowired
    UserAccounts accounts;

    @Test
    void aStudioMachineIsAPodWhoseAgentDialsHomeAndASwitchMovesItWithTheVolumeKept() {
        KilnPrincipal owner = ServerTestSupport.newUser(accounts, "Kim Kube");
        var session = KilnHttp.signIn("http://localhost:" + PORT, owner.getUsername(),
                "password-" + owner.getUsername());
        String studioId = session.postJson("/api/studios", "{\"name\":\"On a cluster\"}").path("id").asString();
        JsonNode state = KilnHttp.JSON.readTree(session.get("/api/studios/" + studioId + "/machine").body());
        assertThat(state.path("types").findValuesAsString("id")).contains("cpu-2", "cpu-8").doesNotContain("a100-80gb");

        var refused = session.post("/api/studios/" + studioId + "/machine", "{\"machineType\":\"a100-80gb\"}");
        assertThat(refused.statusCode()).isEqualTo(400);
        assertThat(refused.body()).contains("no node in this cluster");

        session.postJson("/api/studios/" + studioId + "/machine", "{\"machineType\":\"cpu-2\"}");
        var phases = awaitReady(session, studioId);
        assertThat(phases).contains("READY");
        String firstPod = "kiln-studio-" + studioId + "-g1";
        assertThat(client.pods().inNamespace("kiln").withName(firstPod).get()).isNotNull();
        assertThat(kubelet.home(firstPod).resolve("workspace/README.md")).exists();
        String volumeUid = client.persistentVolumeClaims().inNamespace("kiln").withName("kiln-studio-" + studioId
                + "-home").get().getMetadata().getUid();

        theFileTreeIsThePodsHome(session, studioId, kubelet.home(firstPod));
        multiNodeJobRunsAsAnIndexedJobAndIsCleanedUp(session, studioId);

        session.postJson("/api/studios/" + studioId + "/machine", "{\"machineType\":\"cpu-8\"}");
        awaitReady(session, studioId);
        await().atMost(Duration.ofSeconds(20)).until(() -> client.pods().inNamespace("kiln").list().getItems()
                .stream().map(p -> p.getMetadata().getName()).toList()
                .equals(List.of("kiln-studio-" + studioId + "-g2")));
        assertThat(client.persistentVolumeClaims().inNamespace("kiln").withName("kiln-studio-" + studioId + "-home")
                .get().getMetadata().getUid()).as("the same volume").isEqualTo(volumeUid);

        session.postJson("/api/studios/" + studioId + "/machine/stop", "{}");
        await().atMost(Duration.ofSeconds(20)).until(() -> client.pods().inNamespace("kiln").list().getItems().isEmpty());
        assertThat(client.persistentVolumeClaims().inNamespace("kiln").list().getItems()).hasSize(1);
    }

    /**
     * The same agent runs in a pod, so the studio's file tree is the pod's home: a file written in its workspace
     * becomes a commit by the machine, and its data folder lists and downloads through the agent.
     */
    void theFileTreeIsThePodsHome(KilnHttp session, String studioId, Path home) {
        try {
            Files.writeString(home.resolve("workspace/from-the-pod.txt"), "written in the pod\n");
            Files.createDirectories(home.resolve("data"));
            Files.writeString(home.resolve("data/pod.csv"), "a,b\n1,2\n");
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
        await().atMost(Duration.ofSeconds(20)).until(() -> session.get("/api/studios/" + studioId
                + "/file?path=from-the-pod.txt").statusCode() == 200);
        var listing = KilnHttp.JSON.readTree(session.get("/api/studios/" + studioId + "/fs/list?path=data").body());
        assertThat(listing.path("entries").findValuesAsString("path")).contains("data/pod.csv");
        assertThat(session.get("/api/studios/" + studioId + "/fs/download?path=data/pod.csv").body()).isEqualTo("a,b\n1,2\n");
    }

    /** Plays the Job controller for a 2-node job: both pods run, then the job completes. */
    void multiNodeJobRunsAsAnIndexedJobAndIsCleanedUp(KilnHttp session, String studioId) {
        // A data connection of the studio reaches every node through the job's Secret, mounted as a file.
        session.postJson("/api/studios/" + studioId + "/connections", """
                {"name":"lake","kind":"s3","settings":{"bucket":"lake","endpoint":"http://minio.data:9000",
                 "pathStyle":"true"},"secret":{"accessKeyId":"minio-key","secretAccessKey":"minio-secret-for-jobs"},
                 "forJobs":true}""");
        String jobId = session.postJson("/api/studios/" + studioId + "/jobs", "{\"entryPoint\":\"example.SumRegression\","
                + "\"nodes\":2,\"devices\":1,\"args\":[\"--trainer.max-epochs=2\"]}").path("id").asString();
        String name = "kiln-job-" + jobId;
        await().atMost(Duration.ofSeconds(10)).until(() -> client.batch().v1().jobs().inNamespace("kiln").withName(name)
                .get() != null);
        var job = client.batch().v1().jobs().inNamespace("kiln").withName(name).get();
        assertThat(job.getSpec().getCompletions()).isEqualTo(2);
        assertThat(job.getSpec().getTemplate().getSpec().getContainers().getFirst().getEnv())
                .anyMatch(e -> e.getName().equals("MASTER_ADDR") && e.getValue().equals(name + "-0." + name));
        assertThat(client.services().inNamespace("kiln").withName(name).get().getSpec().getClusterIP()).isEqualTo("None");
        var secret = client.secrets().inNamespace("kiln").withName(name).get();
        String connections = secret.getStringData() != null && secret.getStringData().containsKey("connections.json")
                ? secret.getStringData().get("connections.json")
                : new String(Base64.getDecoder().decode(secret.getData().get("connections.json")));
        assertThat(connections).contains("\"name\":\"lake\"", "minio-secret-for-jobs", "\"expiresAt\"");
        var template = job.getSpec().getTemplate().getSpec();
        assertThat(template.getContainers().getFirst().getEnv()).anyMatch(e -> e.getName().equals("KILN_CONNECTIONS")
                && e.getValue().equals("/var/run/kiln/connections.json"));
        assertThat(template.getVolumes()).anyMatch(v -> v.getSecret() != null
                && v.getSecret().getSecretName().equals(name));
        assertThat(jobStatus(session, studioId, jobId)).isEqualTo("STARTING");

        for (int index = 0; index < 2; index++) {
            var pod = client.pods().inNamespace("kiln").resource(new PodBuilder().withNewMetadata()
                    .withName(name + "-" + index).withLabels(job.getSpec().getTemplate().getMetadata().getLabels())
                    .addToAnnotations("batch.kubernetes.io/job-completion-index", String.valueOf(index)).endMetadata()
                    .withSpec(job.getSpec().getTemplate().getSpec()).build()).create();
            client.pods().inNamespace("kiln").resource(new PodBuilder(pod).editOrNewStatus().withPhase("Running")
                    .endStatus().build()).updateStatus();
        }
        await().atMost(Duration.ofSeconds(15)).until(() -> jobStatus(session, studioId, jobId).equals("RUNNING"));
        client.batch().v1().jobs().inNamespace("kiln").resource(new io.fabric8.kubernetes.api.model.batch.v1.JobBuilder(
                client.batch().v1().jobs().inNamespace("kiln").withName(name).get()).editOrNewStatus().withSucceeded(2)
                .endStatus().build()).updateStatus();
        await().atMost(Duration.ofSeconds(15)).until(() -> jobStatus(session, studioId, jobId).equals("SUCCEEDED"));
        assertThat(client.batch().v1().jobs().inNamespace("kiln").withName(name).get()).isNull();
        assertThat(client.services().inNamespace("kiln").withName(name).get()).isNull();
        assertThat(client.pods().inNamespace("kiln").withLabel("kiln.dev/job", jobId).list().getItems()).isEmpty();
    }

    static String jobStatus(KilnHttp session, String studioId, String jobId) {
        return KilnHttp.JSON.readTree(session.get("/api/studios/" + studioId + "/jobs/" + jobId).body()).path("status")
                .asString();
    }

    static List<String> awaitReady(KilnHttp session, String studioId) {
        var phases = new ArrayList<String>();
        await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(100)).until(() -> {
            String phase = KilnHttp.JSON.readTree(session.get("/api/studios/" + studioId + "/machine").body())
                    .path("phase").asString();
            if (phases.isEmpty() || !phases.getLast().equals(phase)) {
                phases.add(phase);
            }
            return phase.equals("READY");
        });
        return phases;
    }

    static int freePort() {
        try (var socket = new ServerSocket(0)) {
            return socket.getLocalPort();
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }
}
