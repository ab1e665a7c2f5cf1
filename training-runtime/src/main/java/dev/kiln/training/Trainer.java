package dev.kiln.training;

import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.Device;
import org.bytedeco.pytorch.NoGradGuard;
import org.bytedeco.pytorch.Optimizer;
import org.bytedeco.pytorch.Scalar;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorVector;
import org.bytedeco.pytorch.global.torch;
import org.bytedeco.pytorch.global.torch.DeviceType;
import org.bytedeco.pytorch.global.torch.ScalarType;

import dev.kiln.training.callbacks.Callback;
import dev.kiln.training.callbacks.LearningRateMonitor;
import dev.kiln.training.callbacks.MetricsEmitter;
import dev.kiln.training.callbacks.MetricsRecord;
import dev.kiln.training.callbacks.ModelCheckpoint;
import dev.kiln.training.callbacks.ProgressBar;
import dev.kiln.training.checkpoint.CheckpointIO;
import dev.kiln.training.data.DataLoader;
import dev.kiln.training.data.DataModule;
import dev.kiln.training.data.Stage;
import dev.kiln.training.dist.DdpStrategy;
import dev.kiln.training.dist.DistributedEnv;
import dev.kiln.training.dist.SingleDeviceStrategy;
import dev.kiln.training.dist.Strategy;
import dev.kiln.training.metrics.MetricsSink;
import dev.kiln.training.optim.GradScaler;
import dev.kiln.training.optim.LrScheduler;
import dev.kiln.training.runtime.NativeErrors;
import dev.kiln.training.runtime.Threads;
import dev.kiln.training.runtime.Tensors;

/**
 * Runs a {@link TrainingModule} on a {@link DataModule}, as Lightning's {@code Trainer}: the loop, devices, precision,
 * gradient accumulation and clipping, validation, checkpoints, callbacks and metrics. Build one with
 * {@link #builder()}; close it to leave the process group.
 *
 * <pre>
 * try (var trainer = Trainer.builder().maxEpochs(5).accelerator(Accelerator.AUTO).build()) {
 *     trainer.fit(new MyModel(), new MyData());
 * }
 * </pre>
 */
public final class Trainer implements AutoCloseable {
    private final TrainerConfig config;
    private final List<Callback> callbacks = new ArrayList<>();
    private final PrintStream out;

    private Strategy strategy;
    private boolean onCpu = true;
    private Threads.Choice threads;
    private TrainingModule module;
    private Optimizer optimizer;
    private LrScheduler scheduler;
    private GradScaler scaler;
    private final MetricLog metricLog = new MetricLog();
    private final Map<String, Double> callbackMetrics = new LinkedHashMap<>();
    private final Map<String, Double> pendingStepMetrics = new LinkedHashMap<>();

    private long globalStep;
    private int currentEpoch;
    private long batchInEpoch;
    private long batchesPerEpoch;
    private boolean stopRequested;
    private String stopReason;
    private boolean sanityCheck;
    private boolean hasValidation;
    private boolean loggingStep;
    private long skippedNonFinite;
    private double lastLoss;

    Trainer(TrainerConfig config) {
        this.config = config;
        this.out = config.out();
        var all = callbacks;
        if (!config.fastDevRun()) {
            if (config.callbacks().stream().noneMatch(c -> c instanceof ModelCheckpoint) && config.checkpointing()) {
                all.add(ModelCheckpoint.builder().build());
            }
        }
        all.add(new LearningRateMonitor());
        if (config.progressBar()) {
            all.add(new ProgressBar(System.err));
        }
        all.addAll(config.callbacks());
        all.add(new MetricsEmitter(MetricsSink.open(config.metricsChannel(), out)));
    }

    /** Adds callbacks before fit (the CLI adds a module or data module that is also a Callback). */
    public void addCallbacks(List<Callback> more) {
        callbacks.addAll(callbacks.size() - 1, more);
    }

    public static TrainerConfig.Builder builder() {
        return new TrainerConfig.Builder();
    }

    // ---------------------------------------------------------------- public API

    public void fit(TrainingModule module, DataModule data) {
        fit(module, data, null);
    }

