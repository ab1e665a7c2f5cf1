package dev.kiln.training.data;

import java.util.ArrayDeque;
import java.util.Arrays;
import java.util.Iterator;
import java.util.NoSuchElementException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

import org.bytedeco.javacpp.PointerScope;

import dev.kiln.training.Batch;
import dev.kiln.training.TrainingException;
import dev.kiln.training.runtime.NativeErrors;

/**
 * Batches from a dataset, gathered ahead of the training loop by background worker threads (the order stays
 * exactly that of the sampler). Build one with {@link #builder(Dataset)}.
 */
public final class DataLoader {
    private final Dataset dataset;
    private final int batchSize;
    private final boolean shuffle;
    private final long seed;
    private final boolean dropLast;
    private final int workers;
    private final Sampler sampler;
    private final int rank;
    private final int worldSize;

    private DataLoader(Builder b, int rank, int worldSize) {
        this.dataset = b.dataset;
        this.batchSize = b.batchSize;
        this.shuffle = b.shuffle;
        this.seed = b.seed;
        this.dropLast = b.dropLast;
        this.workers = b.workers;
        this.rank = rank;
        this.worldSize = worldSize;
        Sampler base = b.shuffle ? Sampler.shuffled(b.seed, dataset.blockSize()) : Sampler.sequential();
        this.sampler = worldSize > 1 ? Sampler.distributed(base, rank, worldSize) : base;
    }

    public static Builder builder(Dataset dataset) {
        return new Builder(dataset);
    }

    /** The same loader restricted to one rank's shard of every epoch (the Trainer calls this under DDP). */
    public DataLoader forRank(int rank, int worldSize) {
        var b = new Builder(dataset).batchSize(batchSize).shuffle(shuffle).seed(seed).dropLast(dropLast).workers(workers);
        return new DataLoader(b, rank, worldSize);
    }

    public Dataset dataset() {
        return dataset;
    }

    public int batchSize() {
        return batchSize;
    }

    public int worldSize() {
        return worldSize;
    }

    public int rank() {
        return rank;
    }

    /** Samples this rank sees per epoch. */
    public long samplesPerEpoch() {
        long size = dataset.size();
        return worldSize > 1 ? (size + worldSize - 1) / worldSize : size;
    }

    public long batchesPerEpoch() {
        long samples = samplesPerEpoch();
        return dropLast ? samples / batchSize : (samples + batchSize - 1) / batchSize;
    }

    /** Batches of one epoch, skipping the first {@code skipBatches} without loading them (for a mid-epoch resume). */
    public Batches epoch(int epoch, long skipBatches) {
        return new Batches(sampler.indices(dataset.size(), epoch), epoch, skipBatches);
    }

    /** An epoch's batches; close it to stop the workers early. */
    public final class Batches implements Iterator<Batch>, AutoCloseable {
        private final long[] order;
        private final int epoch;
        private final long total;
        private long nextToSubmit;
        private long nextToReturn;
        private final ArrayDeque<CompletableFuture<Batch>> ahead = new ArrayDeque<>();
        private final ExecutorService pool;

        private Batches(long[] order, int epoch, long skip) {
            this.order = order;
            this.epoch = epoch;
            this.total = batchesPerEpoch();
            this.nextToSubmit = Math.min(skip, total);
            this.nextToReturn = nextToSubmit;
            this.pool = workers > 0 ? Executors.newFixedThreadPool(workers, r -> {
                Thread thread = new Thread(r, "kiln-data-worker");
                thread.setDaemon(true);
                return thread;
            }) : null;
        }

        /** Index of the batch that {@link #next()} returns next, counted from the start of the epoch. */
        public long position() {
            return nextToReturn;
        }

        @Override
        public boolean hasNext() {
            return nextToReturn < total;
        }

        @Override
        public Batch next() {
            if (!hasNext()) {
                throw new NoSuchElementException();
            }
            if (pool == null) {
                return load(nextToReturn++);
            }
            while (ahead.size() < workers * 2 && nextToSubmit < total) {
                long index = nextToSubmit++;
                ahead.add(CompletableFuture.supplyAsync(() -> load(index), pool));
            }
            nextToReturn++;
            try {
                Batch batch = ahead.poll().join();
                // Made on a worker thread, the tensors belong to no scope: hand them to the caller's, if any, so a
                // training step frees its batch like everything else it allocated.
                PointerScope scope = PointerScope.getInnerScope();
                if (scope != null) {
                    batch.tensors().forEach(scope::attach);
                }
                return batch;
            } catch (CompletionException e) {
                throw e.getCause() instanceof RuntimeException r ? r : new TrainingException(e.getMessage(), e);
            }
        }

        private Batch load(long batchIndex) {
            int from = Math.toIntExact(batchIndex * batchSize);
            int to = Math.min(order.length, from + batchSize);
            try {
                return dataset.get(Arrays.copyOfRange(order, from, to));
            } catch (DataFormatException e) {
                throw e;
            } catch (RuntimeException e) {
                throw new TrainingException("Loading batch " + batchIndex + " of epoch " + epoch + " failed: "
                        + NativeErrors.firstLine(e), e);
            }
        }

        @Override
        public void close() {
            if (pool != null) {
                ahead.forEach(f -> f.cancel(true));
                pool.shutdownNow();
            }
        }
    }

    public static final class Builder {
        private final Dataset dataset;
        private int batchSize = 32;
        private boolean shuffle;
        private long seed = 0;
        private boolean dropLast;
        // As PyTorch's num_workers=0: in-memory data gathers faster on the training thread than through a hand-off,
        // and on small machines a worker thread competes with libtorch's own threads (measured: half the steps/s).
        private int workers = 0;

        private Builder(Dataset dataset) {
            this.dataset = dataset;
        }

        public Builder batchSize(int batchSize) {
            if (batchSize <= 0) {
                throw new IllegalArgumentException("batchSize must be positive, got " + batchSize);
            }
            this.batchSize = batchSize;
            return this;
        }

        public Builder shuffle(boolean shuffle) {
            this.shuffle = shuffle;
            return this;
        }

        /** Seeds the shuffle; the Trainer's seed is a good choice. */
        public Builder seed(long seed) {
            this.seed = seed;
            return this;
        }

        public Builder dropLast(boolean dropLast) {
            this.dropLast = dropLast;
            return this;
        }

        /**
         * Background threads that gather batches ahead of the training loop (default 0: load on the training
         * thread). Worth it when loading is slow: sharded data on disk, decoding, augmentation.
         */
        public Builder workers(int workers) {
            if (workers < 0) {
                throw new IllegalArgumentException("workers must be 0 or more");
            }
            this.workers = workers;
            return this;
        }

        public DataLoader build() {
            if (dataset.size() == 0) {
                throw new IllegalArgumentException("the dataset is empty");
            }
            return new DataLoader(this, 0, 1);
        }
    }
}
