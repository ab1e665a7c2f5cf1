package dev.kiln.training.callbacks;

import dev.kiln.training.Trainer;
import dev.kiln.training.TrainingModule;

/** Adds the learning rate ("lr", or "lr-group1", ... for several parameter groups) to every logged training step. */
public final class LearningRateMonitor implements Callback {
    @Override
    public void onTrainBatchEnd(Trainer trainer, TrainingModule module, double loss, long batchIdx) {
        if (!trainer.isLoggingStep() || trainer.optimizer() == null) {
            return;
        }
        var groups = trainer.optimizer().param_groups();
        for (int i = 0; i < groups.size(); i++) {
            trainer.logStepMetric(i == 0 ? "lr" : "lr-group" + i, groups.get(i).options().get_lr());
        }
    }
}
