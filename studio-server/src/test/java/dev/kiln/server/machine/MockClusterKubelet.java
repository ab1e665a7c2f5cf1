package dev.kiln.server.machine;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.NodeBuilder;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.client.KubernetesClient;

/**
 * Plays the nodes of fabric8's mock API server for tests of the whole server on its Kubernetes backend: one CPU
 * node, and for each new studio pod a real agent process with exactly the environment the pod spec gives it, its
 * Secret volumes written as files (the agent's token among them), so the agent dials home as it would in a pod. The
 * pod is marked Running and Ready; a deleted pod's process is stopped.
 */
public final class MockClusterKubelet implements AutoCloseable {
    private final KubernetesClient client;
    private final String namespace;
    private final Map<String, Process> agents = new ConcurrentHashMap<>();
    private final Map<String, Path> homes = new ConcurrentHashMap<>();
    private final ScheduledExecutorService loop = Executors.newSingleThreadScheduledExecutor();

    public MockClusterKubelet(KubernetesClient client, String namespace) {
        this.client = client;
        this.namespace = namespace;
        client.nodes().resource(new NodeBuilder().withNewMetadata().withName("cpu-1").endMetadata().withNewSpec()
                .endSpec().withNewStatus().addToAllocatable("cpu", new Quantity("32"))
                .addToAllocatable("memory", new Quantity("128Gi")).endStatus().build()).create();
        loop.scheduleWithFixedDelay(this::tick, 200, 200, TimeUnit.MILLISECONDS);
    }

    /** The home directory of a pod's agent (the pod's volume mount), once the pod runs. */
    public Path home(String podName) {
        return homes.get(podName);
    }

    /** The agent process of a pod, once the pod runs. */
    public Process agent(String podName) {
        return agents.get(podName);
    }

    @Override
    public void close() {
        loop.shutdownNow();
        agents.values().forEach(Process::destroyForcibly);
    }

    private void tick() {
        try {
            var pods = client.pods().inNamespace(namespace).withLabel("app.kubernetes.io/name", "kiln-machine").list()
                    .getItems();
            var names = pods.stream().map(p -> p.getMetadata().getName()).toList();
            agents.entrySet().removeIf(e -> {
                if (!names.contains(e.getKey())) {
                    e.getValue().destroy();
                    return true;
                }
                return false;
            });
            for (Pod pod : pods) {
                if (!agents.containsKey(pod.getMetadata().getName())) {
                    agents.put(pod.getMetadata().getName(), startAgent(pod));
                    client.pods().inNamespace(namespace).resource(new PodBuilder(pod).editOrNewSpec()
                            .withNodeName("cpu-1").endSpec().editOrNewStatus().withPhase("Running").withConditions()
                            .addNewCondition().withType("Ready").withStatus("True").endCondition().endStatus().build())
                            .updateStatus();
                }
            }
        } catch (Exception e) {
            System.err.println("test kubelet: " + e);
        }
    }

    private Process startAgent(Pod pod) throws IOException {
        var command = List.of(ProcessHandle.current().info().command().orElse("java"), "-cp",
                System.getProperty("java.class.path"), "dev.kiln.machine.agent.MachineAgent");
        Path home = Files.createTempDirectory("kiln-test-pod-");
        var builder = new ProcessBuilder(command).redirectErrorStream(true)
                .redirectOutput(home.resolve("agent.log").toFile());
        builder.environment().clear();
        // Secret volumes, as a kubelet mounts them: each item a file under the mount path (here a temporary one).
        var mounts = new LinkedHashMap<String, Path>();
        var container = pod.getSpec().getContainers().getFirst();
        for (var mount : container.getVolumeMounts()) {
            var volume = pod.getSpec().getVolumes().stream().filter(v -> v.getName().equals(mount.getName()))
                    .findFirst().orElseThrow();
            if (volume.getSecret() != null) {
                Path dir = Files.createDirectories(home.resolveSibling(home.getFileName() + "-" + mount.getName()));
                var secret = client.secrets().inNamespace(namespace).withName(volume.getSecret().getSecretName()).get();
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
            } else if (env.getValueFrom() != null && env.getValueFrom().getSecretKeyRef() != null) {
                var ref = env.getValueFrom().getSecretKeyRef();
                builder.environment().put(env.getName(), secretValue(
                        client.secrets().inNamespace(namespace).withName(ref.getName()).get(), ref.getKey()));
            }
        }
        builder.environment().put("HOME", home.toString()); // the pod's volume mount, here a temporary directory
        homes.put(pod.getMetadata().getName(), home);
        return builder.start();
    }

    private static String secretValue(Secret secret, String key) {
        return secret.getData() != null && secret.getData().containsKey(key)
                ? new String(Base64.getDecoder().decode(secret.getData().get(key)))
                : secret.getStringData().get(key);
    }
}
