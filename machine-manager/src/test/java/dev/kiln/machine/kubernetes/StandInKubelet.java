package dev.kiln.machine.kubernetes;

import java.math.BigDecimal;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.Consumer;

import io.fabric8.kubernetes.api.model.BindingBuilder;
import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.api.model.NodeBuilder;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.PodCondition;
import io.fabric8.kubernetes.api.model.PodConditionBuilder;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.api.model.Taint;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;

/**
 * The scheduler and the kubelets of a real API server that has neither: {@link #tick()} binds each pending pod to a
 * node whose labels, taints and free CPU, memory and GPUs fit (through the {@code binding} subresource, as the
 * scheduler does), or marks it {@code PodScheduled=False/Unschedulable} with the scheduler's kind of message; it
 * reports bound pods' containers running and ready (or crash-looping, or stuck on an image pull, when told to), and
 * confirms graceful deletions once "the containers have stopped", as a kubelet does. Written apart from
 * {@link CapacityCheck}, so the two can disagree when one is wrong.
 *
 * <p>Nodes are registered as a kubelet registers them (with their status), then the not-ready taint the API server
 * puts on every new node is taken off, as the node lifecycle controller does once a node reports Ready.
 */
public final class StandInKubelet {
    static final String GPU = "nvidia.com/gpu";

    public enum Behaviour { RUN, CRASH_LOOP, IMAGE_PULL_FAILS }

    private final KubernetesClient admin;
    /** How the next pods that get a node behave. */
    public volatile Behaviour behaviour = Behaviour.RUN;
    private volatile Consumer<Pod> onRun = pod -> {};
    private volatile Consumer<Pod> onStop = pod -> {};

    public StandInKubelet(KubernetesClient admin) {
        this.admin = admin;
    }

    /**
     * What "running the containers" does besides reporting them running (for example start a real agent process from
     * the pod's spec), and what stopping them does.
     */
    public StandInKubelet containers(Consumer<Pod> onRun, Consumer<Pod> onStop) {
        this.onRun = onRun;
        this.onStop = onStop;
        return this;
    }

    public void addNode(String name, Map<String, String> labels, String cpu, String memory, int gpus, boolean gpuTaint) {
        var all = new LinkedHashMap<String, String>();
        all.put("kubernetes.io/hostname", name);
        all.put("kubernetes.io/os", "linux");
        all.put("kubernetes.io/arch", "amd64");
        all.putAll(labels);
        var resources = new LinkedHashMap<String, Quantity>();
        resources.put("cpu", new Quantity(cpu));
        resources.put("memory", new Quantity(memory));
        resources.put("pods", new Quantity("110"));
        if (gpus > 0) {
            resources.put(GPU, new Quantity(String.valueOf(gpus)));
        }
        String now = Instant.now().truncatedTo(ChronoUnit.SECONDS).toString();
        var node = new NodeBuilder().withNewMetadata().withName(name).withLabels(all).endMetadata()
                .withNewSpec().endSpec()
                .withNewStatus().withCapacity(resources).withAllocatable(resources)
                .addNewCondition().withType("Ready").withStatus("True").withReason("KubeletReady")
                .withMessage("kubelet is posting ready status").withLastHeartbeatTime(now)
                .withLastTransitionTime(now).endCondition()
                .addNewAddress().withType("InternalIP").withAddress("10.1.0." + (nodeCount() + 10)).endAddress()
                .endStatus();
        if (gpuTaint) {
            node.editSpec().addNewTaint().withKey(GPU).withValue("present").withEffect("NoSchedule")
                    .endTaint().endSpec();
        }
        admin.nodes().resource(node.build()).create();
        // The controller manager writes to a new node too (its TTL annotation), so a write can meet a newer version.
        for (int attempt = 1; ; attempt++) {
            try {
                admin.nodes().withName(name).edit(n -> new NodeBuilder(n).editSpec().withTaints(
                        n.getSpec().getTaints() == null ? List.of() : n.getSpec().getTaints().stream()
                                .filter(t -> !t.getKey().startsWith("node.kubernetes.io/")).toList()).endSpec().build());
                return;
            } catch (KubernetesClientException e) {
                if (e.getCode() != 409 || attempt == 10) {
                    throw e;
                }
            }
        }
    }

