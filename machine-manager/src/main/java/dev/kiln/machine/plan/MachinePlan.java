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
     */
    public enum Phase {
        SAVING("Saving work"),
        STOPPING_OLD_MACHINE("Stopping the old machine"),
        SCHEDULING("Scheduling"),
        PULLING_IMAGE("Pulling the image"),
        STARTING_AGENT("Starting the agent"),
        SYNCING("Syncing files"),
        READY("Ready"),
        REVERTING("Going back"),
        STOPPING("Stopping"),
        STOPPED("Stopped"),
        FAILED("Failed");

        private final String label;

        Phase(String label) {
            this.label = label;
        }

        public String label() {
            return label;
        }
    }
}
