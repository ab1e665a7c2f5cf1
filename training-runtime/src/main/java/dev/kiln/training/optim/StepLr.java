package dev.kiln.training.optim;

import org.bytedeco.pytorch.Optimizer;

/** Multiplies the rate by {@code gamma} every {@code stepSize} steps (or epochs), as PyTorch's {@code StepLR}. */
public final class StepLr extends ScheduleBase {
    private final long stepSize;
    private final double gamma;

    public StepLr(Optimizer optimizer, long stepSize, double gamma, Interval interval) {
        super(optimizer, interval);
        if (stepSize <= 0) {
            throw new IllegalArgumentException("stepSize must be positive");
        }
        this.stepSize = stepSize;
        this.gamma = gamma;
        start();
    }

    @Override
    double lrAt(double baseLr, long count) {
        return baseLr * Math.pow(gamma, count / stepSize);
    }
}
