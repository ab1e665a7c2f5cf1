package dev.kiln.training.optim;

import org.bytedeco.pytorch.Optimizer;

/**
 * Linear warm-up from 0 over {@code warmupSteps}, then cosine decay to {@code minLr} at {@code totalSteps}: the
 * usual schedule for transformers.
 */
public final class CosineLr extends ScheduleBase {
    private final long warmupSteps;
    private final long totalSteps;
    private final double minLr;

    public CosineLr(Optimizer optimizer, long warmupSteps, long totalSteps, double minLr) {
        super(optimizer, Interval.STEP);
        if (totalSteps <= warmupSteps) {
            throw new IllegalArgumentException("totalSteps must exceed warmupSteps");
        }
        this.warmupSteps = warmupSteps;
        this.totalSteps = totalSteps;
        this.minLr = minLr;
        start();
    }

    @Override
    double lrAt(double baseLr, long count) {
        if (count < warmupSteps) {
            return baseLr * (count + 1) / (warmupSteps + 1);
        }
        double progress = Math.min(1.0, (double) (count - warmupSteps) / (totalSteps - warmupSteps));
        return minLr + (baseLr - minLr) * 0.5 * (1 + Math.cos(Math.PI * progress));
    }
}
