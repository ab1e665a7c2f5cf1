package dev.kiln.server.machine;

import dev.kiln.machine.kubernetes.KubeApiServer;
import dev.kiln.machine.kubernetes.RealApiServer;
import dev.kiln.machine.kubernetes.StandInKubelet;
import dev.kiln.machine.kubernetes.TestCluster;
import dev.kiln.server.KilnHttp;
import dev.kiln.server.ServerTestSupport;
import dev.kiln.server.security.KilnPrincipal;
import dev.kiln.server.security.UserAccounts;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.client.KubernetesClient;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;
import tools.jackson.databind.JsonNode;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * The server on its Kubernetes backend against a real API server and controller manager (Kubernetes 1.20,
 * {@link KubeApiServer}), as the {@code kiln} ServiceAccount under {@code k8s/rbac.yaml}. The stand-in kubelet places
 * pods on a CPU node and two A100 nodes and runs each as a real agent process with the environment of the pod's
 * spec and the token file its Secret volume holds; the agent dials home, syncs the files and makes the machine
 * ready. Deleting the studio leaves nothing behind: the garbage collector removes its pod, claim and Secret.
 */
@ExtendWith(RealApiServer.class)
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.DEFINED_PORT)
class KubernetesClusterIT {
    static final int PORT = freePort();
    static KubernetesClient admin;
    static StandInKubelet kubelet;
    static ScheduledExecutorService kubeletLoop;
    static final Map<String, Process> agents = new ConcurrentHashMap<>();
    /** Each home volume claim as a directory, shared by the pods that mount it one after another. */
    static final Map<String, Path> claims = new ConcurrentHashMap<>();
    static Map<String, String> clientProperties;

    @DynamicPropertySource
    static void kubernetesBackend(DynamicPropertyRegistry registry) {
        ServerTestSupport.freshDataDirectory(registry);
        registry.add("server.port", () -> PORT);
        registry.add("kiln.machine.backend", () -> "kubernetes");
        registry.add("kiln.kubernetes.namespace", () -> KubeApiServer.NAMESPACE);
        registry.add("kiln.kubernetes.server-url", () -> "http://localhost:" + PORT);
    }

    @BeforeAll
    static void cluster(KubeApiServer apiServer) {
        admin = apiServer.adminClient();
        kubelet = new StandInKubelet(admin).containers(KubernetesClusterIT::startAgent, KubernetesClusterIT::stopAgent);
        TestCluster.prepare(admin, kubelet);
        // The server's own client finds the cluster as it would without a kubeconfig, here as its ServiceAccount.
        clientProperties = apiServer.serverClientProperties();
        clientProperties.forEach(System::setProperty);
        kubeletLoop = Executors.newSingleThreadScheduledExecutor();
        kubeletLoop.scheduleWithFixedDelay(() -> {
            try {
                kubelet.tick();
            } catch (RuntimeException e) {
                System.err.println("stand-in kubelet: " + e);
            }
        }, 200, 200, TimeUnit.MILLISECONDS);
    }

    @AfterAll
    static void stopKubelet() {
        kubeletLoop.shutdownNow();
        kubelet.removeAllPods();
        agents.values().forEach(Process::destroyForcibly);
        clientProperties.keySet().forEach(System::clearProperty);
    }

