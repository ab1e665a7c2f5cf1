package dev.kiln.machine.plan;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

import dev.kiln.machine.plan.MachinePlan.Phase;
import dev.kiln.machine.plan.MachineStep.CreateAnchor;
import dev.kiln.machine.plan.MachineStep.CreatePod;
import dev.kiln.machine.plan.MachineStep.CreateVolume;
import dev.kiln.machine.plan.MachineStep.DeletePod;
import dev.kiln.machine.plan.MachineStep.Revert;
import dev.kiln.machine.plan.MachineStep.SaveWork;
import dev.kiln.machine.plan.ObservedMachine.Pod;
import dev.kiln.machine.plan.ObservedMachine.State;

/**
 * Desired machine + what is observed = the next steps, as a pure function (tested as data). The reconciler runs it
 * on every change and performs the steps through a backend, so a server restarted mid-switch simply plans again
 * from what it sees.
 *
 * <p>The order of a switch: check that the target can be scheduled before touching the running machine; save and
 * stop the old machine (its home volume is ReadWriteOnce and can attach to one node at a time); create the new pod;
 * wait until its agent is ready. A target that stays unschedulable, cannot pull its image or crash-loops for longer
 * than {@code patience} sends the studio back to its previous type, with the reason and an action for the user.
 */
public final class MachinePlanner {
    private final Duration patience;
    private final java.util.function.Function<String, String> names;

    public MachinePlanner(Duration patience) {
        this(patience, type -> type);
    }

    /** {@code names} turns a machine type id into what the user reads ("NVIDIA A100 · 80 GB"). */
    public MachinePlanner(Duration patience, java.util.function.Function<String, String> names) {
        this.patience = patience;
        this.names = names;
    }

    public MachinePlan plan(DesiredMachine desired, ObservedMachine observed, Instant now) {
        var steps = new ArrayList<MachineStep>();
        if (!observed.anchorExists()) {
            steps.add(new CreateAnchor());
        }
        if (!observed.volumeExists()) {
            steps.add(new CreateVolume());
        }
        List<Pod> live = observed.pods().stream().filter(p -> p.state() != State.GONE).toList();

        if (!desired.running()) {
            boolean saving = false;
            for (Pod p : live) {
                saving |= saveThenStop(p, observed, steps, now);
            }
            return live.isEmpty() ? new MachinePlan(steps, Phase.STOPPED, "Stopped; files are kept")
                    : saving ? new MachinePlan(steps, Phase.SAVING, SAVING) : new MachinePlan(steps, Phase.STOPPING,
                    "Stopping the machine");
        }

        Pod current = live.stream().filter(p -> p.machineType().equals(desired.machineType()) && !p.deleting())
                .max(Comparator.comparingLong(Pod::generation)).orElse(null);
        List<Pod> others = live.stream().filter(p -> p != current).toList();

        if (current != null) {
            return planAroundTarget(desired, current, others, steps, now);
        }

        // No pod of the desired type yet.
        if (!observed.capacity().fits()) {
            return cannotPlace(desired, observed.capacity().reason(), steps);
        }
        if (!others.isEmpty()) {
            boolean saving = false;
            for (Pod old : others) {
                saving |= saveThenStop(old, observed, steps, now);
            }
            return new MachinePlan(steps, saving ? Phase.SAVING : Phase.STOPPING_OLD_MACHINE,
                    saving ? SAVING : "Stopping the old machine");
        }
        steps.add(new CreatePod(desired.machineType(), observed.highestGeneration() + 1));
        return new MachinePlan(steps, Phase.SCHEDULING, "Asking for " + names.apply(desired.machineType()));
    }

    private static final String SAVING = "Asking running jobs to checkpoint before the machine stops";