    /** Trains; with {@code ckptPath} it first restores that checkpoint and continues exactly where it stopped. */
    public void fit(TrainingModule module, DataModule data, Path ckptPath) {
        start();
        this.module = module;
        module.attach(this, metricLog);
        try {
            prepare(data, Stage.FIT);
            DataLoader train = forThisRank(data.trainLoader());
            if (train == null) {
                throw new TrainingException("The data module's trainLoader() returned null: fit needs training data");
            }
            DataLoader val = module.overridesValidationStep() ? forThisRank(data.valLoader()) : null;
            hasValidation = val != null;
            strategy.setup(module);
            module.train(true);
            OptimizerConfig optimizers = module.configureOptimizers();
            if (optimizers == null) {
                throw new TrainingException("configureOptimizers() returned null: return OptimizerConfig.of(new Adam(...))");
            }
            optimizer = optimizers.optimizer();
            scheduler = optimizers.scheduler();
            scaler = config.precision() == Precision.FP16_MIXED ? new GradScaler() : null;
            batchesPerEpoch = train.batchesPerEpoch();
            if (ckptPath != null) {
                restore(ckptPath);
            }
            forEach(c -> c.onFitStart(this, module));
            event("fit_start", Map.of("world_size", strategy.worldSize(), "device", deviceName(),
                    "precision", config.precision().label(), "batches_per_epoch", batchesPerEpoch,
                    "max_epochs", config.maxEpochs(), "max_steps", config.maxSteps(), "start_step", globalStep));
            loop(train, val);
            forEach(c -> c.onFitEnd(this, module));
            var summary = new LinkedHashMap<String, Object>();
            summary.put("step", globalStep);
            summary.put("epoch", currentEpoch);
            if (stopReason != null) {
                summary.put("stopped_because", stopReason);
            }
            event("fit_end", summary);
        } catch (RuntimeException | Error e) {
            forEach(c -> c.onException(this, module, e));
            event("fit_failed", Map.of("error", String.valueOf(NativeErrors.firstLine(e)), "step", globalStep));
            throw e;
        } finally {
            setAutocast(false);
            module.attach(null, null);
        }
    }

    /** Runs the validation loop once and returns the averaged metrics. */
    public Map<String, Double> validate(TrainingModule module, DataModule data) {
        return evaluateOnly(module, data, Stage.VALIDATE);
    }

    /** Runs the test loop once and returns the averaged metrics. */
    public Map<String, Double> test(TrainingModule module, DataModule data) {
        return evaluateOnly(module, data, Stage.TEST);
    }

    // ---------------------------------------------------------------- state for callbacks

    public int rank() { return strategy == null ? 0 : strategy.rank(); }
    public int worldSize() { return strategy == null ? 1 : strategy.worldSize(); }
    public boolean isGlobalZero() { return rank() == 0; }
    public Device device() { return strategy == null ? new Device("cpu") : strategy.device(); }
    public long globalStep() { return globalStep; }
    public int currentEpoch() { return currentEpoch; }
    public long batchesPerEpoch() { return batchesPerEpoch; }
    public int maxEpochs() { return config.maxEpochs(); }
    public long maxSteps() { return config.maxSteps(); }
    public boolean isSanityCheck() { return sanityCheck; }
    public boolean isFastDevRun() { return config.fastDevRun(); }
    public boolean hasValidation() { return hasValidation; }
    public boolean isLoggingStep() { return loggingStep; }
    public Optimizer optimizer() { return optimizer; }
    public LrScheduler scheduler() { return scheduler; }
    public Path rootDir() { return config.rootDir(); }
    public TrainerConfig config() { return config; }
    public Threads.Choice threads() { return threads; }
    public List<Callback> callbacks() { return Collections.unmodifiableList(callbacks); }
    /** Non-finite losses skipped under {@link NanPolicy#SKIP_BATCH}. */
    public long skippedNonFinite() { return skippedNonFinite; }
    public String stopReason() { return stopReason; }

    /** The latest value of every metric: training step values, epoch means, and averaged validation metrics. */
    public Map<String, Double> callbackMetrics() {
        return Collections.unmodifiableMap(callbackMetrics);
    }

    /** Ends training after the current step (early stopping and similar). */
    public void requestStop(String reason) {
        stopRequested = true;
        stopReason = reason;
    }

