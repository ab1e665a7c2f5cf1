package dev.kiln.benchmarks.training;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.SGD;
import org.bytedeco.pytorch.SGDOptions;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;

import dev.kiln.training.Accelerator;
import dev.kiln.training.Trainer;
import dev.kiln.training.cli.KilnTrain;
import dev.kiln.training.data.TensorDataset;
import dev.kiln.training.runtime.Tensors;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * The training runtime's figures, each beside its baseline in the same run (issue 3):
 * <ol>
 *   <li>Trainer overhead: steps/s of the Trainer and of a hand-written libtorch loop on the same model;</li>
 *   <li>threads: the default choice against libtorch's own defaults and other settings, each in a fresh JVM;</li>
 *   <li>memory: resident set size at the start and end of a 10,000-step run;</li>
 *   <li>DDP: samples/s for 1 and 2 processes on this host, and the all-reduce time per step.</li>
 * </ol>
 * Not a test: nothing here passes or fails on a number.
 */
public final class TrainerBench {
    private static final JsonMapper JSON = JsonMapper.shared();

    public static void main(String[] args) throws Exception {
        String mode = args.length > 0 ? args[0] : "all";
        switch (mode) {
            case "overhead" -> overhead(Integer.parseInt(args[1]), Integer.parseInt(args[2]));
            case "hand" -> {
                if (args.length > 2) {
                    dev.kiln.training.runtime.Threads.apply(new dev.kiln.training.runtime.Threads.Choice(
                            Integer.parseInt(args[2]), 1, "bench"));
                }
                System.out.println("RESULT " + handLoop(Integer.parseInt(args[1]), false).wall());
            }
            case "trainer" -> System.out.println("RESULT " + trainer(Integer.parseInt(args[1]), Integer.parseInt(args[2]),
                    null).wall());
            case "memory" -> memory(Integer.parseInt(args[1]));
            case "ddp" -> {
                ddp(1);
                ddp(2);
            }
            case "all" -> all(args.length > 1 ? Integer.parseInt(args[1]) : 5);
            default -> throw new IllegalArgumentException("modes: all [runs], overhead, hand, trainer, memory, ddp");
        }
        System.exit(0);
    }

    private static void all(int runs) throws Exception {
        System.out.println("Kiln training runtime benchmark: " + Runtime.getRuntime().availableProcessors()
                + " cores, Java " + Runtime.version() + ", libtorch via org.bytedeco:pytorch");
        System.out.println();
        System.out.println("## 1. Trainer overhead (one JVM, interleaved, median of " + (runs + 2) + " runs of 3,000 steps)");
        fresh(List.of("overhead", String.valueOf(runs + 2), "3000"), Map.of()).forEach(System.out::println);

        System.out.println();
        System.out.println("## 2. Thread settings (a fresh JVM each, median of " + runs + " runs of 2,000 steps)");
        var settings = new LinkedHashMap<String, List<String>>();
        var envs = new LinkedHashMap<String, Map<String, String>>();
        // About 40 steps/s: fewer steps, or this row alone takes minutes.
        settings.put("hand loop, libtorch defaults (OpenMP + OpenBLAS pools)", List.of("hand", "300"));
        envs.put("hand loop, libtorch defaults (OpenMP + OpenBLAS pools)", Map.of());
        settings.put("hand loop, OMP_WAIT_POLICY=PASSIVE", List.of("hand", "2000"));
        envs.put("hand loop, OMP_WAIT_POLICY=PASSIVE", Map.of("OMP_WAIT_POLICY", "PASSIVE"));
        settings.put("Trainer, Kiln's default choice", List.of("trainer", "2000", "0"));
        envs.put("Trainer, Kiln's default choice", Map.of());
        int cores = Runtime.getRuntime().availableProcessors();
        for (int threads = 1; threads <= cores; threads++) {
            String name = "Trainer, threads=" + threads;
            settings.put(name, List.of("trainer", "2000", String.valueOf(threads)));
            envs.put(name, Map.of());
        }
        var medians = new LinkedHashMap<String, Double>();
        for (var entry : settings.entrySet()) {
            double[] results = new double[runs];
            for (int r = 0; r < runs; r++) {
                results[r] = result(fresh(entry.getValue(), envs.get(entry.getKey())));
            }
            medians.put(entry.getKey(), median(results));
        }
        double best = medians.values().stream().mapToDouble(Double::doubleValue).max().orElse(1);
        System.out.printf("| %-58s | %10s | %8s |%n", "setting", "steps/s", "vs best");
        medians.forEach((name, value) -> System.out.printf("| %-58s | %10.0f | %7.0f%% |%n", name, value,
                100 * value / best));

        System.out.println();
        System.out.println("## 3. Native memory over 10,000 Trainer steps");
        fresh(List.of("memory", "10000"), Map.of()).forEach(System.out::println);

        System.out.println();
        System.out.println("## 4. DDP on this host (kiln-train, 3 epochs of 256 batches per process count)");
        ddp(1);
        ddp(2);
    }