    /**
     * A machine that is to go: a ready one is first asked to save its work (its jobs checkpoint, so they resume
     * without losing a step) and stops once it has answered or {@link #SAVE_PATIENCE} is over; one that cannot answer
     * (not ready) stops at once. True while it is saving.
     */
    private static boolean saveThenStop(Pod pod, ObservedMachine observed, List<MachineStep> steps, Instant now) {
        if (pod.deleting()) {
            return false;
        }
        var save = observed.saves().get(pod.generation());
        if (pod.state() == State.READY && save == null) {
            steps.add(new SaveWork(pod.name(), pod.generation()));
            return true;
        }
        if (pod.state() == State.READY && !save.saved() && save.asked().plus(SAVE_PATIENCE).isAfter(now)) {
            return true; // waiting for the answer
        }
        steps.add(new DeletePod(pod.name()));
        return false;
    }

    /** How long a machine's jobs get to checkpoint before it stops anyway (each then gets SIGTERM and 10 s more). */
    static final Duration SAVE_PATIENCE = Duration.ofSeconds(30);

    private MachinePlan planAroundTarget(DesiredMachine desired, Pod current, List<Pod> others,
                                         List<MachineStep> steps, Instant now) {
        boolean stuck = switch (current.state()) {
            case UNSCHEDULABLE, IMAGE_PULL_FAILED, CRASH_LOOP -> !current.since().plus(patience).isAfter(now);
            case FAILED -> true;
            default -> false;
        };
        if (current.state() == State.FAILED && !desired.switching()) {
            // The machine it was running on died (a lost agent, a killed process): replace it.
            steps.add(new DeletePod(current.name()));
            return new MachinePlan(steps, Phase.STARTING_AGENT, describe(current) + "; restarting it");
        }
        if (stuck) {
            steps.add(new DeletePod(current.name()));
            return cannotPlace(desired, describe(current), steps);
        }
        // Anything else still around (an old machine, a leftover) goes once the target exists.
        for (Pod other : others) {
            if (!other.deleting()) {
                steps.add(new DeletePod(other.name()));
            }
        }
        return switch (current.state()) {
            case READY -> new MachinePlan(steps, Phase.READY, "Running on " + names.apply(desired.machineType()));
            case PULLING_IMAGE, IMAGE_PULL_FAILED -> new MachinePlan(steps, Phase.PULLING_IMAGE,
                    current.state() == State.IMAGE_PULL_FAILED ? "Retrying the image pull: " + current.reason()
                            : "Pulling the machine image");
            case SYNCING -> new MachinePlan(steps, Phase.SYNCING, "Syncing the studio's files to the machine");
            case STARTING, CRASH_LOOP -> new MachinePlan(steps, Phase.STARTING_AGENT,
                    current.state() == State.CRASH_LOOP ? "The machine keeps restarting: " + current.reason()
                            : "Starting the agent");
            default -> new MachinePlan(steps, Phase.SCHEDULING, current.state() == State.UNSCHEDULABLE
                    ? "Waiting for room: " + current.reason() : "Waiting for a node");
        };
    }

    private MachinePlan cannotPlace(DesiredMachine desired, String reason, List<MachineStep> steps) {
        if (desired.switching()) {
            steps.add(new Revert(desired.fallbackType(), reason,
                    "Wait and try again, or pick another machine type"));
            return new MachinePlan(steps, Phase.REVERTING, reason + "; going back to "
                    + names.apply(desired.fallbackType()));
        }
        return new MachinePlan(steps, Phase.FAILED, reason);
    }

    private String describe(Pod pod) {
        String why = pod.reason() == null ? "" : ": " + pod.reason();
        return switch (pod.state()) {
            case UNSCHEDULABLE -> "No " + names.apply(pod.machineType()) + " machine could be scheduled" + why;
            case IMAGE_PULL_FAILED -> "The machine image could not be pulled" + why;
            case CRASH_LOOP -> "The machine kept crashing while starting" + why;
            default -> "The " + names.apply(pod.machineType()) + " machine failed" + why;
        };
    }
}