    private int nodeCount() {
        return admin.nodes().list().getItems().size();
    }

    /** One round of scheduling and kubelet work over every pod of the cluster. */
    public void tick() {
        List<Node> nodes = admin.nodes().list().getItems();
        List<Pod> pods = admin.pods().inAnyNamespace().list().getItems();
        for (Pod pod : pods) {
            try {
                if (pod.getMetadata().getDeletionTimestamp() != null) {
                    // The containers have stopped: the kubelet's final delete.
                    onStop.accept(pod);
                    admin.pods().inNamespace(pod.getMetadata().getNamespace()).withName(pod.getMetadata().getName())
                            .withGracePeriod(0).delete();
                } else if (pod.getSpec().getNodeName() == null) {
                    schedule(pod, nodes, pods);
                } else if (pod.getStatus() == null || pod.getStatus().getContainerStatuses() == null
                        || pod.getStatus().getContainerStatuses().isEmpty()) {
                    start(pod);
                }
            } catch (KubernetesClientException e) {
                if (e.getCode() != 409 && e.getCode() != 404) {
                    throw e;
                }
                // Changed or gone meanwhile: the next tick sees it as it is now.
            }
        }
    }

    /** Forgets every pod of the cluster at once (between tests). */
    public void removeAllPods() {
        for (Pod pod : admin.pods().inAnyNamespace().list().getItems()) {
            onStop.accept(pod);
            admin.pods().inNamespace(pod.getMetadata().getNamespace()).withName(pod.getMetadata().getName())
                    .withGracePeriod(0).delete();
        }
    }

    private void schedule(Pod pod, List<Node> nodes, List<Pod> pods) {
        var reasons = new TreeMap<String, Integer>();
        for (Node node : nodes) {
            String why = whyNot(pod, node, pods);
            if (why == null) {
                admin.bindings().inNamespace(pod.getMetadata().getNamespace()).resource(new BindingBuilder()
                        .withNewMetadata().withName(pod.getMetadata().getName()).endMetadata()
                        .withNewTarget().withApiVersion("v1").withKind("Node").withName(node.getMetadata().getName())
                        .endTarget().build()).create();
                pod.getSpec().setNodeName(node.getMetadata().getName()); // counts against the node for the next pods
                return;
            }
            reasons.merge(why, 1, Integer::sum);
        }
        var parts = new ArrayList<String>();
        reasons.forEach((why, count) -> parts.add(count + " " + why));
        String message = "0/" + nodes.size() + " nodes are available: " + String.join(", ", parts) + ".";
        PodCondition current = condition(pod, "PodScheduled");
        if (current != null && "False".equals(current.getStatus()) && message.equals(current.getMessage())) {
            return; // unchanged: the transition time keeps saying since when
        }
        setStatus(pod, new PodBuilder(pod).editOrNewStatus().withPhase("Pending").withConditions(new PodConditionBuilder()
                .withType("PodScheduled").withStatus("False").withReason("Unschedulable").withMessage(message)
                .withLastTransitionTime(now()).build()).endStatus().build());
    }

    private static String whyNot(Pod pod, Node node, List<Pod> pods) {
        Map<String, String> selector = pod.getSpec().getNodeSelector() == null ? Map.of() : pod.getSpec().getNodeSelector();
        Map<String, String> labels = node.getMetadata().getLabels();
        if (!selector.entrySet().stream().allMatch(e -> e.getValue().equals(labels.get(e.getKey())))) {
            return "node(s) didn't match node selector";
        }
        for (Taint taint : node.getSpec().getTaints() == null ? List.<Taint>of() : node.getSpec().getTaints()) {
            boolean tolerated = pod.getSpec().getTolerations() != null && pod.getSpec().getTolerations().stream()
                    .anyMatch(t -> taint.getKey().equals(t.getKey()) && ("Exists".equals(t.getOperator())
                            || String.valueOf(taint.getValue()).equals(t.getValue()))
                            && (t.getEffect() == null || t.getEffect().equals(taint.getEffect())));
            if (!tolerated) {
                return "node(s) had taint {" + taint.getKey() + ": " + taint.getValue() + "}, that the pod didn't tolerate";
            }
        }
        for (String resource : List.of("cpu", "memory", GPU)) {
            BigDecimal wanted = requested(pod, resource);
            if (wanted.signum() == 0) {
                continue;
            }
            var allocatable = node.getStatus().getAllocatable().get(resource);
            BigDecimal free = allocatable == null ? BigDecimal.ZERO : Quantity.getAmountInBytes(allocatable);
            for (Pod other : pods) {
                if (node.getMetadata().getName().equals(other.getSpec().getNodeName()) && other != pod) {
                    free = free.subtract(requested(other, resource));
                }
            }
            if (free.compareTo(wanted) < 0) {
                return "Insufficient " + resource;
            }
        }
        return null;
    }