    /**
     * Steps per second by the wall clock and per second of the training thread's CPU time. With one intra-op thread
     * and OpenBLAS at 1 (Kiln's choice on this machine), libtorch computes on the calling thread, so the CPU figure
     * counts the loop's own work and stays readable when other processes share the cores; the wall figure does not.
     */
    record Rate(double wall, double cpu) {
        static Rate of(long steps, long wallNanos, long cpuNanos) {
            return new Rate(steps / (wallNanos / 1e9), steps / (cpuNanos / 1e9));
        }
    }

    private static long threadCpuNanos() {
        return ManagementFactory.getThreadMXBean().getCurrentThreadCpuTime();
    }

    /** Trainer and hand loop alternately in one JVM, so JIT and caches treat them alike. */
    private static void overhead(int runs, int steps) throws Exception {
        handLoop(300, true);
        trainer(300, 0, null);
        Rate[] hand = new Rate[runs];
        Rate[] trained = new Rate[runs];
        for (int r = 0; r < runs; r++) {
            hand[r] = handLoop(steps, true);
            trained[r] = trainer(steps, 0, null);
        }
        double[] handWall = Arrays.stream(hand).mapToDouble(Rate::wall).toArray();
        double[] trainedWall = Arrays.stream(trained).mapToDouble(Rate::wall).toArray();
        double[] handCpu = Arrays.stream(hand).mapToDouble(Rate::cpu).toArray();
        double[] trainedCpu = Arrays.stream(trained).mapToDouble(Rate::cpu).toArray();
        System.out.printf("| %-40s | %10s | %22s |%n", "loop", "steps/s", "steps per CPU second");
        System.out.printf("| %-40s | %10.0f | %22.0f |%n", "hand-written libtorch loop", median(handWall), median(handCpu));
        System.out.printf("| %-40s | %10.0f | %22.0f |%n", "Kiln Trainer", median(trainedWall), median(trainedCpu));
        System.out.printf("Trainer / hand loop = %.1f%% (target at least 97%%); runs: hand %s, trainer %s%n",
                100 * median(trainedWall) / median(handWall), Arrays.toString(round(handWall)),
                Arrays.toString(round(trainedWall)));
        System.out.printf("By CPU time: Trainer / hand loop = %.1f%%; runs: hand %s, trainer %s%n",
                100 * median(trainedCpu) / median(handCpu), Arrays.toString(round(handCpu)),
                Arrays.toString(round(trainedCpu)));
    }

