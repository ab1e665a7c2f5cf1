package dev.kiln.machine.plan;

import java.time.Instant;
import java.util.List;

/**
 * What the backend sees right now (from an informer cache or the local process table), nothing remembered: the
 * same observation always gives the same plan, whatever woke the reconciler.
 */
public record ObservedMachine(boolean anchorExists, boolean volumeExists, long lastGeneration, List<Pod> pods,
                              Capacity capacity, java.util.Map<Long, WorkSave> saves) {

    public ObservedMachine {
        pods = List.copyOf(pods);
        saves = saves == null ? java.util.Map.of() : java.util.Map.copyOf(saves);
    }

    /** An observation with no work being saved. */
    public ObservedMachine(boolean anchorExists, boolean volumeExists, long lastGeneration, List<Pod> pods,
                           Capacity capacity) {
        this(anchorExists, volumeExists, lastGeneration, pods, capacity, java.util.Map.of());
    }

    /** The same observation with what the machines' agents have said about saving work, by generation. */
    public ObservedMachine withSaves(java.util.Map<Long, WorkSave> saves) {
        return new ObservedMachine(anchorExists, volumeExists, lastGeneration, pods, capacity, saves);
    }

    /**
     * A machine asked to save its work before it stops ({@link MachineStep.SaveWork}): when it was asked, and whether
     * its agent has answered (its jobs checkpointed, or it had none).
     */
    public record WorkSave(Instant asked, boolean saved) {}

    /** One of the studio's machine pods (or local processes). */
    public record Pod(String name, String machineType, long generation, State state, String reason, Instant since,
                      boolean deleting) {}

    /** Coarse pod states; the backend maps its own (phases, conditions, container waits) onto these. */
    public enum State {
        SCHEDULING, UNSCHEDULABLE, PULLING_IMAGE, IMAGE_PULL_FAILED, STARTING, SYNCING, CRASH_LOOP, READY, FAILED, GONE
    }

    /** Whether the desired type can be placed right now, with the reason when it cannot. */
    public record Capacity(boolean fits, String reason) {
        public static Capacity available() {
            return new Capacity(true, null);
        }

        public static Capacity noRoom(String reason) {
            return new Capacity(false, reason);
        }
    }

    /**
     * The newest generation ever placed: the anchor records it, so a pod name is never reused even after the old
     * pod is gone.
     */
    public long highestGeneration() {
        return Math.max(lastGeneration, pods.stream().mapToLong(Pod::generation).max().orElse(0));
    }
}
