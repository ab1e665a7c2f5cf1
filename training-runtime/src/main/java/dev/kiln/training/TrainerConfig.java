package dev.kiln.training;

import java.io.PrintStream;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.BiConsumer;

import dev.kiln.training.callbacks.Callback;
import dev.kiln.training.callbacks.ProgressBar;
import dev.kiln.training.dist.DistributedEnv;
import dev.kiln.training.metrics.MetricsSink;

/**
 * Everything a {@link Trainer} is told, with Lightning's names and defaults. {@link #resolve} checks it against the
 * machine and the environment before any work starts and says what to change when it cannot work.
 */
public record TrainerConfig(Accelerator accelerator, int devices, boolean devicesExplicit, int numNodes,
                            StrategyKind strategy, Precision precision, int maxEpochs, long maxSteps,
                            int accumulateGradBatches, double gradientClipVal, ClipAlgorithm gradientClipAlgorithm,
                            long valCheckInterval, int checkValEveryNEpoch, int numSanityValSteps, Long seed,
                            boolean deterministic,
                            boolean fastDevRun, NanPolicy nanPolicy, int logEveryNSteps, int threads, Path rootDir,
                            boolean checkpointing, boolean progressBar, String metricsChannel,
                            Duration distributedTimeout, List<Callback> callbacks, Map<String, String> environment,
                            PrintStream out, boolean verbose) {

    public enum ClipAlgorithm { NORM, VALUE }

    /** The configuration checked against this machine: what actually runs. */
    public record Resolved(Accelerator accelerator, StrategyKind strategy, DistributedEnv distributed) {}

    /** Validation batches of the sanity check before training: none in a fast dev run, all for -1. */
    long sanityCheckBatches() {
        if (fastDevRun) {
            return 0;
        }
        return numSanityValSteps < 0 ? Long.MAX_VALUE : numSanityValSteps;
    }

    int effectiveMaxEpochs() {
        if (fastDevRun) {
            return 1;
        }
        if (maxEpochs > 0) {
            return maxEpochs;
        }
        return maxSteps > 0 ? Integer.MAX_VALUE : 1000;
    }

    /** Pure check of the configuration against the environment and the CUDA devices libtorch sees. */
    public Resolved resolve(Map<String, String> env, boolean cudaAvailable, int cudaDevices) {
        Accelerator chosen = switch (accelerator) {
            case AUTO -> cudaAvailable ? Accelerator.CUDA : Accelerator.CPU;
            case CUDA -> {
                if (!cudaAvailable) {
                    throw new ConfigurationException("accelerator=cuda, but libtorch sees no CUDA device here (a CPU "
                            + "machine, or the CPU build of Kiln's runtime). Run on a GPU machine with the GPU build "
                            + "(-Pcuda), or use accelerator=auto or cpu.");
                }
                yield Accelerator.CUDA;
            }
            case CPU -> Accelerator.CPU;
        };
        if (precision == Precision.FP16_MIXED && chosen != Accelerator.CUDA) {
            throw new ConfigurationException("precision=16-mixed needs CUDA (fp16 autocast with loss scaling); on the "
                    + "CPU use precision=bf16-mixed or 32.");
        }
        if (devices < 1 || numNodes < 1) {
            throw new ConfigurationException("devices and numNodes must be at least 1 (got devices=" + devices
                    + ", numNodes=" + numNodes + ")");
        }
        if (chosen == Accelerator.CUDA && devices > cudaDevices) {
            throw new ConfigurationException("devices=" + devices + ", but this machine has " + cudaDevices
                    + " CUDA device" + (cudaDevices == 1 ? "" : "s") + ". Use devices=" + cudaDevices
                    + " or a machine with more GPUs.");
        }
        boolean launched = DistributedEnv.present(env);
        DistributedEnv distributed;
        if (launched) {
            distributed = DistributedEnv.from(env);
            int expected = devices * numNodes;
            if (devicesExplicit && distributed.worldSize() != expected) {
                throw new ConfigurationException("WORLD_SIZE=" + distributed.worldSize() + ", but devices=" + devices
                        + " x numNodes=" + numNodes + " = " + expected + " processes. Make them agree, or leave "
                        + "devices unset to take the launcher's layout.");
            }
        } else {
            int expected = devices * numNodes;
            if (expected > 1) {
                throw new ConfigurationException("devices=" + devices + " x numNodes=" + numNodes + " needs " + expected
                        + " processes, one per device, but this is a single process without MASTER_ADDR, MASTER_PORT, "
                        + "WORLD_SIZE and RANK. Start it with `kiln-train launch --nproc-per-node " + devices
                        + " ...` (or a Kiln multi-node job), or use devices=1.");
            }
            if (strategy == StrategyKind.DDP) {
                distributed = DistributedEnv.from(env); // throws, listing the missing variables
            } else {
                distributed = DistributedEnv.single();
            }
        }
        StrategyKind kind = switch (strategy) {
            case AUTO -> distributed.worldSize() > 1 ? StrategyKind.DDP : StrategyKind.SINGLE_DEVICE;
            case SINGLE_DEVICE -> {
                if (distributed.worldSize() > 1) {
                    throw new ConfigurationException("strategy=single_device, but WORLD_SIZE=" + distributed.worldSize()
                            + ": use strategy=ddp (or auto) for several processes");
                }
                yield StrategyKind.SINGLE_DEVICE;
            }
            case DDP -> StrategyKind.DDP;
        };
        if (chosen == Accelerator.CUDA && distributed.localRank() >= cudaDevices) {
            throw new ConfigurationException("LOCAL_RANK=" + distributed.localRank() + ", but this machine has only "
                    + cudaDevices + " CUDA device(s): start at most " + cudaDevices + " processes per node");
        }
        return new Resolved(chosen, kind, distributed);
    }

    public static final class Builder {
        private Accelerator accelerator = Accelerator.AUTO;
        private int devices = 1;
        private boolean devicesExplicit;
        private int numNodes = 1;
        private StrategyKind strategy = StrategyKind.AUTO;
        private Precision precision = Precision.FP32;
        private int maxEpochs = -1;
        private long maxSteps = -1;
        private int accumulateGradBatches = 1;
        private double gradientClipVal;
        private ClipAlgorithm gradientClipAlgorithm = ClipAlgorithm.NORM;
        private long valCheckInterval;
        private int checkValEveryNEpoch = 1;
        private int numSanityValSteps = 2;
        private Long seed;
        private boolean deterministic;
        private boolean fastDevRun;
        private NanPolicy nanPolicy = NanPolicy.STOP;
        private int logEveryNSteps = 10;
        private int threads;
        private Path rootDir;
        private boolean checkpointing = true;
        private Boolean progressBar;
        private String metricsChannel;
        private Duration distributedTimeout;
        private final List<Callback> callbacks = new ArrayList<>();
        private Map<String, String> environment;
        private PrintStream out = System.out;
        private boolean verbose = true;

        public Builder accelerator(Accelerator accelerator) { this.accelerator = accelerator; return this; }
        /** Devices (processes) per node. */
        public Builder devices(int devices) { this.devices = devices; this.devicesExplicit = true; return this; }
        public Builder numNodes(int numNodes) { this.numNodes = numNodes; return this; }
        public Builder strategy(StrategyKind strategy) { this.strategy = strategy; return this; }
        public Builder precision(Precision precision) { this.precision = precision; return this; }
        public Builder maxEpochs(int maxEpochs) { this.maxEpochs = maxEpochs; return this; }
        public Builder maxSteps(long maxSteps) { this.maxSteps = maxSteps; return this; }
        public Builder accumulateGradBatches(int n) { this.accumulateGradBatches = n; return this; }
        public Builder gradientClipVal(double value) { this.gradientClipVal = value; return this; }
        public Builder gradientClipAlgorithm(ClipAlgorithm algorithm) { this.gradientClipAlgorithm = algorithm; return this; }
        /** Validate every N optimizer steps (0: once per epoch). */
        public Builder valCheckInterval(long steps) { this.valCheckInterval = steps; return this; }
        public Builder checkValEveryNEpoch(int epochs) { this.checkValEveryNEpoch = epochs; return this; }
        /**
         * Validation batches to run before training, so a broken validation step fails at once (default 2, as
         * Lightning; 0 turns the sanity check off, -1 runs the whole validation set). Nothing they log is kept.
         */
        public Builder numSanityValSteps(int batches) { this.numSanityValSteps = batches; return this; }
        public Builder seed(long seed) { this.seed = seed; return this; }
        /** Deterministic algorithms only (seeds 0 unless a seed is given): same inputs, same weights. */
        public Builder deterministic(boolean deterministic) { this.deterministic = deterministic; return this; }
        /** One training batch and one validation batch, no checkpoints: a quick check that everything runs. */
        public Builder fastDevRun(boolean fastDevRun) { this.fastDevRun = fastDevRun; return this; }
        public Builder nanPolicy(NanPolicy policy) { this.nanPolicy = policy; return this; }
        public Builder logEveryNSteps(int steps) { this.logEveryNSteps = steps; return this; }
        /** Intra-op CPU threads (0: Kiln chooses, see {@code Threads}). */
        public Builder threads(int threads) { this.threads = threads; return this; }
        public Builder rootDir(Path rootDir) { this.rootDir = rootDir; return this; }
        /** Off: no default ModelCheckpoint (one in callbacks still runs). */
        public Builder checkpointing(boolean on) { this.checkpointing = on; return this; }
        public Builder progressBar(boolean on) { this.progressBar = on; return this; }
        /** Where metrics go; default {@code KILN_METRICS}, else stdout. */
        public Builder metricsChannel(String channel) { this.metricsChannel = channel; return this; }
        public Builder distributedTimeout(Duration timeout) { this.distributedTimeout = timeout; return this; }
        public Builder callbacks(Callback... more) { callbacks.addAll(List.of(more)); return this; }
        /** The environment to read rendezvous variables from (default: the process environment). */
        public Builder environment(Map<String, String> env) { this.environment = Map.copyOf(env); return this; }
        public Builder out(PrintStream out) { this.out = out; return this; }
        /** Off: no thread-choice line at start. */
        public Builder verbose(boolean verbose) { this.verbose = verbose; return this; }

        /**
         * Sets an option by its command-line name ({@code max-epochs}, {@code precision}, ...), as the studio's job
         * runner and {@code kiln-train} pass them.
         */
        public Builder set(String name, String value) {
            BiConsumer<Builder, String> setter = SETTERS.get(name.toLowerCase(Locale.ROOT).replace('_', '-'));
            if (setter == null) {
                throw new ConfigurationException("Unknown trainer option '" + name + "'. Options: "
                        + String.join(", ", SETTERS.keySet()));
            }
            try {
                setter.accept(this, value.strip());
            } catch (NumberFormatException e) {
                throw new ConfigurationException("Trainer option " + name + "=" + value + " is not a number");
            }
            return this;
        }

        public Trainer build() {
            if (accumulateGradBatches < 1) {
                throw new ConfigurationException("accumulateGradBatches must be at least 1");
            }
            if (gradientClipVal < 0) {
                throw new ConfigurationException("gradientClipVal must be 0 (off) or positive");
            }
            if (numSanityValSteps < -1) {
                throw new ConfigurationException("numSanityValSteps must be -1 (all validation batches), 0 (off) or "
                        + "a number of batches, not " + numSanityValSteps);
            }
            if (logEveryNSteps < 1 || checkValEveryNEpoch < 1 || valCheckInterval < 0) {
                throw new ConfigurationException("logEveryNSteps and checkValEveryNEpoch must be at least 1, "
                        + "valCheckInterval 0 or more");
            }
            Map<String, String> env = environment != null ? environment : System.getenv();
            Long effectiveSeed = seed != null ? seed : deterministic ? Long.valueOf(0) : null;
            Path root = rootDir != null ? rootDir : Path.of(env.getOrDefault("KILN_RUN_DIR", "kiln-runs"));
            String channel = metricsChannel != null ? metricsChannel : env.get(MetricsSink.ENV);
            Duration timeout = distributedTimeout != null ? distributedTimeout
                    : Duration.ofSeconds(Long.parseLong(env.getOrDefault("KILN_DIST_TIMEOUT_SECONDS", "120")));
            boolean bar = progressBar != null ? progressBar : ProgressBar.onTerminal();
            if (effectiveSeed != null) {
                // Seed now, as Lightning's seed_everything: models built after the Trainer start from the same weights.
                org.bytedeco.pytorch.global.torch.manual_seed(effectiveSeed);
            }
            return new Trainer(new TrainerConfig(accelerator, devices, devicesExplicit, numNodes, strategy, precision,
                    maxEpochs, maxSteps, accumulateGradBatches, gradientClipVal, gradientClipAlgorithm,
                    valCheckInterval, checkValEveryNEpoch, numSanityValSteps, effectiveSeed, deterministic, fastDevRun,
                    nanPolicy, logEveryNSteps, threads, root, checkpointing, bar, channel, timeout,
                    List.copyOf(callbacks), env, out, verbose));
        }

        private static final Map<String, BiConsumer<Builder, String>> SETTERS = new TreeMap<>();

        static {
            SETTERS.put("accelerator", (b, v) -> b.accelerator(Accelerator.parse(v)));
            SETTERS.put("devices", (b, v) -> b.devices(Integer.parseInt(v)));
            SETTERS.put("num-nodes", (b, v) -> b.numNodes(Integer.parseInt(v)));
            SETTERS.put("strategy", (b, v) -> b.strategy(StrategyKind.parse(v)));
            SETTERS.put("precision", (b, v) -> b.precision(Precision.parse(v)));
            SETTERS.put("max-epochs", (b, v) -> b.maxEpochs(Integer.parseInt(v)));
            SETTERS.put("max-steps", (b, v) -> b.maxSteps(Long.parseLong(v)));
            SETTERS.put("accumulate-grad-batches", (b, v) -> b.accumulateGradBatches(Integer.parseInt(v)));
            SETTERS.put("gradient-clip-val", (b, v) -> b.gradientClipVal(Double.parseDouble(v)));
            SETTERS.put("gradient-clip-algorithm", (b, v) -> b.gradientClipAlgorithm(
                    ClipAlgorithm.valueOf(v.toUpperCase(Locale.ROOT))));
            SETTERS.put("val-check-interval", (b, v) -> b.valCheckInterval(Long.parseLong(v)));
            SETTERS.put("check-val-every-n-epoch", (b, v) -> b.checkValEveryNEpoch(Integer.parseInt(v)));
            SETTERS.put("num-sanity-val-steps", (b, v) -> b.numSanityValSteps(Integer.parseInt(v)));
            SETTERS.put("seed", (b, v) -> b.seed(Long.parseLong(v)));
            SETTERS.put("deterministic", (b, v) -> b.deterministic(Boolean.parseBoolean(v)));
            SETTERS.put("fast-dev-run", (b, v) -> b.fastDevRun(Boolean.parseBoolean(v)));
            SETTERS.put("nan-policy", (b, v) -> b.nanPolicy(NanPolicy.valueOf(
                    v.toUpperCase(Locale.ROOT).replace('-', '_'))));
            SETTERS.put("log-every-n-steps", (b, v) -> b.logEveryNSteps(Integer.parseInt(v)));
            SETTERS.put("threads", (b, v) -> b.threads(Integer.parseInt(v)));
            SETTERS.put("root-dir", (b, v) -> b.rootDir(Path.of(v)));
            SETTERS.put("checkpointing", (b, v) -> b.checkpointing(Boolean.parseBoolean(v)));
            SETTERS.put("progress-bar", (b, v) -> b.progressBar(Boolean.parseBoolean(v)));
            SETTERS.put("metrics", (b, v) -> b.metricsChannel(v));
        }
    }
}
