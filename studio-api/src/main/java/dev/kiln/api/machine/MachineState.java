package dev.kiln.api.machine;

import java.time.Instant;
import java.util.List;

/**
 * A studio's machine as the user sees it: the type, the phase with a sentence and since when, where a switch came
 * from (null when not switching), and the types this installation can offer.
 */
public record MachineState(String machineType, String displayName, boolean running, MachinePhase phase, String phaseLabel,
                           String detail, Instant phaseSince, String switchingFrom, List<Option> types,
                           String unsandboxedReason) {

    /**
     * A machine type on offer: its size as the catalog gives it ({@code cpu}, {@code memory} as Kubernetes
     * quantities: "2", "500m", "16Gi"), its GPUs and price per hour (null when unknown).
     */
    public record Option(String id, String displayName, Double pricePerHour, String cpu, String memory, int gpus,
                         String gpuModel) {
        public Option(String id, String displayName, Double pricePerHour) {
            this(id, displayName, pricePerHour, null, null, 0, null);
        }
    }

    /** True while something is changing (start, switch, stop), so the view refreshes quickly. */
    public boolean busy() {
        return phase.busy();
    }
}