    private static BigDecimal requested(Pod pod, String resource) {
        BigDecimal sum = BigDecimal.ZERO;
        for (var container : pod.getSpec().getContainers()) {
            var requests = container.getResources() == null ? null : container.getResources().getRequests();
            Quantity q = requests == null ? null : requests.get(resource);
            if (q != null) {
                sum = sum.add(Quantity.getAmountInBytes(q));
            }
        }
        return sum;
    }

    private void start(Pod pod) {
        var container = pod.getSpec().getContainers().getFirst();
        var status = new PodBuilder(pod).editOrNewStatus().withHostIP("10.1.0.10").withStartTime(now());
        switch (behaviour) {
            case RUN -> status.withPhase("Running").withPodIP("10.2.0." + (Math.abs(pod.getMetadata().getName()
                            .hashCode()) % 200 + 2)).withConditions(
                            condition("PodScheduled", "True"), condition("Initialized", "True"),
                            condition("ContainersReady", "True"), condition("Ready", "True"))
                    .addNewContainerStatus().withName(container.getName()).withImage(container.getImage())
                    .withImageID("docker-pullable://" + container.getImage()).withReady(true).withStarted(true)
                    .withRestartCount(0).withNewState().withNewRunning().withStartedAt(now()).endRunning().endState()
                    .endContainerStatus();
            case CRASH_LOOP -> status.withPhase("Running").withConditions(condition("PodScheduled", "True"),
                            condition("Initialized", "True"), condition("ContainersReady", "False"),
                            condition("Ready", "False"))
                    .addNewContainerStatus().withName(container.getName()).withImage(container.getImage())
                    .withImageID("docker-pullable://" + container.getImage()).withReady(false).withStarted(false)
                    .withRestartCount(4).withNewState().withNewWaiting().withReason("CrashLoopBackOff")
                    .withMessage("back-off 40s restarting failed container=" + container.getName() + " pod="
                            + pod.getMetadata().getName()).endWaiting().endState()
                    .withNewLastState().withNewTerminated().withExitCode(1).withReason("Error").withStartedAt(now())
                    .withFinishedAt(now()).endTerminated().endLastState()
                    .endContainerStatus();
            case IMAGE_PULL_FAILS -> status.withPhase("Pending").withConditions(condition("PodScheduled", "True"),
                            condition("Initialized", "True"), condition("ContainersReady", "False"),
                            condition("Ready", "False"))
                    .addNewContainerStatus().withName(container.getName()).withImage(container.getImage())
                    .withImageID("").withReady(false).withStarted(false).withRestartCount(0).withNewState()
                    .withNewWaiting().withReason("ImagePullBackOff")
                    .withMessage("Back-off pulling image \"" + container.getImage() + "\"").endWaiting().endState()
                    .endContainerStatus();
        }
        if (behaviour == Behaviour.RUN) {
            onRun.accept(pod);
        }
        setStatus(pod, status.endStatus().build());
    }

    private void setStatus(Pod current, Pod withStatus) {
        admin.pods().inNamespace(current.getMetadata().getNamespace()).resource(withStatus).updateStatus();
    }

    private static PodCondition condition(String type, String status) {
        return new PodConditionBuilder().withType(type).withStatus(status).withLastTransitionTime(now()).build();
    }

    private static PodCondition condition(Pod pod, String type) {
        if (pod.getStatus() == null || pod.getStatus().getConditions() == null) {
            return null;
        }
        return pod.getStatus().getConditions().stream().filter(c -> type.equals(c.getType())).findFirst().orElse(null);
    }

    private static String now() {
        return Instant.now().truncatedTo(ChronoUnit.SECONDS).toString();
    }
}
