package dev.kiln.server.machine;

import dev.kiln.api.machine.MachinePhase;
import dev.kiln.machine.plan.MachinePlan.Phase;

/**
 * The planner's phases as people see them. The switch has no default: a phase added to the planner does not compile
 * here until it has its place (and words) in {@link MachinePhase}.
 */
final class MachinePhases {
    private MachinePhases() {
    }

    static MachinePhase shown(Phase phase) {
        return switch (phase) {
            case SAVING -> MachinePhase.SAVING;
            case STOPPING_OLD_MACHINE -> MachinePhase.STOPPING_OLD_MACHINE;
            case SCHEDULING -> MachinePhase.SCHEDULING;
            case PULLING_IMAGE -> MachinePhase.PULLING_IMAGE;
            case STARTING_AGENT -> MachinePhase.STARTING_AGENT;
            case SYNCING -> MachinePhase.SYNCING;
            case READY -> MachinePhase.READY;
            case REVERTING -> MachinePhase.REVERTING;
            case STOPPING -> MachinePhase.STOPPING;
            case STOPPED -> MachinePhase.STOPPED;
            case FAILED -> MachinePhase.FAILED;
        };
    }
}
