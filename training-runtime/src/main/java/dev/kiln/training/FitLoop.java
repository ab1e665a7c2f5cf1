package dev.kiln.training;

import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.Optimizer;

import dev.kiln.training.data.DataLoader;
import dev.kiln.training.data.Stage;
import dev.kiln.training.optim.LrScheduler;

/**
 * Lightning's fit loop: epochs of training batches until max epochs or max steps or a stop request, with
 * validation every N steps or at an epoch's end, the LR schedule, and the train metrics lines. Its
 * {@link LoopProgress} is what checkpoints save; a resume starts it mid-epoch.
 */
final class FitLoop {
    private final LoopContext run;
    private final EvaluationLoop evaluation;
    private final Optimizer optimizer;
    private final LrScheduler scheduler;
    private final DataLoader train;
    private final DataLoader val;
    private final long batchesPerEpoch;
    private TrainingStep step;
    private LoopProgress progress;
    private boolean loggingStep;
    private double lastLoss;
    private boolean stopRequested;
    private String stopReason;

    FitLoop(LoopContext run, EvaluationLoop evaluation, OptimizerConfig optimizers, DataLoader train, DataLoader val,
            LoopProgress progress) {
        this.run = run;
        this.evaluation = evaluation;
        this.optimizer = optimizers.optimizer();
        this.scheduler = optimizers.scheduler();
        this.train = train;
        this.val = val;
        this.batchesPerEpoch = train.batchesPerEpoch();
        this.progress = progress;
    }

    LoopProgress progress() { return progress; }
    long batchesPerEpoch() { return batchesPerEpoch; }
    Optimizer optimizer() { return optimizer; }
    LrScheduler scheduler() { return scheduler; }
    boolean hasValidation() { return val != null; }
    boolean isLoggingStep() { return loggingStep; }
    long skippedNonFinite() { return step == null ? 0 : step.skippedNonFinite(); }
    String stopReason() { return stopReason; }

    /** Ends training after the current step. */
    void requestStop(String reason) {
        stopRequested = true;
        stopReason = reason;
    }

    /** Trains from the current progress to the end. */
    void run() {
        // Trainable parameters are gathered here, after onFitStart, where callbacks may freeze layers.
        step = new TrainingStep(run, optimizer);
        int maxEpochs = run.config().effectiveMaxEpochs();
        long maxSteps = run.config().fastDevRun() ? 1 : run.config().maxSteps();
        boolean stepLimited = false;
        while (progress.epoch() < maxEpochs && !stopRequested && !stepLimited) {
            run.callbacks().onTrainEpochStart(run.trainer(), run.module());
            var window = new TrainLogWindow();
            stepLimited = runEpoch(window, maxSteps);
            endEpoch(window);
        }
    }

    /** The epoch's remaining batches; returns whether max steps was reached. */
    private boolean runEpoch(TrainLogWindow window, long maxSteps) {
        try (DataLoader.Batches batches = train.epoch(progress.epoch(), progress.batchInEpoch())) {
            while (batches.hasNext() && !stopRequested) {
                long batchIdx = batches.position();
                if (!trainBatch(batches, window)) {
                    continue; // accumulating gradients: no optimizer step yet
                }
                afterOptimizerStep(batchIdx, window);
                if (maxSteps > 0 && progress.step() >= maxSteps) {
                    return true;
                }
            }
        }
        return false;
    }

    /**
     * One batch inside one native scope that frees the step's tensors. Returns whether an optimizer step was taken.
     * Kept out of the epoch loop so the JIT compiles it as a whole method, not by on-stack replacement.
     */
    private boolean trainBatch(DataLoader.Batches batches, TrainLogWindow window) {
        long batchIdx = batches.position();
        try (var scope = new PointerScope()) {
            Batch batch = run.toDevice(batches.next());
            long samples = batch.size();
            run.callbacks().onTrainBatchStart(run.trainer(), run.module(), batch, batchIdx);
            double loss = step.forwardBackward(batch, batchIdx);
            progress = progress.batchDone(batchIdx);
            window.samples(samples);
            if ((batchIdx + 1) % step.accumulate() != 0 && batches.hasNext()) {
                return false;
            }
            step.optimizerStep();
            lastLoss = loss;
            window.loss(loss);
            return true;
        }
    }

    private void afterOptimizerStep(long batchIdx, TrainLogWindow window) {
        progress = progress.stepped();
        loggingStep = progress.step() % run.config().logEveryNSteps() == 0 || progress.step() == 1;
        TrainerMetrics metrics = run.metrics();
        metrics.beginStep();
        run.callbacks().onTrainBatchEnd(run.trainer(), run.module(), lastLoss, batchIdx);
        metrics.endStep(lastLoss);
        if (loggingStep) {
            metrics.reportTrain(window, run.strategy().lastReduceNanos(), run.precision());
        }
        metrics.reportPerRank("train");
        if (scheduler != null && scheduler.interval() == LrScheduler.Interval.STEP) {
            scheduler.step();
        }
        long every = run.config().valCheckInterval();
        if (val != null && every > 0 && progress.step() % every == 0) {
            evaluation.run(val, Stage.VALIDATE);
            window.validated = true;
        }
    }

    private void endEpoch(TrainLogWindow window) {
        double epochLoss = window.epochLoss();
        if (!Double.isNaN(epochLoss)) {
            run.metrics().put("loss_epoch", epochLoss);
        }
        TrainerConfig config = run.config();
        boolean epochComplete = progress.epochDone(batchesPerEpoch);
        if (val != null && !window.validated && (config.fastDevRun()
                || epochComplete && (progress.epoch() + 1) % config.checkValEveryNEpoch() == 0)) {
            evaluation.run(val, Stage.VALIDATE);
        }
        if (epochComplete && scheduler != null && scheduler.interval() == LrScheduler.Interval.EPOCH) {
            scheduler.step();
        }
        agreeOnStop();
        run.callbacks().onTrainEpochEnd(run.trainer(), run.module());
        run.trainer().event("epoch_end", Trainer.fields("epoch", progress.epoch(), "step", progress.step(),
                "loss_epoch", run.metrics().latest().getOrDefault("loss_epoch", Double.NaN)));
        progress = progress.nextEpochIfDone(batchesPerEpoch);
    }

    /** Early stopping decided on one rank must stop all of them at the same step. */
    private void agreeOnStop() {
        if (run.strategy().worldSize() > 1) {
            double[] votes = run.strategy().allReduceSum(new double[] {stopRequested ? 1 : 0});
            if (votes[0] > 0 && !stopRequested) {
                requestStop("another rank requested a stop");
            }
        }
    }
}
