package dev.kiln.machine.catalog;

import java.util.List;
import java.util.Map;

/**
 * One kind of machine a studio can run on, as data: what the user sees (name, size, price) and what Kubernetes
 * needs to place it (node selector, tolerations, resources). GPU types ask for {@code gpu.count} of
 * {@code gpu.resource} (normally {@code nvidia.com/gpu}).
 *
 * @param cpu        CPU cores as a Kubernetes quantity ("4", "500m")
 * @param memory     memory as a Kubernetes quantity ("16Gi")
 * @param pricePerHour optional, in the operator's currency; null when unknown
 */
public record MachineType(String id, String displayName, String cpu, String memory, Gpu gpu, Double pricePerHour,
                          Map<String, String> nodeSelector, List<Toleration> tolerations) {

    /** GPUs of one model; {@code resource} is the extended resource the device plugin advertises. */
    public record Gpu(int count, String model, String resource) {
        public Gpu {
            if (resource == null || resource.isBlank()) {
                resource = "nvidia.com/gpu";
            }
        }
    }

    /** A Kubernetes toleration, so GPU pods may land on tainted GPU nodes. */
    public record Toleration(String key, String operator, String value, String effect) {}

    public MachineType {
        nodeSelector = nodeSelector == null ? Map.of() : Map.copyOf(nodeSelector);
        tolerations = tolerations == null ? List.of() : List.copyOf(tolerations);
    }

    public int gpuCount() {
        return gpu == null ? 0 : gpu.count();
    }

    public boolean hasGpu() {
        return gpuCount() > 0;
    }
}
