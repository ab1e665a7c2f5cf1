package dev.kiln.machine.agent;

import dev.kiln.machine.protocol.FromMachine;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * Per-GPU utilization, memory, temperature and power, read with {@code nvidia-smi} (present wherever the NVIDIA
 * driver is: on GPU nodes, and in pods through the NVIDIA container toolkit). Machines without it report no GPUs.
 * One query reads every GPU in about 20 ms, so sampling it with each health report costs little.
 */
public final class GpuSampler {
    static final String QUERY = "index,name,utilization.gpu,memory.used,memory.total,temperature.gpu,power.draw";
    private static final long MIB = 1L << 20;

    private final Path nvidiaSmi;

    GpuSampler(Path nvidiaSmi) {
        this.nvidiaSmi = nvidiaSmi;
    }

    /** The sampler for this machine: nvidia-smi from PATH or its usual place, or none. */
    public static GpuSampler find() {
        var candidates = new ArrayList<Path>();
        for (String dir : System.getenv().getOrDefault("PATH", "").split(java.io.File.pathSeparator)) {
            if (!dir.isBlank()) {
                candidates.add(Path.of(dir, "nvidia-smi"));
            }
        }
        candidates.add(Path.of("/usr/bin/nvidia-smi"));
        return new GpuSampler(candidates.stream().filter(Files::isExecutable).findFirst().orElse(null));
    }

    public boolean available() {
        return nvidiaSmi != null;
    }

    /** How many GPUs this machine has (0 without nvidia-smi, or when it fails). */
    public int count() {
        return sample().size();
    }

    /** The GPUs now, each as index, name, utilization (0..1), memoryUsed/Total (bytes), temperature, power. */
    public List<FromMachine.Gpu> sample() {
        if (nvidiaSmi == null) {
            return List.of();
        }
        try {
            Process process = new ProcessBuilder(nvidiaSmi.toString(), "--query-gpu=" + QUERY,
                    "--format=csv,noheader,nounits").redirectErrorStream(true).start();
            String out = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            if (!process.waitFor(5, TimeUnit.SECONDS) || process.exitValue() != 0) {
                process.destroyForcibly();
                return List.of();
            }
            return parse(out);
        } catch (IOException e) {
            return List.of();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return List.of();
        }
    }

    /** Parses {@code nvidia-smi --query-gpu=QUERY --format=csv,noheader,nounits}; "[N/A]" fields read as 0. */
    static List<FromMachine.Gpu> parse(String csv) {
        var gpus = new ArrayList<FromMachine.Gpu>();
        for (String line : csv.split("\\R")) {
            String[] f = line.split(",\\s*");
            if (f.length < 7 || !f[0].strip().matches("\\d+")) {
                continue;
            }
            gpus.add(new FromMachine.Gpu(Integer.parseInt(f[0].strip()), f[1].strip(), number(f[2]) / 100.0,
                    (long) (number(f[3]) * MIB), (long) (number(f[4]) * MIB), number(f[5]), number(f[6])));
        }
        return gpus;
    }

    private static double number(String field) {
        try {
            return Double.parseDouble(field.strip());
        } catch (NumberFormatException e) {
            return 0;
        }
    }
}