    static void startAgent(Pod pod) {
        String name = pod.getMetadata().getName();
        if (!pod.getMetadata().getLabels().getOrDefault("app.kubernetes.io/name", "").equals("kiln-machine")) {
            return;
        }
        agents.computeIfAbsent(name, n -> {
            try {
                return agentProcess(pod);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        });
    }

    static void stopAgent(Pod pod) {
        Process agent = agents.remove(pod.getMetadata().getName());
        if (agent != null) {
            agent.destroy();
        }
    }

    /** The pod's container as a process: its environment, its Secret volume as files, its claim as the home. */
    static Process agentProcess(Pod pod) throws IOException {
        var command = List.of(ProcessHandle.current().info().command().orElse("java"), "-cp",
                System.getProperty("java.class.path"), "dev.kiln.machine.agent.MachineAgent");
        var container = pod.getSpec().getContainers().getFirst();
        var mounts = new LinkedHashMap<String, Path>();
        Path home = null;
        for (var mount : container.getVolumeMounts()) {
            var volume = pod.getSpec().getVolumes().stream().filter(v -> v.getName().equals(mount.getName()))
                    .findFirst().orElseThrow();
            if (volume.getSecret() != null) {
                Path dir = Files.createTempDirectory("kiln-pod-secret-");
                var secret = admin.secrets().inNamespace(KubeApiServer.NAMESPACE)
                        .withName(volume.getSecret().getSecretName()).get();
                for (var item : volume.getSecret().getItems()) {
                    Files.write(dir.resolve(item.getPath()), Base64.getDecoder().decode(secret.getData()
                            .get(item.getKey())));
                }
                mounts.put(mount.getMountPath(), dir);
            } else if (volume.getPersistentVolumeClaim() != null) {
                home = claims.computeIfAbsent(volume.getPersistentVolumeClaim().getClaimName(), c -> {
                    try {
                        return Files.createTempDirectory("kiln-claim-");
                    } catch (IOException e) {
                        throw new UncheckedIOException(e);
                    }
                });
            }
        }
        var builder = new ProcessBuilder(command).redirectErrorStream(true);
        builder.environment().clear();
        for (EnvVar env : container.getEnv()) {
            String value = env.getValue();
            for (var mount : mounts.entrySet()) {
                if (value != null && value.startsWith(mount.getKey() + "/")) {
                    value = mount.getValue() + value.substring(mount.getKey().length());
                }
            }
            builder.environment().put(env.getName(), value);
        }
        builder.environment().put("HOME", home.toString()); // the claim's mount
        builder.redirectOutput(home.resolve("agent-" + pod.getMetadata().getName() + ".log").toFile());
        return builder.start();
    }

    @Autowired
    UserAccounts accounts;

    @Test
    void aStudioMachineIsAPodWhoseAgentDialsHomeItSwitchesToAnA100AndADeletedStudioLeavesNothing() {
        KilnPrincipal owner = ServerTestSupport.newUser(accounts, "Ada Cluster");
        var session = KilnHttp.signIn("http://localhost:" + PORT, owner.getUsername(),
                "password-" + owner.getUsername());
        String studioId = session.postJson("/api/studios", "{\"name\":\"On a real API server\"}").path("id")
                .asString();
        JsonNode state = KilnHttp.JSON.readTree(session.get("/api/studios/" + studioId + "/machine").body());
        assertThat(state.path("types").findValuesAsString("id")).contains("cpu-2", "a100-80gb").doesNotContain("h100");

        session.startMachine(studioId, "cpu-2");
        String claim = "kiln-studio-" + studioId + "-home";
        assertThat(admin.pods().inNamespace("kiln").withName("kiln-studio-" + studioId + "-g1").get().getSpec()
                .getNodeName()).isEqualTo("cpu-1");
        assertThat(claims.get(claim).resolve("workspace/README.md")).as("the agent synced the studio's files")
                .exists();

        session.postJson("/api/studios/" + studioId + "/machine", "{\"machineType\":\"a100-80gb\"}");
        await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(200)).until(() -> {
            var pods = admin.pods().inNamespace("kiln").withLabel("kiln.dev/studio", studioId).list().getItems()
                    .stream().map(p -> p.getMetadata().getName() + "@" + p.getSpec().getNodeName()).toList();
            String phase = KilnHttp.JSON.readTree(session.get("/api/studios/" + studioId + "/machine").body())
                    .path("phase").asString();
            return pods.size() == 1 && pods.getFirst().startsWith("kiln-studio-" + studioId + "-g2@a100-")
                    && phase.equals("READY");
        });
        assertThat(agents).as("the old machine's agent was stopped").doesNotContainKey("kiln-studio-" + studioId + "-g1");

        assertThat(session.delete("/api/studios/" + studioId)).isEqualTo(204);
        await().atMost(Duration.ofSeconds(60)).untilAsserted(() -> {
            assertThat(admin.pods().inNamespace("kiln").withLabel("kiln.dev/studio", studioId).list().getItems())
                    .isEmpty();
            assertThat(admin.configMaps().inNamespace("kiln").withName("kiln-studio-" + studioId).get()).isNull();
            assertThat(admin.persistentVolumeClaims().inNamespace("kiln").withName(claim).get()).isNull();
            assertThat(admin.secrets().inNamespace("kiln").withName("kiln-studio-" + studioId + "-agent").get())
                    .isNull();
        });
        assertThat(agents.keySet()).noneMatch(name -> name.contains(studioId));
    }

    static int freePort() {
        try (var socket = new ServerSocket(0)) {
            return socket.getLocalPort();
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }
}
