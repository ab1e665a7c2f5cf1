package dev.kiln.training.data;

import dev.kiln.training.Batch;

/** Rows addressable by index; a loader asks for many rows at once so that gathering is one native call. */
public interface Dataset {
    long size();

    /** The rows at these indices, in this order, stacked into one batch. Called from loader worker threads. */
    Batch get(long[] indices);

    /**
     * Rows that live together (a shard), so shuffling keeps reads local: the sampler shuffles whole blocks and then
     * rows within each block. Zero means any order is cheap.
     */
    default long blockSize() {
        return 0;
    }
}
