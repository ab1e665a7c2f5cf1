package dev.kiln.machine.plan;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.time.Instant;
import java.util.List;

import org.junit.jupiter.api.Test;

import dev.kiln.machine.plan.MachinePlan.Phase;
import dev.kiln.machine.plan.MachineStep.CreateAnchor;
import dev.kiln.machine.plan.MachineStep.CreatePod;
import dev.kiln.machine.plan.MachineStep.CreateVolume;
import dev.kiln.machine.plan.MachineStep.DeletePod;
import dev.kiln.machine.plan.MachineStep.Revert;
import dev.kiln.machine.plan.MachineStep.SaveWork;
import dev.kiln.machine.plan.ObservedMachine.Capacity;
import dev.kiln.machine.plan.ObservedMachine.Pod;
import dev.kiln.machine.plan.ObservedMachine.State;
import dev.kiln.machine.plan.ObservedMachine.WorkSave;
import java.util.Map;

/** The planner as data: an observation in, steps and a phase out. */
class MachinePlannerTest {
    static final Instant NOW = Instant.parse("2026-11-23T12:00:00Z");
    static final MachinePlanner PLANNER = new MachinePlanner(Duration.ofMinutes(5));
    static final DesiredMachine ON_CPU = DesiredMachine.running("s1", "cpu-2");
    static final DesiredMachine TO_A100 = ON_CPU.switchTo("a100-80gb");

    static Pod pod(String type, long generation, State state) {
        return new Pod("kiln-studio-s1-g" + generation, type, generation, state, null, NOW.minusSeconds(10), false);
    }

    static ObservedMachine seen(Capacity capacity, Pod... pods) {
        return new ObservedMachine(true, true, 0, List.of(pods), capacity);
    }

    static ObservedMachine seen(Pod... pods) {
        return seen(Capacity.available(), pods);
    }

    @Test
    void aNewStudioGetsItsAnchorVolumeAndFirstPod() {
        var plan = PLANNER.plan(ON_CPU, new ObservedMachine(false, false, 0, List.of(), Capacity.available()), NOW);
        assertThat(plan.steps()).containsExactly(new CreateAnchor(), new CreateVolume(), new CreatePod("cpu-2", 1));
        assertThat(plan.phase()).isEqualTo(Phase.SCHEDULING);
    }

    @Test
    void aMachineWhoseJobsDoNotAnswerStopsAfterThePatienceAndOneThatCannotAnswerStopsAtOnce() {
        var silent = Map.of(1L, new WorkSave(NOW.minus(MachinePlanner.SAVE_PATIENCE).minusSeconds(1), false));
        assertThat(PLANNER.plan(TO_A100, seen(pod("cpu-2", 1, State.READY)).withSaves(silent), NOW).steps())
                .containsExactly(new DeletePod("kiln-studio-s1-g1"));
        // Not ready (its agent is not home): nobody to ask.
        assertThat(PLANNER.plan(TO_A100, seen(pod("cpu-2", 1, State.STARTING)), NOW).steps())
                .containsExactly(new DeletePod("kiln-studio-s1-g1"));
    }

    @Test
    void aReadyMachineNeedsNothing() {
        var plan = PLANNER.plan(ON_CPU, seen(pod("cpu-2", 1, State.READY)), NOW);
        assertThat(plan.steps()).isEmpty();
        assertThat(plan.phase()).isEqualTo(Phase.READY);
    }

