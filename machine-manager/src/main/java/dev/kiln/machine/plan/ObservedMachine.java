package dev.kiln.machine.plan;

import java.time.Instant;
import java.util.List;

/**
 * What the backend sees right now (from an informer cache or the local process table), nothing remembered: the
 * same observation always gives the same plan, whatever woke the reconciler.
 */
public record ObservedMachine(boolean anchorExists, boolean volumeExists, long lastGeneration, List<Pod> pods,
                              Capacity capacity) {

    public ObservedMachine {
        pods = List.copyOf(pods);
    }

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
