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

    @Test
    void sharedPagesCountOnceAcrossTheMachinesProcesses() throws Exception {
        // Two processes mapping the same libraries: 300 MiB resident each, of which each holds 100 MiB (PSS).
        for (String pid : new String[] {"10", "11"}) {
            var process = Files.createDirectories(dir.resolve("proc").resolve(pid));
            Files.writeString(process.resolve("stat"), pid + " (java) S 1 1 1 0 -1 0 0 0 0 0 5 5 0 0 20 0 1 0 1 0 0");
            Files.writeString(process.resolve("statm"), "200000 76800 60000 1 0 1000 0\n");
            Files.writeString(process.resolve("smaps_rollup"), """
                    55d0c0000000-7ffd00000000 ---p 00000000 00:00 0                          [rollup]
                    Rss:              307200 kB
                    Pss:              102400 kB
                    Shared_Clean:     204800 kB
                    """);
        }
        // A third without smaps_rollup (an older kernel): its resident size, 4 MiB.
        var old = Files.createDirectories(dir.resolve("proc").resolve("12"));
        Files.writeString(old.resolve("stat"), "12 (sh) S 1 1 1 0 -1 0 0 0 0 0 1 1 0 0 20 0 1 0 1 0 0");
        Files.writeString(old.resolve("statm"), "2000 1024 500 1 0 100 0\n");
        var sample = new MachineProcesses(dir.resolve("proc"), () -> LongStream.of(10, 11, 12)).sample();
        assertThat(sample.residentBytes()).isEqualTo(2 * 100L * 1024 * 1024 + 4L * 1024 * 1024);
    }
}
