package dev.kiln.machine.fake;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.concurrent.atomic.AtomicReference;

import org.junit.jupiter.api.Test;

import dev.kiln.machine.agent.AgentRegistry;
import dev.kiln.machine.catalog.MachineCatalog;
import dev.kiln.machine.plan.DesiredMachine;
import dev.kiln.machine.plan.MachinePlan.Phase;
import dev.kiln.machine.plan.MachinePlanner;
import dev.kiln.machine.plan.MachineReconciler;
import dev.kiln.machine.plan.ObservedMachine.State;

/**
 * The reconciler over the fake backend, in microseconds: a switch that waits for the old machine's jobs to save
 * their work, one whose jobs never answer, and a switch to a type with no room that goes back. These are the shapes
 * the fake is for; the real backends have their own tests with real processes and a real API server.
 */
class FakeMachineBackendTest {
    final AtomicReference<Instant> now = new AtomicReference<>(Instant.parse("2026-12-01T12:00:00Z"));
    final Clock clock = new Clock() {
        @Override
        public ZoneOffset getZone() {
            return ZoneOffset.UTC;
        }

        @Override
        public Clock withZone(java.time.ZoneId zone) {
            return this;
        }

        @Override
        public Instant instant() {
            return now.get();
        }
    };
    final AgentRegistry agents = new AgentRegistry(clock);
    final FakeMachineBackend backend = new FakeMachineBackend(MachineCatalog.defaults(), agents, clock);
    final MachineReconciler<String> reconciler = new MachineReconciler<>(backend,
            new MachinePlanner(Duration.ofMinutes(2)), clock);
    DesiredMachine desired = DesiredMachine.running("s1", "cpu-2");

    Phase pass() {
        return reconciler.reconcile("s1", desired, d -> desired = d).phase();
    }

    /** Starts the studio on cpu-2 and makes its machine ready, with an agent that can be asked to save work. */
    void readyOnCpu() {
        agents.sendSaveRequestsWith(identity -> true); // a connected agent: it answers (or not) later
        assertThat(pass()).isEqualTo(Phase.SCHEDULING);
        backend.set("s1", "kiln-studio-s1-g1", State.READY, null);
        assertThat(pass()).isEqualTo(Phase.READY);
    }

    @Test
    void aSwitchWaitsForTheOldMachinesJobsToCheckpointThenMoves() {
        readyOnCpu();
        desired = desired.switchTo("a100-80gb");
        assertThat(pass()).isEqualTo(Phase.SAVING);
        assertThat(pass()).as("still waiting for the agent's answer").isEqualTo(Phase.SAVING);
        assertThat(backend.live("s1")).containsExactly("kiln-studio-s1-g1");

        agents.workSaved(new AgentRegistry.Identity("s1", 1));
        assertThat(pass()).isEqualTo(Phase.STOPPING_OLD_MACHINE);
        backend.gone("s1", "kiln-studio-s1-g1");
        assertThat(pass()).isEqualTo(Phase.SCHEDULING);
        backend.set("s1", "kiln-studio-s1-g2", State.READY, null);
        assertThat(pass()).isEqualTo(Phase.READY);
        assertThat(backend.steps()).containsSubsequence("s1:SaveWork[podName=kiln-studio-s1-g1, generation=1]",
                "s1:DeletePod[podName=kiln-studio-s1-g1]", "s1:CreatePod[machineType=a100-80gb, generation=2]");
    }

    @Test
    void jobsThatNeverAnswerHoldTheSwitchForThirtySecondsAtMost() {
        readyOnCpu();
        desired = desired.switchTo("a100-80gb");
        assertThat(pass()).isEqualTo(Phase.SAVING);
        now.set(now.get().plusSeconds(29));
        assertThat(pass()).isEqualTo(Phase.SAVING);
        now.set(now.get().plusSeconds(2));
        assertThat(pass()).isEqualTo(Phase.STOPPING_OLD_MACHINE);
    }

    @Test
    void aTypeWithNoRoomIsRefusedBeforeAnythingStops() {
        readyOnCpu();
        backend.noRoomFor("a100-80gb", "No A100 is free");
        desired = desired.switchTo("a100-80gb");
        assertThat(pass()).isEqualTo(Phase.REVERTING);
        assertThat(desired.machineType()).isEqualTo("cpu-2");
        assertThat(pass()).isEqualTo(Phase.READY);
        assertThat(backend.steps()).noneMatch(step -> step.contains("SaveWork") || step.contains("DeletePod"));
    }
}
