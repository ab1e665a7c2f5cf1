package dev.kiln.training;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.bytedeco.pytorch.Device;
import org.bytedeco.pytorch.Optimizer;

import dev.kiln.training.callbacks.Callback;
import dev.kiln.training.checkpoint.CheckpointIO;
import dev.kiln.training.data.DataLoader;
import dev.kiln.training.data.DataModule;
import dev.kiln.training.data.Stage;
import dev.kiln.training.dist.Strategy;
import dev.kiln.training.optim.LrScheduler;
import dev.kiln.training.runtime.NativeErrors;
import dev.kiln.training.runtime.Threads;

/**
 * Runs a {@link TrainingModule} on a {@link DataModule}, as Lightning's {@code Trainer}. Build one with
 * {@link #builder()}; close it to leave the process group. It wires the parts together and answers the callbacks'
 * questions; the work is done by {@link FitLoop} and {@link EvaluationLoop}, with a {@link PrecisionPlugin}, on
 * what {@link TrainerSetup} chose. Checkpoints hold a {@link TrainerState}.
 *
 * <pre>
 * try (var trainer = Trainer.builder().maxEpochs(5).accelerator(Accelerator.AUTO).build()) {
 *     trainer.fit(new MyModel(), new MyData());
 * }
 * </pre>
 */
public final class Trainer implements AutoCloseable {
    private final TrainerConfig config;
    private final CallbackList callbacks;
    private final TrainerMetrics metrics;
    /** Chosen at the first fit, validate or test; null again once closed. */
    private TrainerSetup setup;
    /** The current (or last) fit, validate or test, and its evaluation loop. */
    private LoopContext run;
    private EvaluationLoop evaluation;
    /** The last fit's loop: its progress and optimizer stay readable after it ends. */
    private FitLoop fitLoop;

    Trainer(TrainerConfig config) {
        this.config = config;
        this.callbacks = CallbackList.withDefaults(config);
        this.metrics = new TrainerMetrics(this, callbacks);
    }

    /** Adds callbacks before fit (the CLI adds a module or data module that is also a Callback). */
    public void addCallbacks(List<Callback> more) {
        callbacks.add(more);
    }

    public static TrainerConfig.Builder builder() {
        return new TrainerConfig.Builder();
    }

    public void fit(TrainingModule module, DataModule data) {
        fit(module, data, null);
    }

