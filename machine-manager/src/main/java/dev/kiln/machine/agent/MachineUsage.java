package dev.kiln.machine.agent;

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

    Map<String, Object> sample() {
        var usage = new LinkedHashMap<String, Object>();
        var os = ManagementFactory.getOperatingSystemMXBean();
        usage.put("cpus", os.getAvailableProcessors());
        usage.put("load", os.getSystemLoadAverage());
        if (os instanceof com.sun.management.OperatingSystemMXBean sun) {
            usage.put("cpu", Math.max(0, sun.getCpuLoad()));
            usage.put("memoryTotal", sun.getTotalMemorySize());
            usage.put("memoryUsed", sun.getTotalMemorySize() - sun.getFreeMemorySize());
        }
        try {
            if (store == null) {
                store = Files.getFileStore(home); // looked up once: it reads the mount table
            }
            usage.put("diskTotal", store.getTotalSpace());
            usage.put("diskUsed", store.getTotalSpace() - store.getUsableSpace());
        } catch (IOException ignored) {
            // no disk figures this time
        }
        if (gpus.available()) {
            usage.put("gpus", gpus.sample());
        }
        return usage;
    }
}
