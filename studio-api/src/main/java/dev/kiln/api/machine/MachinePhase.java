package dev.kiln.api.machine;

import java.util.Arrays;
import java.util.List;

/**
 * The phases of a studio's machine as people see them: the steps of a start or switch in the order they happen
 * (the machine dialog lists them so), then going back after a failed switch, stopping and the end states. The one
 * place for their names, words and order: the planner's own phases (machine-manager's {@code MachinePlan.Phase}) are
 * mapped onto these in the server, where a planner phase without a counterpart here does not compile.
 */
public enum MachinePhase {
    SAVING("Saving work", "running jobs checkpoint", true),
    STOPPING_OLD_MACHINE("Stopping the old machine", null, true),
    SCHEDULING("Scheduling", null, true),
    PULLING_IMAGE("Pulling the image", null, true),
    STARTING_AGENT("Starting the agent", null, true),
    SYNCING("Syncing files", null, true),
    READY("Ready", null, true),
    REVERTING("Going back", null, false),
    STOPPING("Stopping", null, false),
    STOPPED("Stopped", null, false),
    FAILED("Failed", null, false);

    private static final List<MachinePhase> SWITCH_STEPS = Arrays.stream(values()).filter(p -> p.switchStep).toList();

    private final String label;
    private final String hint;
    private final boolean switchStep;

    MachinePhase(String label, String hint, boolean switchStep) {
        this.label = label;
        this.hint = hint;
        this.switchStep = switchStep;
    }

    /** The phase in a few words ("Pulling the image"), as the machine button shows it. */
    public String label() {
        return label;
    }

    /** The label with what happens meanwhile, where that helps ("Saving work (running jobs checkpoint)"). */
    public String step() {
        return hint == null ? label : label + " (" + hint + ")";
    }

    /** The steps of a start or switch, in order, ending with READY. */
    public static List<MachinePhase> switchSteps() {
        return SWITCH_STEPS;
    }

    /** True while something is changing (start, switch, stop), so views refresh quickly. */
    public boolean busy() {
        return this != READY && this != STOPPED && this != FAILED;
    }

    /** Something went wrong: a switch is going back, or the machine failed. */
    public boolean trouble() {
        return this == REVERTING || this == FAILED;
    }
}