    /** Adds a metric to the record of the current logging step (for callbacks such as the LR monitor). */
    public void logStepMetric(String name, double value) {
        pendingStepMetrics.put(name, value);
    }

    public void event(String name, Map<String, Object> data) {
        forEach(c -> c.onEvent(this, name, data));
    }

    /** Writes a full checkpoint (rank 0 only; other ranks return at once). */
    public void saveCheckpoint(Path dir) {
        if (!isGlobalZero()) {
            return;
        }
        var state = new LinkedHashMap<String, Object>();
        state.put("step", globalStep);
        state.put("epoch", currentEpoch);
        state.put("batch_in_epoch", batchInEpoch);
        state.put("batches_per_epoch", batchesPerEpoch);
        state.put("world_size", worldSize());
        state.put("precision", config.precision().label());
        state.put("seed", config.seed());
        if (scheduler != null) {
            state.put("scheduler", scheduler.state());
        }
        if (scaler != null) {
            state.put("grad_scaler", scaler.state());
        }
        var callbackState = new LinkedHashMap<String, Object>();
        for (Callback callback : callbacks) {
            var dict = callback.stateDict();
            if (!dict.isEmpty()) {
                callbackState.put(callback.stateKey(), dict);
            }
        }
        state.put("callbacks", callbackState);
        state.put("metrics", new LinkedHashMap<>(callbackMetrics));
        try {
            CheckpointIO.save(dir, module, optimizer, state);
        } catch (IOException e) {
            throw new UncheckedIOException("Saving a checkpoint to " + dir + " failed: " + e.getMessage(), e);
        }
        event("checkpoint", Map.of("path", dir.toString(), "step", globalStep));
    }

    @Override
    public void close() {
        for (Callback callback : callbacks) {
            if (callback instanceof AutoCloseable closeable) {
                try {
                    closeable.close();
                } catch (Exception e) {
                    System.err.println("kiln: closing " + callback.stateKey() + " failed: " + e.getMessage());
                }
            }
        }
        if (strategy != null) {
            strategy.close();
            strategy = null;
        }
    }

    // ---------------------------------------------------------------- setup

    private void start() {
        if (strategy != null) {
            return;
        }
        var env = config.environment();
        boolean cuda = torch.cuda_is_available();
        int cudaCount = cuda ? torch.cuda_device_count() : 0;
        TrainerConfig.Resolved resolved = config.resolve(env, cuda, cudaCount);
        DistributedEnv dist = resolved.distributed();
        threads = Threads.apply(Threads.choose(config.threads(), env, Runtime.getRuntime().availableProcessors(),
                dist.localWorldSize()));
        if (config.verbose()) {
            out.println(threads.describe(Runtime.getRuntime().availableProcessors(), dist.localWorldSize()));
        }
        Device device = resolved.accelerator() == Accelerator.CUDA
                ? new Device(DeviceType.CUDA, (byte) dist.localRank()) : new Device("cpu");
        if (resolved.accelerator() == Accelerator.CUDA && config.precision() == Precision.BF16_MIXED) {
            checkBf16(device);
        }
        if (config.seed() != null) {
            torch.manual_seed(config.seed());
            if (resolved.accelerator() == Accelerator.CUDA) {
                torch.cuda_manual_seed_all(config.seed());
            }
        }
        if (config.deterministic()) {
            torch.globalContext().setDeterministicAlgorithms(true, false);
            torch.globalContext().setDeterministicCuDNN(true);
        }
        onCpu = resolved.accelerator() != Accelerator.CUDA;
        strategy = resolved.strategy() == StrategyKind.DDP
                ? DdpStrategy.connect(dist, device, config.distributedTimeout())
                : new SingleDeviceStrategy(device);
    }

    private static void checkBf16(Device device) {
        try (var scope = new PointerScope()) {
            Tensor a = torch.ones(new long[] {8, 8}, new org.bytedeco.pytorch.TensorOptions(ScalarType.BFloat16))
                    .to(device, ScalarType.BFloat16);
            a.matmul(a).sum().item_double();
        } catch (RuntimeException e) {
            throw new ConfigurationException("precision=bf16-mixed is not supported on " + device.str().getString()
                    + " (" + NativeErrors.firstLine(e) + "): bf16 needs an Ampere or newer GPU (A100, A10G, L4, H100). "
                    + "Use precision=16-mixed or 32.");
        }
    }

