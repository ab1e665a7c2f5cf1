package dev.kiln.training;

import dev.kiln.training.dist.Strategy;

/** What the loops of one fit, validate or test share: the Trainer (the callbacks' first argument) and its parts. */
record LoopContext(Trainer trainer, TrainingModule module, TrainerConfig config, TrainerSetup setup,
                   CallbackList callbacks, TrainerMetrics metrics) {
    Strategy strategy() {
        return setup.strategy();
    }

    PrecisionPlugin precision() {
        return setup.precision();
    }

    /** Loaders produce CPU tensors; only a GPU run moves them. */
    Batch toDevice(Batch batch) {
        return setup.onCpu() ? batch : batch.to(setup.strategy().device());
    }
}
