package dev.kiln.machine.local;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.List;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import dev.kiln.machine.agent.AgentRegistry;
import dev.kiln.machine.catalog.MachineCatalog;
import dev.kiln.machine.plan.DesiredMachine;
import dev.kiln.machine.plan.MachinePlan;
import dev.kiln.machine.plan.MachinePlanner;
import dev.kiln.machine.plan.MachineReconciler;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * An agent that dies before it ever dials home (here: its JVM refuses an option, as it would a broken classpath)
 * is not restarted in a loop: the machine fails once, with the agent's own last words as the reason.
 */
class LocalAgentCrashTest {
    @TempDir
    Path dir;

    @Test
    void anAgentThatCannotStartFailsOnceWithItsReason() throws Exception {
        var backend = new LocalProcessBackend(dir, MachineCatalog.localDefaults(), new AgentRegistry(),
                () -> "http://127.0.0.1:9", Clock.systemUTC(), List.of("-XX:+KilnNoSuchOption"));
        var reconciler = new MachineReconciler<>(backend, new MachinePlanner(Duration.ofMinutes(2)), Clock.systemUTC());
        var desired = DesiredMachine.running("s1", "local-1");
        MachinePlan plan = null;
        long until = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        while (System.nanoTime() < until) {
            plan = reconciler.reconcile("s1", desired, d -> { });
            if (plan.phase() == MachinePlan.Phase.FAILED) {
                break;
            }
            Thread.sleep(100);
        }
        assertThat(plan.phase()).isEqualTo(MachinePlan.Phase.FAILED);
        assertThat(plan.detail()).contains("kept crashing while starting").contains("exited with code 1")
                .contains("KilnNoSuchOption");
        try (var logs = Files.list(dir.resolve("s1"))) {
            assertThat(logs.filter(p -> p.getFileName().toString().startsWith("agent-g")).count())
                    .as("started once, not in a loop").isEqualTo(1);
        }
        backend.shutdown();
    }

    @Test
    void observingChangesNothingWhileAMachineIsStoppedAndRemoved() throws Exception {
        var backend = new LocalProcessBackend(dir, MachineCatalog.localDefaults(), new AgentRegistry(),
                () -> "http://127.0.0.1:9", Clock.systemUTC(), List.of("-XX:+KilnNoSuchOption"));
        var reconciler = new MachineReconciler<>(backend, new MachinePlanner(Duration.ofMinutes(2)), Clock.systemUTC());
        var desired = DesiredMachine.running("s2", "local-1");
        long until = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        while (System.nanoTime() < until && reconciler.reconcile("s2", desired, d -> { }).phase() != MachinePlan.Phase.FAILED) {
            Thread.sleep(100);
        }
        // The same observation twice gives the same plan: observe() has no side effects, before and during removal.
        var failed = backend.observe("s2", "local-1");
        assertThat(backend.observe("s2", "local-1")).isEqualTo(failed);
        reconciler.reconcile("s2", desired.stopped(), d -> { });
        var removing = backend.observe("s2", "local-1");
        assertThat(backend.observe("s2", "local-1")).isEqualTo(removing);
        assertThat(removing.pods()).as("a deleted machine whose process is gone is not observed").isEmpty();
        until = System.nanoTime() + Duration.ofSeconds(15).toNanos();
        while (System.nanoTime() < until && !backend.studiosWithMachines().isEmpty()) {
            Thread.sleep(50);
        }
        assertThat(backend.studiosWithMachines()).as("the machine leaves the backend once its process exited").isEmpty();
        backend.shutdown();
    }
}
