package dev.kiln.machine.kubernetes;

import java.math.BigDecimal;
import java.util.List;
import java.util.Map;

import dev.kiln.machine.catalog.MachineType;
import dev.kiln.machine.plan.ObservedMachine.Capacity;
import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.api.model.Taint;

/**
 * Can a machine type be scheduled right now? A pure function of the nodes and the pods on them, as the scheduler
 * would see it: the node's labels match the type's node selector, its NoSchedule/NoExecute taints are tolerated, it
 * is in the volume's zone (zonal storage cannot follow a pod to another zone), and its allocatable CPU, memory and
 * GPUs minus what running pods request leave room. Checked before the old machine is stopped, so a switch that
 * cannot happen leaves the studio where it is.
 */
public final class CapacityCheck {
    public static final String ZONE_LABEL = "topology.kubernetes.io/zone";

    private CapacityCheck() {}

    /**
     * @param leaving pods that the switch itself will remove (the studio's current machine), whose resources count
     *                as free
     * @param zone    the home volume's zone, or null when the storage is not zonal
     */
    public static Capacity check(MachineType type, List<Node> nodes, List<Pod> pods, List<String> leaving, String zone) {
        int labelled = 0;
        int inZone = 0;
        int tolerated = 0;
        for (Node node : nodes) {
            Map<String, String> labels = node.getMetadata().getLabels() == null ? Map.of()
                    : node.getMetadata().getLabels();
            if (!type.nodeSelector().entrySet().stream().allMatch(e -> e.getValue().equals(labels.get(e.getKey())))) {
                continue;
            }
            labelled++;
            if (zone != null && !zone.equals(labels.get(ZONE_LABEL))) {
                continue;
            }
            inZone++;
            if (!tolerates(type, node)) {
                continue;
            }
            tolerated++;
            if (fits(type, node, pods, leaving)) {
                return Capacity.available();
            }
        }
        String what = type.hasGpu() ? type.gpu().model() : type.displayName();
        if (labelled == 0) {
            return Capacity.noRoom("No node in this cluster offers " + what + " (no node has "
                    + type.nodeSelector() + ")");
        }
        if (inZone == 0) {
            return Capacity.noRoom("No " + what + " node is in zone " + zone + ", where this studio's files are");
        }
        if (tolerated == 0) {
            return Capacity.noRoom("The " + what + " nodes are tainted against studio machines");
        }
        return Capacity.noRoom("No " + what + " free right now: all " + tolerated + " matching node"
                + (tolerated == 1 ? " is" : "s are") + " full");
    }

    private static boolean tolerates(MachineType type, Node node) {
        List<Taint> taints = node.getSpec() == null || node.getSpec().getTaints() == null ? List.of()
                : node.getSpec().getTaints();
        for (Taint taint : taints) {
            if (!"NoSchedule".equals(taint.getEffect()) && !"NoExecute".equals(taint.getEffect())) {
                continue;
            }
            boolean ok = type.tolerations().stream().anyMatch(t -> t.key() != null && t.key().equals(taint.getKey())
                    && (t.effect() == null || t.effect().equals(taint.getEffect()))
                    && ("Exists".equals(t.operator()) || (t.value() != null && t.value().equals(taint.getValue()))));
            if (!ok) {
                return false;
            }
        }
        return true;
    }

    private static boolean fits(MachineType type, Node node, List<Pod> pods, List<String> leaving) {
        Map<String, Quantity> allocatable = node.getStatus() == null || node.getStatus().getAllocatable() == null
                ? Map.of() : node.getStatus().getAllocatable();
        BigDecimal cpu = amount(allocatable.get("cpu"));
        BigDecimal memory = amount(allocatable.get("memory"));
        BigDecimal gpus = type.hasGpu() ? amount(allocatable.get(type.gpu().resource())) : BigDecimal.ZERO;
        for (Pod pod : pods) {
            boolean onNode = pod.getSpec() != null && node.getMetadata().getName().equals(pod.getSpec().getNodeName());
            String phase = pod.getStatus() == null ? null : pod.getStatus().getPhase();
            if (!onNode || "Succeeded".equals(phase) || "Failed".equals(phase)
                    || leaving.contains(pod.getMetadata().getName())) {
                continue;
            }
            for (var container : pod.getSpec().getContainers()) {
                var requests = container.getResources() == null ? null : container.getResources().getRequests();
                if (requests == null) {
                    continue;
                }
                cpu = cpu.subtract(amount(requests.get("cpu")));
                memory = memory.subtract(amount(requests.get("memory")));
                if (type.hasGpu()) {
                    gpus = gpus.subtract(amount(requests.get(type.gpu().resource())));
                }
            }
        }
        return cpu.compareTo(amount(new Quantity(type.cpu()))) >= 0
                && memory.compareTo(amount(new Quantity(type.memory()))) >= 0
                && (!type.hasGpu() || gpus.compareTo(BigDecimal.valueOf(type.gpuCount())) >= 0);
    }

    private static BigDecimal amount(Quantity quantity) {
        return quantity == null ? BigDecimal.ZERO : Quantity.getAmountInBytes(quantity);
    }
}