    @Test
    void theSwitchGoesCapacitySaveStopScheduleReady() {
        // 1. Capacity is there: save work and stop the old machine (the volume attaches to one node at a time).
        var plan = PLANNER.plan(TO_A100, seen(pod("cpu-2", 1, State.READY)), NOW);
        assertThat(plan.steps()).containsExactly(new SaveWork("kiln-studio-s1-g1", 1));
        assertThat(plan.phase()).isEqualTo(Phase.SAVING);
        // Asked, not answered yet: wait (its jobs are checkpointing).
        var asked = Map.of(1L, new WorkSave(NOW.minusSeconds(5), false));
        plan = PLANNER.plan(TO_A100, seen(pod("cpu-2", 1, State.READY)).withSaves(asked), NOW);
        assertThat(plan.steps()).isEmpty();
        assertThat(plan.phase()).isEqualTo(Phase.SAVING);
        // Saved: now the old machine stops.
        plan = PLANNER.plan(TO_A100, seen(pod("cpu-2", 1, State.READY)).withSaves(Map.of(1L,
                new WorkSave(NOW.minusSeconds(5), true))), NOW);
        assertThat(plan.steps()).containsExactly(new DeletePod("kiln-studio-s1-g1"));
        assertThat(plan.phase()).isEqualTo(Phase.STOPPING_OLD_MACHINE);
        // 2. The old pod is terminating: wait.
        var terminating = new Pod("kiln-studio-s1-g1", "cpu-2", 1, State.READY, null, NOW, true);
        plan = PLANNER.plan(TO_A100, seen(terminating), NOW);
        assertThat(plan.steps()).isEmpty();
        assertThat(plan.phase()).isEqualTo(Phase.STOPPING_OLD_MACHINE);
        // 3. Gone: create the A100 pod under a new generation (the anchor remembers generation 1).
        plan = PLANNER.plan(TO_A100, new ObservedMachine(true, true, 1, List.of(), Capacity.available()), NOW);
        assertThat(plan.steps()).containsExactly(new CreatePod("a100-80gb", 2));
        // 4. Phases follow the pod.
        assertThat(PLANNER.plan(TO_A100, seen(pod("a100-80gb", 2, State.SCHEDULING)), NOW).phase())
                .isEqualTo(Phase.SCHEDULING);
        assertThat(PLANNER.plan(TO_A100, seen(pod("a100-80gb", 2, State.PULLING_IMAGE)), NOW).phase())
                .isEqualTo(Phase.PULLING_IMAGE);
        assertThat(PLANNER.plan(TO_A100, seen(pod("a100-80gb", 2, State.STARTING)), NOW).phase())
                .isEqualTo(Phase.STARTING_AGENT);
        plan = PLANNER.plan(TO_A100, seen(pod("a100-80gb", 2, State.READY)), NOW);
        assertThat(plan.phase()).isEqualTo(Phase.READY);
        assertThat(plan.steps()).isEmpty();
    }

    @Test
    void noCapacityLeavesTheRunningMachineAloneAndGoesBack() {
        var plan = PLANNER.plan(TO_A100, seen(Capacity.noRoom("No A100 free right now"), pod("cpu-2", 1, State.READY)), NOW);
        assertThat(plan.steps()).containsExactly(new Revert("cpu-2", "No A100 free right now",
                "Wait and try again, or pick another machine type"));
        assertThat(plan.phase()).isEqualTo(Phase.REVERTING);
    }

    @Test
    void aTargetStuckPastPatienceIsRemovedAndTheStudioGoesBack() {
        var stuck = new Pod("kiln-studio-s1-g2", "a100-80gb", 2, State.UNSCHEDULABLE,
                "0/3 nodes are available: 3 Insufficient nvidia.com/gpu", NOW.minus(Duration.ofMinutes(4)), false);
        var plan = PLANNER.plan(TO_A100, seen(stuck), NOW);
        assertThat(plan.steps()).isEmpty();
        assertThat(plan.detail()).contains("Waiting for room: 0/3 nodes are available");

        var later = NOW.plus(Duration.ofMinutes(1));
        plan = PLANNER.plan(TO_A100, seen(stuck), later);
        assertThat(plan.steps()).hasSize(2).first().isEqualTo(new DeletePod("kiln-studio-s1-g2"));
        assertThat(plan.steps().get(1)).isInstanceOfSatisfying(Revert.class, revert -> {
            assertThat(revert.toType()).isEqualTo("cpu-2");
            assertThat(revert.reason()).isEqualTo("No a100-80gb machine could be scheduled: 0/3 nodes are available: "
                    + "3 Insufficient nvidia.com/gpu");
        });
    }

    @Test
    void imagePullAndCrashLoopFailuresAlsoGoBack() {
        for (State failure : List.of(State.IMAGE_PULL_FAILED, State.CRASH_LOOP)) {
            var pod = new Pod("kiln-studio-s1-g2", "a100-80gb", 2, failure, "back-off", NOW.minus(Duration.ofMinutes(6)),
                    false);
            var plan = PLANNER.plan(TO_A100, seen(pod), NOW);
            assertThat(plan.phase()).as("%s", failure).isEqualTo(Phase.REVERTING);
            assertThat(plan.steps()).contains(new DeletePod("kiln-studio-s1-g2"));
        }
    }