    /**
     * The loop a libtorch user writes by hand: same model, data, batch and optimizer; gathers each batch with
     * index_select from a shuffled order, reads the loss every step, frees native memory per step.
     */
    static Rate handLoop(int steps, boolean kilnThreads) {
        if (kilnThreads) {
            dev.kiln.training.runtime.Threads.apply(dev.kiln.training.runtime.Threads.choose(0, System.getenv(),
                    Runtime.getRuntime().availableProcessors(), 1));
        }
        torch.manual_seed(1);
        var model = new BenchMlp();
        TensorDataset data = BenchMlp.randomData();
        var optimizer = new SGD(model.parameters(), new SGDOptions(0.01));
        long[] order = dev.kiln.training.data.Sampler.shuffled(1, 0).indices(data.size(), 0);
        int batches = order.length / BenchMlp.BATCH;
        double running = 0;
        long start = System.nanoTime();
        long cpuStart = threadCpuNanos();
        int warmup = Math.min(WARMUP, steps / 2);
        for (int step = 0; step < steps; step++) {
            if (step == warmup) {
                start = System.nanoTime();
                cpuStart = threadCpuNanos();
            }
            try (var scope = new PointerScope()) {
                int b = step % batches;
                var batch = data.get(Arrays.copyOfRange(order, b * BenchMlp.BATCH, (b + 1) * BenchMlp.BATCH));
                optimizer.zero_grad();
                Tensor loss = torch.cross_entropy(model.forward(batch.x()), batch.y());
                loss.backward();
                optimizer.step();
                running += loss.item_float();
            }
        }
        long wall = System.nanoTime() - start;
        long cpu = threadCpuNanos() - cpuStart;
        if (Double.isNaN(running)) {
            throw new IllegalStateException("diverged");
        }
        return Rate.of(steps - warmup, wall, cpu);
    }

    /** Both loops skip the same warm-up (JIT, allocator) before the clock starts. */
    static final int WARMUP = 200;

    /** Times Trainer steps after the warm-up, from inside the loop, like the hand loop's clock. */
    static final class SteadyTimer implements dev.kiln.training.callbacks.Callback {
        final long warmup;
        final long steps;
        long start;
        long end;
        long cpuStart;
        long cpuEnd;

        SteadyTimer(int steps) {
            this.warmup = Math.min(WARMUP, steps / 2);
            this.steps = steps;
        }

        @Override
        public void onTrainBatchEnd(Trainer trainer, dev.kiln.training.TrainingModule module, double loss, long i) {
            if (trainer.globalStep() == warmup) {
                start = System.nanoTime();
                cpuStart = threadCpuNanos();
            }
            end = System.nanoTime();
            if (trainer.globalStep() == steps) {
                cpuEnd = threadCpuNanos();
            }
        }

        Rate rate() {
            return Rate.of(steps - warmup, end - start, cpuEnd - cpuStart);
        }
    }

    static Rate trainer(int steps, int threads, Path metrics) throws Exception {
        Path dir = Files.createTempDirectory("kiln-bench");
        var timer = new SteadyTimer(steps);
        try (var trainer = Trainer.builder().accelerator(Accelerator.CPU).maxSteps(steps).seed(1).threads(threads)
                .rootDir(dir).checkpointing(false).progressBar(false).verbose(false).logEveryNSteps(100)
                .metricsChannel(metrics != null ? metrics.toString() : dir.resolve("metrics.jsonl").toString())
                .build()) {
            var model = new BenchMlp();
            model.trainLoader(); // generate the data outside the timing, as the hand loop does
            trainer.addCallbacks(List.of(timer));
            trainer.fit(model, model);
            return timer.rate();
        } finally {
            dev.kiln.training.checkpoint.CheckpointIO.deleteTree(dir);
        }
    }

    private static void memory(int steps) throws Exception {
        Path dir = Files.createTempDirectory("kiln-bench");
        var rss = new long[2];
        var probe = new dev.kiln.training.callbacks.Callback() {
            @Override
            public void onTrainBatchEnd(Trainer trainer, dev.kiln.training.TrainingModule module, double loss, long i) {
                if (trainer.globalStep() == 500) {
                    rss[0] = rssKb();
                }
            }
        };
        try (var trainer = Trainer.builder().accelerator(Accelerator.CPU).maxSteps(steps).seed(1).rootDir(dir)
                .checkpointing(false).progressBar(false).verbose(false).logEveryNSteps(100)
                .metricsChannel(dir.resolve("metrics.jsonl").toString()).callbacks(probe).build()) {
            var model = new BenchMlp();
            trainer.fit(model, model);
        }
        rss[1] = rssKb();
        System.out.printf("RSS after 500 steps: %d MB; after %,d steps: %d MB (%+d MB)%n", rss[0] / 1024, steps,
                rss[1] / 1024, (rss[1] - rss[0]) / 1024);
        dev.kiln.training.checkpoint.CheckpointIO.deleteTree(dir);
    }