    private void prepare(DataModule data, Stage stage) {
        if (strategy.localRank() == 0) {
            data.prepareData();
        }
        strategy.barrier();
        data.setup(stage);
    }

    private DataLoader forThisRank(DataLoader loader) {
        if (loader == null || strategy.worldSize() == 1) {
            return loader;
        }
        return loader.forRank(strategy.rank(), strategy.worldSize());
    }

    @SuppressWarnings("unchecked")
    private void restore(Path ckptPath) {
        Map<String, Object> state = CheckpointIO.load(ckptPath, module, optimizer);
        globalStep = ((Number) state.get("step")).longValue();
        currentEpoch = ((Number) state.get("epoch")).intValue();
        batchInEpoch = ((Number) state.get("batch_in_epoch")).longValue();
        if (batchInEpoch >= batchesPerEpoch) {
            currentEpoch++;
            batchInEpoch = 0;
        }
        if (scheduler != null && state.get("scheduler") instanceof Map<?, ?> s) {
            scheduler.loadState((Map<String, Object>) s);
        }
        if (scaler != null && state.get("grad_scaler") instanceof Map<?, ?> s) {
            scaler.loadState((Map<String, Object>) s);
        }
        if (state.get("callbacks") instanceof Map<?, ?> saved) {
            for (Callback callback : callbacks) {
                if (saved.get(callback.stateKey()) instanceof Map<?, ?> s) {
                    callback.loadStateDict((Map<String, Object>) s);
                }
            }
        }
        if (state.get("metrics") instanceof Map<?, ?> metrics) {
            metrics.forEach((k, v) -> callbackMetrics.put((String) k, ((Number) v).doubleValue()));
        }
        if (strategy.worldSize() > 1) {
            // Rank 0 restored from disk; make sure every rank holds exactly its weights.
            strategy.setup(module);
        }
        event("resumed", Map.of("path", ckptPath.toString(), "step", globalStep, "epoch", currentEpoch));
    }

    // ---------------------------------------------------------------- the loop

    /** Running sums for the loss and throughput lines of one epoch. */
    private static final class EpochStats {
        double epochLossSum;
        long epochLossCount;
        double windowLoss;
        int windowCount;
        long windowSamples;
        long windowStart = System.nanoTime();
        boolean validated;

        void add(double loss, long samples) {
            if (Double.isFinite(loss)) {
                epochLossSum += loss;
                epochLossCount++;
                windowLoss += loss;
                windowCount++;
            }
            windowSamples += samples;
        }
    }

    private void loop(DataLoader train, DataLoader val) {
        int maxEpochs = config.effectiveMaxEpochs();
        long maxSteps = config.fastDevRun() ? 1 : config.maxSteps();
        List<Tensor> parameters = trainableParameters();
        boolean stepLimited = false;
        while (currentEpoch < maxEpochs && !stopRequested && !stepLimited) {
            forEach(c -> c.onTrainEpochStart(this, module));
            var stats = new EpochStats();
            try (DataLoader.Batches batches = train.epoch(currentEpoch, batchInEpoch)) {
                while (batches.hasNext() && !stopRequested) {
                    long batchIdx = batches.position();
                    if (!trainBatch(batches, parameters, stats)) {
                        continue; // accumulating gradients: no optimizer step yet
                    }
                    afterOptimizerStep(batchIdx, stats, val);
                    if (maxSteps > 0 && globalStep >= maxSteps) {
                        stepLimited = true;
                        break;
                    }
                }
            }
            endEpoch(stats, val);
        }
        if (stepLimited && batchInEpoch >= batchesPerEpoch) {
            currentEpoch++;
            batchInEpoch = 0;
        }
    }

