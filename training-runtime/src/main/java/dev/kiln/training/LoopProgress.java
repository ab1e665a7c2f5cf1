package dev.kiln.training;

/**
 * Where the fit loop stands: optimizer steps taken, the epoch, and how many of the epoch's batches are done. A value,
 * so a checkpoint holds exactly the position a resume continues from.
 */
record LoopProgress(long step, int epoch, long batchInEpoch) {
    static final LoopProgress START = new LoopProgress(0, 0, 0);

    LoopProgress batchDone(long batchIdx) {
        return new LoopProgress(step, epoch, batchIdx + 1);
    }

    LoopProgress stepped() {
        return new LoopProgress(step + 1, epoch, batchInEpoch);
    }

    boolean epochDone(long batchesPerEpoch) {
        return batchInEpoch >= batchesPerEpoch;
    }

    /** A finished epoch moves on to the next, so a run or a resume from its end does not replay it. */
    LoopProgress nextEpochIfDone(long batchesPerEpoch) {
        return epochDone(batchesPerEpoch) ? new LoopProgress(step, epoch + 1, 0) : this;
    }
}
