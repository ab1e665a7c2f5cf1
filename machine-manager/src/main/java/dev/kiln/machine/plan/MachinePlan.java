package dev.kiln.machine.plan;

import java.util.List;

/**
 * The planner's decision: steps to take now, and the phase to show the user (with a sentence). An empty step list
 * means "wait": the reconciler runs again when something changes or after a requeue delay.
 */
public record MachinePlan(List<MachineStep> steps, Phase phase, String detail) {
    public MachinePlan {
        steps = List.copyOf(steps);
    }

    /**
     * The phases a user watches during a switch, in order, plus the end states. (Capacity is part of every
     * observation: a target that cannot be placed is refused before anything stops, so it has no phase of its own.)
     * Their words and the order the machine dialog shows them in are studio-api's {@code MachinePhase}, which the
     * server maps these onto.
     */
    public enum Phase {
        SAVING,
        STOPPING_OLD_MACHINE,
        SCHEDULING,
        PULLING_IMAGE,
        STARTING_AGENT,
        SYNCING,
        READY,
        REVERTING,
        STOPPING,
        STOPPED,
        FAILED
    }
}