    /**
     * One batch: forward, backward and, at the end of an accumulation group, the optimizer step, all inside one
     * native scope that frees the step's tensors. Returns whether an optimizer step was taken. Kept small and out of
     * the epoch loop so the JIT compiles it as a whole method, not by on-stack replacement.
     */
    private boolean trainBatch(DataLoader.Batches batches, List<Tensor> parameters, EpochStats stats) {
        long batchIdx = batches.position();
        int accumulate = config.accumulateGradBatches();
        try (var scope = new PointerScope()) {
            Batch batch = toDevice(batches.next());
            long samples = batch.size();
            for (Callback callback : callbacks) {
                callback.onTrainBatchStart(this, module, batch, batchIdx);
            }
            double loss = forwardBackward(batch, batchIdx, accumulate);
            batchInEpoch = batchIdx + 1;
            stats.windowSamples += samples;
            if ((batchIdx + 1) % accumulate != 0 && batches.hasNext()) {
                return false;
            }
            optimizerStep(parameters);
            lastLoss = loss;
            stats.add(loss, 0);
            return true;
        }
    }

    private void afterOptimizerStep(long batchIdx, EpochStats stats, DataLoader val) {
        globalStep++;
        loggingStep = globalStep % config.logEveryNSteps() == 0 || globalStep == 1;
        if (!pendingStepMetrics.isEmpty()) {
            pendingStepMetrics.clear();
        }
        for (Callback callback : callbacks) {
            callback.onTrainBatchEnd(this, module, lastLoss, batchIdx);
        }
        callbackMetrics.put("loss", lastLoss);
        metricLog.drainLatestInto(callbackMetrics);
        if (loggingStep) {
            logTrainMetrics(stats);
        }
        reportPerRank("train");
        if (scheduler != null && scheduler.interval() == LrScheduler.Interval.STEP) {
            scheduler.step();
        }
        if (val != null && config.valCheckInterval() > 0 && globalStep % config.valCheckInterval() == 0) {
            runEvaluation(val, Stage.VALIDATE);
            stats.validated = true;
        }
    }

    private void logTrainMetrics(EpochStats stats) {
        double seconds = (System.nanoTime() - stats.windowStart) / 1e9;
        var values = new LinkedHashMap<String, Double>();
        values.put("loss", stats.windowCount == 0 ? Double.NaN : stats.windowLoss / stats.windowCount);
        values.put("samples_per_sec", stats.windowSamples * strategy.worldSize() / Math.max(seconds, 1e-9));
        values.put("epoch", (double) currentEpoch);
        values.put("step", (double) globalStep);
        if (strategy.worldSize() > 1) {
            values.put("allreduce_ms", strategy.lastReduceNanos() / 1e6);
        }
        if (scaler != null) {
            values.put("loss_scale", scaler.currentScale());
        }
        callbackMetrics.forEach((k, v) -> {
            if (!values.containsKey(k) && !k.startsWith("val") && !k.startsWith("test") && !k.endsWith("_epoch")) {
                values.put(k, v);
            }
        });
        values.putAll(pendingStepMetrics);
        report("train", values);
        stats.windowLoss = 0;
        stats.windowCount = 0;
        stats.windowSamples = 0;
        stats.windowStart = System.nanoTime();
    }

    private void endEpoch(EpochStats stats, DataLoader val) {
        if (stats.epochLossCount > 0) {
            callbackMetrics.put("loss_epoch", stats.epochLossSum / stats.epochLossCount);
        }
        boolean epochComplete = batchInEpoch >= batchesPerEpoch;
        if (val != null && !stats.validated && (config.fastDevRun()
                || epochComplete && (currentEpoch + 1) % config.checkValEveryNEpoch() == 0)) {
            runEvaluation(val, Stage.VALIDATE);
        }
        if (epochComplete && scheduler != null && scheduler.interval() == LrScheduler.Interval.EPOCH) {
            scheduler.step();
        }
        agreeOnStop();
        forEach(c -> c.onTrainEpochEnd(this, module));
        event("epoch_end", Map.of("epoch", currentEpoch, "step", globalStep,
                "loss_epoch", callbackMetrics.getOrDefault("loss_epoch", Double.NaN)));
        if (epochComplete) {
            currentEpoch++;
            batchInEpoch = 0;
        }
    }

