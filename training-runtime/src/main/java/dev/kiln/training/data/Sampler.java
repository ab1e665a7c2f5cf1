package dev.kiln.training.data;

import java.util.SplittableRandom;

/**
 * The order in which one rank visits a dataset in one epoch. Orders come from a seeded Java generator, not libtorch's,
 * so they are the same on every rank and after a resume, whatever the model did with torch's RNG.
 */
public interface Sampler {
    long[] indices(long datasetSize, int epoch);

    static Sampler sequential() {
        return (size, epoch) -> {
            long[] order = new long[Math.toIntExact(size)];
            for (int i = 0; i < order.length; i++) {
                order[i] = i;
            }
            return order;
        };
    }

    /**
     * A fresh permutation per epoch from {@code seed} and the epoch. With {@code blockSize > 0} whole blocks are
     * shuffled, then rows within each block, so sharded data is read one shard at a time.
     */
    static Sampler shuffled(long seed, long blockSize) {
        return (size, epoch) -> {
            var random = new SplittableRandom(seed * 1_000_003L + epoch);
            int n = Math.toIntExact(size);
            long[] order = new long[n];
            if (blockSize <= 0 || blockSize >= size) {
                for (int i = 0; i < n; i++) {
                    order[i] = i;
                }
                shuffle(order, 0, n, random);
                return order;
            }
            int blocks = (int) ((size + blockSize - 1) / blockSize);
            long[] blockOrder = new long[blocks];
            for (int b = 0; b < blocks; b++) {
                blockOrder[b] = b;
            }
            shuffle(blockOrder, 0, blocks, random);
            int at = 0;
            for (long block : blockOrder) {
                int start = at;
                long first = block * blockSize;
                long last = Math.min(size, first + blockSize);
                for (long row = first; row < last; row++) {
                    order[at++] = row;
                }
                shuffle(order, start, at, random);
            }
            return order;
        };
    }

    /**
     * This rank's share of another sampler's order, as PyTorch's {@code DistributedSampler}: the order is padded by
     * wrapping around to a multiple of {@code worldSize}, then rank r takes positions r, r + worldSize, ... Every rank
     * gets the same number of samples, so collectives stay in step.
     */
    static Sampler distributed(Sampler inner, int rank, int worldSize) {
        return (size, epoch) -> {
            long[] all = inner.indices(size, epoch);
            int perRank = (all.length + worldSize - 1) / worldSize;
            long[] mine = new long[perRank];
            for (int i = 0; i < perRank; i++) {
                mine[i] = all[(rank + i * worldSize) % all.length];
            }
            return mine;
        };
    }

    private static void shuffle(long[] values, int from, int to, SplittableRandom random) {
        for (int i = to - 1; i > from; i--) {
            int j = from + random.nextInt(i - from + 1);
            long swap = values[i];
            values[i] = values[j];
            values[j] = swap;
        }
    }
}
