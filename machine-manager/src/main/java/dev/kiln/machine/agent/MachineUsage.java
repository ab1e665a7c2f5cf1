package dev.kiln.machine.agent;

import dev.kiln.machine.protocol.FromMachine;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.function.LongSupplier;

/**
 * What the machine itself is using, sampled for each health report: the CPU of its own processes over its own cores
 * (0..1; a 1-core machine never reports more than its one core, whatever the host does), the memory its processes
 * hold out of what it may use (its cgroup's limit where it has one, else the host's memory), the home volume's disk,
 * and each GPU ({@link GpuSampler}). A local machine shares the host's kernel without a cgroup of its own, so the
 * host-wide figures the JDK gives would describe the host, not the machine. Cheap enough to sample every second
 * (benchmarks/jobs.sh measures it).
 */
final class MachineUsage {
    private final Path home;
    private final GpuSampler gpus = GpuSampler.find();
    private final MachineProcesses processes;
    private final int cpus;
    private final LongSupplier nanoTime;
    private final long memoryLimit;
    private java.nio.file.FileStore store;
    private MachineProcesses.Sample last;
    private long lastNanos;

    MachineUsage(Path home) {
        this(home, MachineProcesses.forThisMachine(), ManagementFactory.getOperatingSystemMXBean()
                .getAvailableProcessors(), System::nanoTime, Path.of("/sys/fs/cgroup"));
    }

    /** {@code cpus}: the machine's cores (the agent's processor count: its {@code taskset} share, or the pod's). */
    MachineUsage(Path home, MachineProcesses processes, int cpus, LongSupplier nanoTime, Path cgroup) {
        this.home = home;
        this.processes = processes;
        this.cpus = Math.max(1, cpus);
        this.nanoTime = nanoTime;
        this.memoryLimit = memoryLimit(cgroup, hostMemory());
    }

    /** A health report at {@code time}, with {@code dropped} messages so far. */
    FromMachine.Health sample(String time, long dropped) {
        var now = processes.sample();
        long nanos = nanoTime.getAsLong();
        Double cpu = null;
        if (last != null && nanos > lastNanos) {
            double busy = now.cpuSecondsSince(last);
            double available = (nanos - lastNanos) / 1e9 * cpus;
            cpu = Math.min(1.0, Math.max(0.0, busy / available));
        }
        last = now;
        lastNanos = nanos;
        Long diskTotal = null;
        Long diskUsed = null;
        try {
            if (store == null) {
                store = Files.getFileStore(home); // looked up once: it reads the mount table
            }
            diskTotal = store.getTotalSpace();
            diskUsed = store.getTotalSpace() - store.getUsableSpace();
        } catch (IOException ignored) {
            // no disk figures this time
        }
        long memoryUsed = Math.min(now.residentBytes(), memoryLimit);
        return new FromMachine.Health(time, cpus, ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage(),
                cpu, memoryLimit, memoryUsed, diskTotal, diskUsed, gpus.available() ? gpus.sample() : List.of(),
                dropped);
    }

    int cpus() {
        return cpus;
    }

    private static long hostMemory() {
        return ManagementFactory.getOperatingSystemMXBean() instanceof com.sun.management.OperatingSystemMXBean os
                ? os.getTotalMemorySize() : Long.MAX_VALUE;
    }

    /** The cgroup's memory limit (v2 {@code memory.max}, v1 {@code memory.limit_in_bytes}) when below the host's. */
    static long memoryLimit(Path cgroup, long host) {
        for (Path file : List.of(cgroup.resolve("memory.max"), cgroup.resolve("memory/memory.limit_in_bytes"))) {
            try {
                String value = Files.readString(file).strip();
                if (!value.equals("max")) {
                    long limit = Long.parseLong(value);
                    if (limit > 0 && limit < host) {
                        return limit;
                    }
                }
            } catch (IOException | RuntimeException absent) {
                // no such cgroup file here
            }
        }
        return host;
    }
}
