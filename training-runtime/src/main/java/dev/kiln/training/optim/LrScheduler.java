package dev.kiln.training.optim;

import java.util.Map;

/**
 * Changes an optimizer's learning rate as training goes on. The Trainer calls {@link #step()} after each optimizer
 * step ({@link Interval#STEP}) or each epoch ({@link Interval#EPOCH}), and saves {@link #state()} in checkpoints.
 */
public interface LrScheduler {
    enum Interval { STEP, EPOCH }

    Interval interval();

    void step();

    /** The learning rate of each parameter group right now. */
    double[] currentLrs();

    Map<String, Object> state();

    void loadState(Map<String, Object> state);
}