    /** Forward under autocast, loss checks, scaled backward. Returns the loss value. */
    private double forwardBackward(Batch batch, long batchIdx, int accumulate) {
        setAutocast(true);
        Tensor loss;
        try {
            loss = module.trainingStep(batch, batchIdx);
        } finally {
            setAutocast(false);
        }
        checkLoss(loss);
        double value = loss.item_double();
        if (!Double.isFinite(value)) {
            if (config.nanPolicy() == NanPolicy.STOP) {
                Double last = callbackMetrics.get("loss");
                throw new TrainingException("The loss is " + value + " at epoch " + currentEpoch + ", step "
                        + globalStep + " (batch " + batchIdx + ")" + (last == null ? "" : "; the last finite loss was "
                        + String.format("%.6g", last)) + ". Lower the learning rate, enable gradient clipping "
                        + "(gradientClipVal), check the data for NaNs, or set nanPolicy(SKIP_BATCH) to skip such batches.");
            }
            skippedNonFinite++;
            if (skippedNonFinite == 1 || skippedNonFinite % 100 == 0) {
                System.err.println("kiln: skipped " + skippedNonFinite + " batch(es) with a non-finite loss (nanPolicy="
                        + "SKIP_BATCH)");
            }
            // Contribute zero gradients so that DDP ranks stay in step.
            optimizer.zero_grad(false);
            return value;
        }
        Tensor scaled = accumulate > 1 ? loss.div(new Scalar(accumulate)) : loss;
        if (scaler != null) {
            scaled = scaler.scale(scaled);
        }
        try {
            scaled.backward();
        } catch (RuntimeException e) {
            throw new TrainingException("Backward pass failed at step " + globalStep + ": " + NativeErrors.firstLine(e), e);
        }
        return value;
    }

    private void checkLoss(Tensor loss) {
        if (loss == null || loss.isNull() || !loss.defined()) {
            throw new TrainingException("trainingStep returned no loss at step " + globalStep + ": return the loss "
                    + "tensor, for example cross_entropy(logits, batch.y()).");
        }
        if (loss.numel() != 1) {
            throw new TrainingException("trainingStep must return a single-value loss, but it returned shape "
                    + java.util.Arrays.toString(Tensors.shape(loss)) + ": reduce it, for example with .mean().");
        }
        if (!loss.requires_grad()) {
            throw new TrainingException("The loss from trainingStep has no gradient: it does not depend on any "
                    + "trainable parameter (computed under NoGradGuard, detached, or from parameters with "
                    + "requires_grad off), so there is nothing to train.");
        }
    }

    private void optimizerStep(List<Tensor> parameters) {
        strategy.reduceGradients(parameters);
        boolean finite = true;
        if (scaler != null) {
            var grads = new ArrayList<Tensor>();
            parameters.forEach(p -> grads.add(p.grad()));
            finite = scaler.unscale(grads);
        }
        if (finite && config.gradientClipVal() > 0) {
            var vector = new TensorVector(parameters.toArray(new Tensor[0]));
            if (config.gradientClipAlgorithm() == TrainerConfig.ClipAlgorithm.VALUE) {
                torch.clip_grad_value_(vector, config.gradientClipVal());
            } else {
                torch.clip_grad_norm_(vector, config.gradientClipVal());
            }
        }
        forEach(c -> c.onBeforeOptimizerStep(this, module, optimizer));
        if (finite) {
            optimizer.step();
        }
        if (scaler != null) {
            scaler.update(finite);
        }
        optimizer.zero_grad(true);
    }

    private List<Tensor> trainableParameters() {
        var list = new ArrayList<Tensor>();
        var params = module.parameters();
        for (long i = 0; i < params.size(); i++) {
            Tensor p = Tensors.own(params.get(i));
            if (p.requires_grad()) {
                list.add(p);
            }
        }
        return list;
    }

