package dev.kiln.training;

import org.bytedeco.pytorch.Optimizer;

import dev.kiln.training.optim.LrScheduler;

/** What {@link TrainingModule#configureOptimizers()} returns: an optimizer and, optionally, its LR scheduler. */
public record OptimizerConfig(Optimizer optimizer, LrScheduler scheduler) {
    public OptimizerConfig {
        if (optimizer == null) {
            throw new IllegalArgumentException("configureOptimizers() must return an optimizer");
        }
    }

    public static OptimizerConfig of(Optimizer optimizer) {
        return new OptimizerConfig(optimizer, null);
    }

    public static OptimizerConfig of(Optimizer optimizer, LrScheduler scheduler) {
        return new OptimizerConfig(optimizer, scheduler);
    }
}