    @Test
    void afterGoingBackTheOldTypeIsPlacedAgainUnderANewGeneration() {
        var plan = PLANNER.plan(ON_CPU, new ObservedMachine(true, true, 2, List.of(), Capacity.available()), NOW);
        assertThat(plan.steps()).containsExactly(new CreatePod("cpu-2", 3));
    }

    @Test
    void withoutAPreviousMachineAFailureIsShownNotReverted() {
        var plan = PLANNER.plan(DesiredMachine.running("s1", "h100"), seen(Capacity.noRoom("No H100 node exists")), NOW);
        assertThat(plan.steps()).isEmpty();
        assertThat(plan.phase()).isEqualTo(Phase.FAILED);
        assertThat(plan.detail()).isEqualTo("No H100 node exists");
    }

    @Test
    void aRestartMidSwitchFindsBothMachinesAndKeepsTheNewOne() {
        var plan = PLANNER.plan(TO_A100, seen(pod("cpu-2", 1, State.READY), pod("a100-80gb", 2, State.READY)), NOW);
        assertThat(plan.steps()).containsExactly(new DeletePod("kiln-studio-s1-g1"));
        assertThat(plan.phase()).isEqualTo(Phase.READY);
    }

    @Test
    void stoppingSavesAndDeletesPodsButNeverTheVolume() {
        var plan = PLANNER.plan(ON_CPU.stopped(), seen(pod("cpu-2", 1, State.READY)), NOW);
        assertThat(plan.steps()).containsExactly(new SaveWork("kiln-studio-s1-g1", 1));
        assertThat(plan.phase()).isEqualTo(Phase.SAVING);
        plan = PLANNER.plan(ON_CPU.stopped(), seen(pod("cpu-2", 1, State.READY)).withSaves(Map.of(1L,
                new WorkSave(NOW.minusSeconds(1), true))), NOW);
        assertThat(plan.steps()).containsExactly(new DeletePod("kiln-studio-s1-g1"));
        assertThat(plan.phase()).isEqualTo(Phase.STOPPING);
        plan = PLANNER.plan(ON_CPU.stopped(), seen(), NOW);
        assertThat(plan.steps()).isEmpty();
        assertThat(plan.phase()).isEqualTo(Phase.STOPPED);
    }

    @Test
    void theSameObservationAlwaysGivesTheSamePlan() {
        var observed = seen(pod("cpu-2", 1, State.READY));
        assertThat(PLANNER.plan(TO_A100, observed, NOW)).isEqualTo(PLANNER.plan(TO_A100, observed, NOW));
    }

    @Test
    void aMachineThatDiedIsReplacedUnderANewGeneration() {
        var dead = new Pod("kiln-studio-s1-g1", "cpu-2", 1, State.FAILED, "the agent process exited with code 137",
                NOW, false);
        var plan = PLANNER.plan(ON_CPU, seen(dead), NOW);
        assertThat(plan.steps()).containsExactly(new DeletePod("kiln-studio-s1-g1"));
        assertThat(plan.detail()).contains("exited with code 137").endsWith("restarting it");
        plan = PLANNER.plan(ON_CPU, new ObservedMachine(true, true, 1, List.of(), Capacity.available()), NOW);
        assertThat(plan.steps()).containsExactly(new CreatePod("cpu-2", 2));
    }

    @Test
    void sentencesNameMachinesTheWayUsersSeeThem() {
        var planner = new MachinePlanner(Duration.ofMinutes(5), id -> id.equals("cpu-2") ? "CPU · 2 cores" : id);
        assertThat(planner.plan(ON_CPU, seen(pod("cpu-2", 1, State.READY)), NOW).detail())
                .isEqualTo("Running on CPU · 2 cores");
        assertThat(planner.plan(TO_A100, seen(Capacity.noRoom("No A100 free right now"), pod("cpu-2", 1, State.READY)),
                NOW).detail()).isEqualTo("No A100 free right now; going back to CPU · 2 cores");
    }
}