    private void runEvaluation(DataLoader loader, Stage stage) {
        boolean validate = stage == Stage.VALIDATE;
        forEach(c -> {
            if (validate) {
                c.onValidationStart(this, module);
            } else {
                c.onTestStart(this, module);
            }
        });
        module.train(false);
        metricLog.takeSums();
        long limit = config.fastDevRun() ? 1 : Long.MAX_VALUE;
        try (var noGrad = new NoGradGuard(); DataLoader.Batches batches = loader.epoch(0, 0)) {
            while (batches.hasNext() && batches.position() < limit) {
                long batchIdx = batches.position();
                try (var scope = new PointerScope()) {
                    Batch batch = toDevice(batches.next());
                    setAutocast(true);
                    try {
                        if (validate) {
                            module.validationStep(batch, batchIdx);
                        } else {
                            module.testStep(batch, batchIdx);
                        }
                    } finally {
                        setAutocast(false);
                    }
                }
            }
        } finally {
            module.train(true);
        }
        Map<String, double[]> sums = metricLog.takeSums();
        metricLog.takeLatest();
        var names = new ArrayList<>(sums.keySet());
        double[] flat = new double[names.size() * 2];
        for (int i = 0; i < names.size(); i++) {
            flat[2 * i] = sums.get(names.get(i))[0];
            flat[2 * i + 1] = sums.get(names.get(i))[1];
        }
        double[] reduced = strategy.allReduceSum(flat);
        var means = new LinkedHashMap<String, Double>();
        for (int i = 0; i < names.size(); i++) {
            means.put(names.get(i), reduced[2 * i] / Math.max(reduced[2 * i + 1], 1e-12));
        }
        callbackMetrics.putAll(means);
        report(validate ? "validate" : "test", means);
        forEach(c -> {
            if (validate) {
                c.onValidationEnd(this, module);
            } else {
                c.onTestEnd(this, module);
            }
        });
    }

    private Map<String, Double> evaluateOnly(TrainingModule module, DataModule data, Stage stage) {
        start();
        this.module = module;
        module.attach(this, metricLog);
        try {
            prepare(data, stage);
            DataLoader loader = forThisRank(stage == Stage.TEST ? data.testLoader() : data.valLoader());
            if (loader == null) {
                throw new TrainingException("The data module has no " + (stage == Stage.TEST ? "test" : "validation")
                        + " loader");
            }
            if (strategy.device().is_cpu() == false) {
                module.to(strategy.device(), false);
            }
            var before = new LinkedHashMap<>(callbackMetrics);
            runEvaluation(loader, stage);
            var result = new LinkedHashMap<String, Double>();
            callbackMetrics.forEach((k, v) -> {
                if (!before.containsKey(k) || !before.get(k).equals(v)) {
                    result.put(k, v);
                }
            });
            return result;
        } finally {
            module.attach(null, null);
        }
    }

    /** Early stopping decided on one rank must stop all of them at the same step. */
    private void agreeOnStop() {
        if (strategy.worldSize() > 1) {
            double[] votes = strategy.allReduceSum(new double[] {stopRequested ? 1 : 0});
            if (votes[0] > 0 && !stopRequested) {
                requestStop("another rank requested a stop");
            }
        }
    }

    private void report(String stage, Map<String, Double> values) {
        if (isGlobalZero() && !values.isEmpty()) {
            var record = new MetricsRecord(0, currentEpoch, globalStep, stage, values);
            forEach(c -> c.onMetrics(this, record));
        }
    }

    private void reportPerRank(String stage) {
        var perRank = metricLog.takePerRank();
        if (!perRank.isEmpty()) {
            var record = new MetricsRecord(rank(), currentEpoch, globalStep, stage, perRank);
            forEach(c -> c.onMetrics(this, record));
        }
    }

    /** Loaders produce CPU tensors; only a GPU run needs to move them (and the check costs JNI calls per step). */
    private Batch toDevice(Batch batch) {
        return onCpu ? batch : batch.to(strategy.device());
    }

    private void setAutocast(boolean on) {
        if (config.precision() == Precision.FP32 || strategy == null) {
            return;
        }
        DeviceType type = strategy.device().is_cuda() ? DeviceType.CUDA : DeviceType.CPU;
        if (on) {
            torch.set_autocast_dtype(type, config.precision() == Precision.BF16_MIXED ? ScalarType.BFloat16
                    : ScalarType.Half);
        }
        torch.set_autocast_enabled(type, on);
    }

    private String deviceName() {
        return strategy.device().str().getString();
    }

    private void forEach(java.util.function.Consumer<Callback> action) {
        for (Callback callback : callbacks) {
            action.accept(callback);
        }
    }
}
