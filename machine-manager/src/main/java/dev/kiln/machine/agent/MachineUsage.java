package dev.kiln.machine.agent;

import dev.kiln.machine.protocol.FromMachine;
import java.util.List;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * What the machine is using, sampled for each health report: CPU (0..1 of the whole machine, container-aware on
 * Linux), memory, the home volume's disk, and each GPU ({@link GpuSampler}). Cheap enough to sample every second
 * (benchmarks/jobs.sh measures it).
 */
final class MachineUsage {
    private final Path home;
    private final GpuSampler gpus = GpuSampler.find();
    private java.nio.file.FileStore store;

    MachineUsage(Path home) {
        this.home = home;
    }

    /** A health report at {@code time}, with {@code dropped} messages so far. */
    FromMachine.Health sample(String time, long dropped) {
        var os = ManagementFactory.getOperatingSystemMXBean();
        Double cpu = null;
        Long memoryTotal = null;
        Long memoryUsed = null;
        if (os instanceof com.sun.management.OperatingSystemMXBean sun) {
            cpu = Math.max(0, sun.getCpuLoad());
            memoryTotal = sun.getTotalMemorySize();
            memoryUsed = sun.getTotalMemorySize() - sun.getFreeMemorySize();
        }
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
        return new FromMachine.Health(time, os.getAvailableProcessors(), os.getSystemLoadAverage(), cpu, memoryTotal,
                memoryUsed, diskTotal, diskUsed, gpus.available() ? gpus.sample() : List.of(), dropped);
    }
}
