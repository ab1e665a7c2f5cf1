package dev.kiln.machine.agent;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.stream.LongStream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The machine's own usage: the CPU of its processes over its cores (never more than all of them), their memory out of
 * its cgroup's limit, whatever the rest of the host is doing.
 */
class MachineUsageTest {
    @TempDir
    Path dir;

    @Test
    void aOneCoreMachineNeverReportsMoreThanItsCoreEvenWithTwoBusyProcesses() throws Exception {
        var busy = new ArrayList<Process>();
        try {
            for (int i = 0; i < 2; i++) {
                busy.add(new ProcessBuilder("sh", "-c", "while :; do :; done").start());
            }
            var processes = new MachineProcesses(Path.of("/proc"), () -> busy.stream().mapToLong(Process::pid));
            var usage = new MachineUsage(dir, processes, 1, System::nanoTime, dir.resolve("no-cgroup"));
            usage.sample("t0", 0);
            double highest = 0;
            for (int i = 0; i < 4; i++) {
                Thread.sleep(500);
                var health = usage.sample("t" + i, 0);
                assertThat(health.cpus()).isEqualTo(1);
                assertThat(health.cpu()).isBetween(0.0, 1.0);
                highest = Math.max(highest, health.cpu());
            }
            // Two busy loops on this host use more than one core's worth: the figure stops at the machine's one.
            assertThat(highest).isGreaterThan(0.3);
        } finally {
            busy.forEach(Process::destroyForcibly);
        }
    }

    @Test
    void anIdleMachineIsIdleWhileTheHostIsBusy() throws Exception {
        var idle = new ProcessBuilder("sleep", "30").start();
        var spinners = new ArrayList<Thread>();
        try {
            for (int i = 0; i < 2; i++) {
                spinners.add(Thread.ofPlatform().daemon().start(() -> {
                    while (!Thread.currentThread().isInterrupted()) {
                        Math.sqrt(System.nanoTime());
                    }
                }));
            }
            var processes = new MachineProcesses(Path.of("/proc"), () -> LongStream.of(idle.pid()));
            var usage = new MachineUsage(dir, processes, 1, System::nanoTime, dir.resolve("no-cgroup"));
            usage.sample("t0", 0);
            Thread.sleep(1000);
            var health = usage.sample("t1", 0);
            assertThat(health.cpu()).isLessThan(0.05);
            assertThat(health.memoryUsed()).isPositive().isLessThan(64L << 20);
        } finally {
            spinners.forEach(Thread::interrupt);
            idle.destroyForcibly();
        }
    }

    @Test
    void memoryIsOutOfTheCgroupsLimitWhenItHasOne() throws Exception {
        Path cgroup = Files.createDirectories(dir.resolve("cgroup"));
        Files.writeString(cgroup.resolve("memory.max"), (2L << 30) + "\n");
        assertThat(MachineUsage.memoryLimit(cgroup, 24L << 30)).isEqualTo(2L << 30);
        Files.writeString(cgroup.resolve("memory.max"), "max\n");
        assertThat(MachineUsage.memoryLimit(cgroup, 24L << 30)).isEqualTo(24L << 30);
        Files.createDirectories(cgroup.resolve("memory"));
        Files.writeString(cgroup.resolve("memory/memory.limit_in_bytes"), String.valueOf(1L << 30));
        assertThat(MachineUsage.memoryLimit(cgroup, 24L << 30)).isEqualTo(1L << 30);
        assertThat(MachineUsage.memoryLimit(dir.resolve("none"), 24L << 30)).isEqualTo(24L << 30);
    }

    @Test
    void theAgentsTreeIsItselfAndWhatItStarted() throws Exception {
        var child = new ProcessBuilder("sleep", "30").start();
        try {
            var sample = MachineProcesses.agentTree(Path.of("/proc")).sample();
            assertThat(sample.ticks()).containsKeys(ProcessHandle.current().pid(), child.pid());
            assertThat(sample.residentBytes()).isPositive();
        } finally {
            child.destroyForcibly();
        }
    }

}