    private static void ddp(int processes) throws Exception {
        Path dir = Files.createTempDirectory("kiln-ddp");
        var args = new ArrayList<String>();
        if (processes > 1) {
            args.addAll(List.of("launch", "--nproc-per-node", String.valueOf(processes), "--"));
        }
        args.addAll(List.of("fit", "--module", BenchMlp.class.getName(), "--trainer.accelerator=cpu",
                "--trainer.max-epochs=3", "--trainer.progress-bar=false", "--trainer.checkpointing=false",
                "--trainer.log-every-n-steps=20", "--trainer.root-dir=" + dir));
        var lines = run(KilnTrain.class.getName(), args, Map.of());
        var throughput = new ArrayList<Double>();
        var allreduce = new ArrayList<Double>();
        for (String line : lines) {
            if (!line.startsWith("{\"type\":\"kiln.metrics\"")) {
                continue;
            }
            JsonNode node = JSON.readTree(line);
            if (node.path("step").asLong() <= 20) {
                continue; // warm-up
            }
            JsonNode metrics = node.path("metrics");
            if (metrics.has("samples_per_sec")) {
                throughput.add(metrics.path("samples_per_sec").asDouble());
            }
            if (metrics.has("allreduce_ms")) {
                allreduce.add(metrics.path("allreduce_ms").asDouble());
            }
        }
        double samples = median(throughput.stream().mapToDouble(Double::doubleValue).toArray());
        String reduce = allreduce.isEmpty() ? "-" : String.format("%.3f ms", median(allreduce.stream()
                .mapToDouble(Double::doubleValue).toArray()));
        System.out.printf("| %d process%s | %,10.0f samples/s (all ranks) | all-reduce per step %s |%n", processes,
                processes == 1 ? "  " : "es", samples, reduce);
        dev.kiln.training.checkpoint.CheckpointIO.deleteTree(dir);
    }

    private static List<String> fresh(List<String> args, Map<String, String> env) throws Exception {
        return run(TrainerBench.class.getName(), args, env);
    }

    private static List<String> run(String mainClass, List<String> args, Map<String, String> env) throws Exception {
        var command = new ArrayList<String>();
        command.add(ProcessHandle.current().info().command().orElse("java"));
        command.add("--enable-native-access=ALL-UNNAMED");
        command.add("-cp");
        command.add(System.getProperty("java.class.path"));
        command.add(mainClass);
        command.addAll(args);
        var builder = new ProcessBuilder(command).redirectErrorStream(true);
        builder.environment().remove("OMP_WAIT_POLICY");
        builder.environment().putAll(env);
        Process process = builder.start();
        var lines = new ArrayList<String>();
        try (var reader = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
            String line;
            while ((line = reader.readLine()) != null) {
                if (!line.startsWith("WARNING")) {
                    lines.add(line);
                }
            }
        }
        if (process.waitFor() != 0) {
            throw new IllegalStateException(mainClass + " " + args + " failed:\n" + String.join("\n", lines));
        }
        return lines;
    }

    private static double result(List<String> lines) {
        return lines.stream().filter(l -> l.startsWith("RESULT ")).mapToDouble(l -> Double.parseDouble(l.substring(7)))
                .findFirst().orElseThrow(() -> new IllegalStateException(String.join("\n", lines)));
    }

    private static long rssKb() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
                if (line.startsWith("VmRSS:")) {
                    return Long.parseLong(line.replaceAll("\\D", ""));
                }
            }
        } catch (java.io.IOException e) {
            return -1;
        }
        return -1;
    }

    private static double median(double[] values) {
        if (values.length == 0) {
            return Double.NaN;
        }
        double[] sorted = values.clone();
        Arrays.sort(sorted);
        return sorted.length % 2 == 1 ? sorted[sorted.length / 2]
                : (sorted[sorted.length / 2 - 1] + sorted[sorted.length / 2]) / 2;
    }

    private static long[] round(double[] values) {
        return Arrays.stream(values).mapToLong(Math::round).toArray();
    }
}
