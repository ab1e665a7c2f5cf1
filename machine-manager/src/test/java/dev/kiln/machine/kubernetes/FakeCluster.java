package dev.kiln.machine.kubernetes;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.api.model.NodeBuilder;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.client.KubernetesClient;

/**
 * A tiny scheduler and kubelet for fabric8's CRUD mock server, which never changes pods by itself: {@link #tick()}
 * binds pending pods to nodes whose labels, taints and free GPUs fit (written independently of
 * {@link CapacityCheck}), then marks them Running and Ready, or Unschedulable, or stuck pulling their image when told
 * to fail that way (a bad image, a crash loop).
 */
final class FakeCluster {
    private final KubernetesClient client;
    boolean imagePullFails;
    boolean crashes;

    FakeCluster(KubernetesClient client) {
        this.client = client;
    }

    void addNode(String name, Map<String, String> labels, int gpus, boolean gpuTaint) {
        var builder = new NodeBuilder().withNewMetadata().withName(name).withLabels(labels).endMetadata()
                .withNewSpec().endSpec()
                .withNewStatus().addToAllocatable("cpu", new Quantity("64")).addToAllocatable("memory", new Quantity("512Gi"))
                .addToAllocatable("nvidia.com/gpu", new Quantity(String.valueOf(gpus))).endStatus();
        if (gpuTaint) {
            builder.editSpec().addNewTaint().withKey("nvidia.com/gpu").withEffect("NoSchedule").endTaint().endSpec();
        }
        client.nodes().resource(builder.build()).create();
    }

    void tick() {
        List<Node> nodes = client.nodes().list().getItems();
        List<Pod> pods = client.pods().inAnyNamespace().list().getItems();
        Map<String, Integer> gpusUsed = new HashMap<>();
        for (Pod pod : pods) {
            if (pod.getSpec().getNodeName() != null) {
                gpusUsed.merge(pod.getSpec().getNodeName(), gpus(pod), Integer::sum);
            }
        }
        for (Pod pod : pods) {
            if (pod.getSpec().getNodeName() != null) {
                continue;
            }
            Node chosen = null;
            var reasons = new ArrayList<String>();
            for (Node node : nodes) {
                Map<String, String> selector = pod.getSpec().getNodeSelector() == null ? Map.of()
                        : pod.getSpec().getNodeSelector();
                Map<String, String> labels = node.getMetadata().getLabels();
                if (!selector.entrySet().stream().allMatch(e -> e.getValue().equals(labels.get(e.getKey())))) {
                    reasons.add("node(s) didn't match Pod's node affinity/selector");
                    continue;
                }
                boolean tainted = node.getSpec().getTaints() != null && !node.getSpec().getTaints().isEmpty();
                boolean tolerates = pod.getSpec().getTolerations() != null && pod.getSpec().getTolerations().stream()
                        .anyMatch(t -> "nvidia.com/gpu".equals(t.getKey()));
                if (tainted && !tolerates) {
                    reasons.add("node(s) had untolerated taint {nvidia.com/gpu}");
                    continue;
                }
                int free = Integer.parseInt(node.getStatus().getAllocatable().get("nvidia.com/gpu").getAmount())
                        - gpusUsed.getOrDefault(node.getMetadata().getName(), 0);
                if (free < gpus(pod)) {
                    reasons.add("Insufficient nvidia.com/gpu");
                    continue;
                }
                chosen = node;
                break;
            }
            if (chosen == null) {
                setStatus(pod, new PodBuilder(pod).editOrNewStatus().withPhase("Pending").withConditions()
                        .addNewCondition().withType("PodScheduled").withStatus("False").withReason("Unschedulable")
                        .withMessage("0/" + nodes.size() + " nodes are available: " + String.join(", ", reasons.stream()
                                .distinct().toList())).withLastTransitionTime(pod.getMetadata().getCreationTimestamp())
                        .endCondition().endStatus().build());
                continue;
            }
            String nodeName = chosen.getMetadata().getName();
            gpusUsed.merge(nodeName, gpus(pod), Integer::sum);
            Pod bound = client.pods().inNamespace(pod.getMetadata().getNamespace()).withName(pod.getMetadata().getName())
                    .edit(p -> new PodBuilder(p).editSpec().withNodeName(nodeName).endSpec().build());
            if (imagePullFails) {
                setStatus(bound, new PodBuilder(bound).editOrNewStatus().withPhase("Pending").withConditions()
                        .addNewCondition().withType("PodScheduled").withStatus("True").endCondition()
                        .withContainerStatuses().addNewContainerStatus().withName("machine").withNewState().withNewWaiting()
                        .withReason("ImagePullBackOff").withMessage("Back-off pulling image").endWaiting().endState()
                        .endContainerStatus().endStatus().build());
            } else if (crashes) {
                setStatus(bound, new PodBuilder(bound).editOrNewStatus().withPhase("Running").withConditions()
                        .addNewCondition().withType("PodScheduled").withStatus("True").endCondition()
                        .withContainerStatuses().addNewContainerStatus().withName("machine").withRestartCount(4)
                        .withNewState().withNewWaiting().withReason("CrashLoopBackOff")
                        .withMessage("back-off 40s restarting failed container").endWaiting().endState()
                        .endContainerStatus().endStatus().build());
            } else {
                setStatus(bound, new PodBuilder(bound).editOrNewStatus().withPhase("Running").withConditions()
                        .addNewCondition().withType("PodScheduled").withStatus("True").endCondition()
                        .addNewCondition().withType("Ready").withStatus("True").endCondition().endStatus().build());
            }
        }
    }

    private void setStatus(Pod current, Pod withStatus) {
        client.pods().inNamespace(current.getMetadata().getNamespace()).resource(withStatus).updateStatus();
    }

    private static int gpus(Pod pod) {
        var requests = pod.getSpec().getContainers().getFirst().getResources().getRequests();
        Quantity gpus = requests == null ? null : requests.get("nvidia.com/gpu");
        return gpus == null ? 0 : Integer.parseInt(gpus.getAmount());
    }
}
