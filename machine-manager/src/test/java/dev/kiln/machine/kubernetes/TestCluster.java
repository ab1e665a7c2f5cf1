package dev.kiln.machine.kubernetes;

import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;

import org.junit.jupiter.api.TestInfo;

import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.KubernetesList;
import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.utils.Serialization;

/**
 * The cluster every real-API-server test starts from: k8s/rbac.yaml applied (so the backend runs with the server's
 * real permissions), a CPU node and two A100 nodes registered. Idempotent: the control plane is shared by the tests.
 */
public final class TestCluster {
    static final Path K8S = Path.of("..", "k8s");
    static final String IMAGE = "ghcr.io/kiln-dev/kiln-machine:0.1.0";
    private static final AtomicInteger STUDIOS = new AtomicInteger();
    private static final Set<String> CLUSTER_SCOPED = Set.of("ClusterRole", "ClusterRoleBinding", "Namespace",
            "PersistentVolume", "StorageClass");

    private TestCluster() {}

    public static synchronized void prepare(KubernetesClient admin, StandInKubelet kubelet) {
        for (HasMetadata object : manifests("rbac.yaml")) {
            apply(admin, object);
        }
        if (admin.nodes().withName("cpu-1").get() == null) {
            kubelet.addNode("cpu-1", Map.of(), "64", "256Gi", 0, false);
            kubelet.addNode("a100-1", Map.of("nvidia.com/gpu.product", KubernetesBackendIT.A100), "32", "250Gi", 1, true);
            kubelet.addNode("a100-2", Map.of("nvidia.com/gpu.product", KubernetesBackendIT.A100), "32", "250Gi", 1, true);
        }
    }

    /** A studio of its own for each test, named from the test so the API server's objects say whose they are. */
    static StudioMachineSpec spec(TestInfo test) {
        String method = test.getTestMethod().map(m -> m.getName()).orElse("test").replaceAll("[^A-Za-z0-9]", "");
        String id = ("t" + STUDIOS.incrementAndGet() + "-" + method.substring(0, Math.min(20, method.length())))
                .toLowerCase();
        return new StudioMachineSpec(id, KubeApiServer.NAMESPACE, IMAGE, "http://kiln", "50Gi", null);
    }

    /** Someone else's work on the A100 nodes: pods in another namespace, placed on the nodes directly. */
    static void occupyA100s(KubernetesClient admin, StandInKubelet kubelet, int count) {
        String namespace = "other-team";
        if (admin.namespaces().withName(namespace).get() == null) {
            admin.namespaces().resource(new NamespaceBuilder().withNewMetadata().withName(namespace).endMetadata()
                    .build()).create();
            await().atMost(Duration.ofSeconds(30)).until(() -> admin.serviceAccounts().inNamespace(namespace)
                    .withName("default").get() != null);
        }
        for (int i = 1; i <= count; i++) {
            admin.pods().inNamespace(namespace).resource(new PodBuilder().withNewMetadata()
                    .withGenerateName("training-").withLabels(Map.of("team", "other")).endMetadata()
                    .withNewSpec().withNodeName("a100-" + i).addNewToleration().withKey("nvidia.com/gpu")
                    .withOperator("Exists").withEffect("NoSchedule").endToleration()
                    .addNewContainer().withName("train").withImage("example.com/train:1").withNewResources()
                    .addToRequests("nvidia.com/gpu", new io.fabric8.kubernetes.api.model.Quantity("1"))
                    .addToLimits("nvidia.com/gpu", new io.fabric8.kubernetes.api.model.Quantity("1"))
                    .endResources().endContainer().endSpec().build()).create();
        }
    }

    static void apply(KubernetesClient admin, HasMetadata object) {
        if (!CLUSTER_SCOPED.contains(object.getKind())) {
            object.getMetadata().setNamespace(KubeApiServer.NAMESPACE);
        }
        admin.resource(object).fieldManager("kubectl").forceConflicts().serverSideApply();
    }

    static List<HasMetadata> manifests(String file) {
        try {
            Object parsed = Serialization.unmarshal(Files.readString(K8S.resolve(file)));
            if (parsed instanceof KubernetesList list) {
                return list.getItems();
            }
            if (parsed instanceof List<?> list) {
                return list.stream().map(HasMetadata.class::cast).toList();
            }
            return List.of((HasMetadata) parsed);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
