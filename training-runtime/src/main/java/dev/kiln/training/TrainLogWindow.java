package dev.kiln.training;

/**
 * Running sums of one epoch for its train metrics lines: the loss over the epoch ({@code loss_epoch}) and, since the
 * last line, the mean loss and the samples per second.
 */
final class TrainLogWindow {
    private double epochLossSum;
    private long epochLossCount;
    private double windowLoss;
    private int windowCount;
    private long windowSamples;
    private long windowStart = System.nanoTime();
    /** Whether validation already ran in this epoch (every N steps), so the epoch's end need not run it again. */
    boolean validated;

    void samples(long samples) {
        windowSamples += samples;
    }

    /** The loss of an optimizer step; non-finite losses (skipped under {@link NanPolicy#SKIP_BATCH}) do not count. */
    void loss(double loss) {
        if (Double.isFinite(loss)) {
            epochLossSum += loss;
            epochLossCount++;
            windowLoss += loss;
            windowCount++;
        }
    }

    double meanLoss() {
        return windowCount == 0 ? Double.NaN : windowLoss / windowCount;
    }

    double samplesPerSecond() {
        return windowSamples / Math.max((System.nanoTime() - windowStart) / 1e9, 1e-9);
    }

    /** The mean loss of the epoch so far, or NaN before its first finite loss. */
    double epochLoss() {
        return epochLossCount == 0 ? Double.NaN : epochLossSum / epochLossCount;
    }

    /** Starts the next line's window. */
    void restart() {
        windowLoss = 0;
        windowCount = 0;
        windowSamples = 0;
        windowStart = System.nanoTime();
    }
}
