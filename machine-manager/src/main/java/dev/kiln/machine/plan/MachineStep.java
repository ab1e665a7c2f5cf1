package dev.kiln.machine.plan;

/** One thing a backend does. Every step is safe to repeat: creating what exists or deleting what is gone is a no-op. */
public sealed interface MachineStep {
    /** The ConfigMap (or local record) that owns the studio's other objects. */
    record CreateAnchor() implements MachineStep {}

    /** The home volume; it is never deleted by a switch. */
    record CreateVolume() implements MachineStep {}

    /** Ask the agent to flush unsaved work (terminal history, running job checkpoints) before its machine stops. */
    /** Ask the machine's running jobs to checkpoint now; the pod goes once they have (or the patience is over). */
    record SaveWork(String podName, long generation) implements MachineStep {}

    record DeletePod(String podName) implements MachineStep {}

    record CreatePod(String machineType, long generation) implements MachineStep {}

    /**
     * The target could not be had: point the desired state back at {@code toType} and tell the user why and what
     * they can do.
     */
    record Revert(String toType, String reason, String action) implements MachineStep {}
}
