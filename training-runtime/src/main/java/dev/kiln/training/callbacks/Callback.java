package dev.kiln.training.callbacks;

import java.util.Map;

import org.bytedeco.pytorch.Optimizer;

import dev.kiln.training.Batch;
import dev.kiln.training.Trainer;
import dev.kiln.training.TrainingModule;

/**
 * Hooks into the Trainer's lifecycle, one no-op method per edge, as Lightning's {@code Callback}. State returned by
 * {@link #stateDict()} is saved in checkpoints under {@link #stateKey()} and handed back on resume.
 */
public interface Callback {
    default void onFitStart(Trainer trainer, TrainingModule module) {}

    /** After training ends normally (max epochs/steps reached or a stop was requested). */
    default void onFitEnd(Trainer trainer, TrainingModule module) {}

    default void onTrainEpochStart(Trainer trainer, TrainingModule module) {}

    default void onTrainEpochEnd(Trainer trainer, TrainingModule module) {}

    default void onTrainBatchStart(Trainer trainer, TrainingModule module, Batch batch, long batchIdx) {}

    /** After the optimizer step for this batch (with gradient accumulation: after the last batch of a group). */
    default void onTrainBatchEnd(Trainer trainer, TrainingModule module, double loss, long batchIdx) {}

    default void onBeforeOptimizerStep(Trainer trainer, TrainingModule module, Optimizer optimizer) {}

    default void onValidationStart(Trainer trainer, TrainingModule module) {}

    /**
     * After validation; {@link Trainer#callbackMetrics()} holds the averaged validation metrics. Also called after
     * the sanity check before training, with {@link Trainer#isSanityCheck()} true: its metrics are not kept.
     */
    default void onValidationEnd(Trainer trainer, TrainingModule module) {}

    default void onTestStart(Trainer trainer, TrainingModule module) {}

    default void onTestEnd(Trainer trainer, TrainingModule module) {}

    /** Metrics ready to report (on rank 0, plus per-rank metrics on every rank). */
    default void onMetrics(Trainer trainer, MetricsRecord record) {}

    /** A named event: fit_start, epoch_end, checkpoint, fit_end, fit_failed, ... */
    default void onEvent(Trainer trainer, String event, Map<String, Object> data) {}

    default void onException(Trainer trainer, TrainingModule module, Throwable error) {}

    default String stateKey() {
        return getClass().getSimpleName();
    }

    default Map<String, Object> stateDict() {
        return Map.of();
    }

    default void loadStateDict(Map<String, Object> state) {}
}