    /** Trains; with {@code ckptPath} it first restores that checkpoint and continues exactly where it stopped. */
    public void fit(TrainingModule module, DataModule data, Path ckptPath) {
        begin(module);
        try {
            prepare(data, Stage.FIT);
            DataLoader train = forThisRank(data.trainLoader());
            if (train == null) {
                throw new TrainingException("The data module's trainLoader() returned null: fit needs training data");
            }
            DataLoader val = module.overridesValidationStep() ? forThisRank(data.valLoader()) : null;
            strategy().setup(module);
            module.train(true);
            OptimizerConfig optimizers = module.configureOptimizers();
            if (optimizers == null) {
                throw new TrainingException("configureOptimizers() returned null: return OptimizerConfig.of(new Adam(...))");
            }
            // A second fit on the same Trainer continues from where the first one stopped, as it always did.
            LoopProgress start = ckptPath != null ? restore(ckptPath, module, optimizers, train.batchesPerEpoch())
                    : fitLoop != null ? fitLoop.progress() : LoopProgress.START;
            fitLoop = new FitLoop(run, evaluation, optimizers, train, val, start);
            callbacks.onFitStart(this, module);
            var fitStart = new LinkedHashMap<String, Object>();
            fitStart.put("world_size", worldSize());
            fitStart.put("device", device().str().getString());
            fitStart.put("precision", config.precision().label());
            fitStart.put("batches_per_epoch", batchesPerEpoch());
            // The limits that apply (1000 epochs when neither is set, as Lightning), never an unset -1.
            if (config.effectiveMaxEpochs() < Integer.MAX_VALUE) {
                fitStart.put("max_epochs", config.effectiveMaxEpochs());
            }
            if (config.maxSteps() > 0) {
                fitStart.put("max_steps", config.maxSteps());
            }
            fitStart.put("start_step", globalStep());
            event("fit_start", fitStart);
            if (val != null && config.sanityCheckBatches() > 0) {
                evaluation.sanityCheck(val, config.sanityCheckBatches());
            }
            fitLoop.run();
            callbacks.onFitEnd(this, module);
            var summary = new LinkedHashMap<String, Object>();
            summary.put("step", globalStep());
            summary.put("epoch", currentEpoch());
            if (stopReason() != null) {
                summary.put("stopped_because", stopReason());
            }
            event("fit_end", summary);
        } catch (RuntimeException | Error e) {
            callbacks.onException(this, module, e);
            event("fit_failed", fields("error", String.valueOf(NativeErrors.firstLine(e)), "step", globalStep()));
            throw e;
        } finally {
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

    public int rank() { return setup == null ? 0 : strategy().rank(); }
    public int worldSize() { return setup == null ? 1 : strategy().worldSize(); }
    public boolean isGlobalZero() { return rank() == 0; }
    public Device device() { return setup == null ? new Device("cpu") : strategy().device(); }
    public long globalStep() { return fitLoop == null ? 0 : fitLoop.progress().step(); }
    public int currentEpoch() { return fitLoop == null ? 0 : fitLoop.progress().epoch(); }
    public long batchesPerEpoch() { return fitLoop == null ? 0 : fitLoop.batchesPerEpoch(); }
    public int maxEpochs() { return config.maxEpochs(); }
    public long maxSteps() { return config.maxSteps(); }
    /** True while the sanity check's validation batches run, before training (see {@code numSanityValSteps}). */
    public boolean isSanityCheck() { return evaluation != null && evaluation.isSanityChecking(); }
    public boolean isFastDevRun() { return config.fastDevRun(); }
    public boolean hasValidation() { return fitLoop != null && fitLoop.hasValidation(); }
    public boolean isLoggingStep() { return fitLoop != null && fitLoop.isLoggingStep(); }
    public Optimizer optimizer() { return fitLoop == null ? null : fitLoop.optimizer(); }
    public LrScheduler scheduler() { return fitLoop == null ? null : fitLoop.scheduler(); }
    public Path rootDir() { return config.rootDir(); }
    public TrainerConfig config() { return config; }
    public Threads.Choice threads() { return setup == null ? null : setup.threads(); }
    public List<Callback> callbacks() { return callbacks.asList(); }
    /** Non-finite losses skipped under {@link NanPolicy#SKIP_BATCH}. */
    public long skippedNonFinite() { return fitLoop == null ? 0 : fitLoop.skippedNonFinite(); }
    public String stopReason() { return fitLoop == null ? null : fitLoop.stopReason(); }

    /** The latest value of every metric: training step values, epoch means, and averaged validation metrics. */
    public Map<String, Double> callbackMetrics() {
        return metrics.latest();
    }

    /** Ends training after the current step (early stopping and similar); outside a fit there is nothing to stop. */
    public void requestStop(String reason) {
        if (fitLoop != null) {
            fitLoop.requestStop(reason);
        }
    }

    /** Adds a metric to the record of the current logging step (for callbacks such as the LR monitor). */
    public void logStepMetric(String name, double value) {
        metrics.addStepMetric(name, value);
    }

    public void event(String name, Map<String, Object> data) {
        callbacks.onEvent(this, name, data);
    }

    /**
     * An event's fields in the order given: the job log shows them in that order ("checkpoint path=... step=..."),
     * where Map.of's order changes from one JVM to the next.
     */
    public static Map<String, Object> fields(Object... keysAndValues) {
        var fields = new LinkedHashMap<String, Object>();
        for (int i = 0; i < keysAndValues.length; i += 2) {
            fields.put((String) keysAndValues[i], keysAndValues[i + 1]);
        }
        return fields;
    }

    /** Writes a full checkpoint of the current fit (rank 0 only; other ranks return at once). */
    public void saveCheckpoint(Path dir) {
        if (!isGlobalZero()) {
            return;
        }
        if (fitLoop == null) {
            throw new IllegalStateException("saveCheckpoint needs a fit: there is no training state to save yet");
        }
        LrScheduler scheduler = fitLoop.scheduler();
        Map<String, Object> scalerState = setup.precision().state();
        var state = new TrainerState(fitLoop.progress(), fitLoop.batchesPerEpoch(), worldSize(),
                config.precision().label(), config.seed(), scheduler == null ? null : scheduler.state(),
                scalerState.isEmpty() ? null : scalerState, callbacks.stateDicts(),
                new LinkedHashMap<>(metrics.latest()));
        try {
            CheckpointIO.save(dir, run.module(), fitLoop.optimizer(), state.toMap());
        } catch (IOException e) {
            throw new UncheckedIOException("Saving a checkpoint to " + dir + " failed: " + e.getMessage(), e);
        }
        event("checkpoint", fields("path", shown(dir), "step", globalStep()));
    }

    /** A path as a person reads it in the job's log: relative to the root directory when inside it. */
    private String shown(Path path) {
        Path root = config.rootDir() == null ? null : config.rootDir().toAbsolutePath().normalize();
        Path absolute = path.toAbsolutePath().normalize();
        return root != null && absolute.startsWith(root) && !absolute.equals(root)
                ? root.relativize(absolute).toString() : path.toString();
    }

    @Override
    public void close() {
        callbacks.close();
        if (setup != null) {
            setup.strategy().close();
            setup = null;
        }
    }

    // ---------------------------------------------------------------- setup

    private Strategy strategy() {
        return setup.strategy();
    }

    private void begin(TrainingModule module) {
        if (setup == null) {
            setup = TrainerSetup.start(config);
        }
        run = new LoopContext(this, module, config, setup, callbacks, metrics);
        evaluation = new EvaluationLoop(run);
        module.attach(this, metrics.log());
    }

    private void prepare(DataModule data, Stage stage) {
        if (strategy().localRank() == 0) {
            data.prepareData();
        }
        strategy().barrier();
        data.setup(stage);
    }

    private DataLoader forThisRank(DataLoader loader) {
        if (loader == null || worldSize() == 1) {
            return loader;
        }
        return loader.forRank(rank(), worldSize());
    }

    /** Restores a checkpoint into the module, optimizer and the rest; returns where the fit loop continues. */
    private LoopProgress restore(Path ckptPath, TrainingModule module, OptimizerConfig optimizers,
                                 long batchesPerEpoch) {
        // Read first: a trainer.json this Trainer cannot use is refused before any weight changes.
        TrainerState saved = TrainerState.fromMap(CheckpointIO.readTrainerState(ckptPath));
        CheckpointIO.load(ckptPath, module, optimizers.optimizer());
        if (optimizers.scheduler() != null && saved.scheduler() != null) {
            optimizers.scheduler().loadState(saved.scheduler());
        }
        if (saved.gradScaler() != null) {
            setup.precision().loadState(saved.gradScaler());
        }
        callbacks.loadStateDicts(saved.callbacks());
        metrics.restore(saved.metrics());
        if (worldSize() > 1) {
            // Rank 0 restored from disk; make sure every rank holds exactly its weights.
            strategy().setup(module);
        }
        LoopProgress progress = saved.progress().nextEpochIfDone(batchesPerEpoch);
        event("resumed", fields("path", shown(ckptPath), "step", progress.step(), "epoch", progress.epoch()));
        return progress;
    }

    private Map<String, Double> evaluateOnly(TrainingModule module, DataModule data, Stage stage) {
        begin(module);
        try {
            prepare(data, stage);
            DataLoader loader = forThisRank(stage == Stage.TEST ? data.testLoader() : data.valLoader());
            if (loader == null) {
                throw new TrainingException("The data module has no " + (stage == Stage.TEST ? "test" : "validation")
                        + " loader");
            }
            if (!setup.onCpu()) {
                module.to(strategy().device(), false);
            }
            return evaluation.run(loader, stage);
        } finally {
            module.attach(null, null);
        }
    }
}
