package dev.kiln.training.data;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.stream.LongStream;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import dev.kiln.training.Batch;
import dev.kiln.training.runtime.Tensors;

class DataTest {
    @TempDir
    Path dir;

    /** Rows whose value is their own index, so a batch shows exactly which rows it holds. */
    private static TensorDataset numbered(int n) {
        long[] ids = LongStream.range(0, n).toArray();
        float[] features = new float[n * 2];
        for (int i = 0; i < n; i++) {
            features[2 * i] = i;
            features[2 * i + 1] = -i;
        }
        return new TensorDataset(Tensors.fromFloats(features, n, 2), Tensors.fromLongs(ids, n));
    }

    private static List<Long> ids(DataLoader loader, int epoch, long skip) {
        var ids = new ArrayList<Long>();
        try (var batches = loader.epoch(epoch, skip)) {
            while (batches.hasNext()) {
                Batch batch = batches.next();
                for (long id : Tensors.toLongs(batch.y())) {
                    ids.add(id);
                }
            }
        }
        return ids;
    }

    @Test
    void shuffleIsSeededPerEpochAndWorkersKeepTheOrder() {
        var data = numbered(100);
        var sync = DataLoader.builder(data).batchSize(8).shuffle(true).seed(5).workers(0).build();
        var threaded = DataLoader.builder(data).batchSize(8).shuffle(true).seed(5).workers(3).build();
        assertThat(ids(threaded, 0, 0)).isEqualTo(ids(sync, 0, 0));
        assertThat(new HashSet<>(ids(sync, 0, 0))).hasSize(100);
        assertThat(ids(sync, 1, 0)).isNotEqualTo(ids(sync, 0, 0));
        assertThat(ids(sync, 0, 0)).isNotEqualTo(LongStream.range(0, 100).boxed().toList());
        assertThat(sync.batchesPerEpoch()).isEqualTo(13);
    }

    @Test
    void skippingBatchesResumesMidEpoch() {
        var loader = DataLoader.builder(numbered(50)).batchSize(10).shuffle(true).seed(1).build();
        var all = ids(loader, 2, 0);
        assertThat(ids(loader, 2, 3)).isEqualTo(all.subList(30, 50));
    }

    @Test
    void distributedRanksGetDisjointEqualShares() {
        var loader = DataLoader.builder(numbered(101)).batchSize(10).shuffle(true).seed(9).build();
        var rank0 = ids(loader.forRank(0, 2), 0, 0);
        var rank1 = ids(loader.forRank(1, 2), 0, 0);
        assertThat(rank0).hasSize(51);
        assertThat(rank1).hasSize(51);
        var union = new HashSet<>(rank0);
        union.addAll(rank1);
        assertThat(union).hasSize(101); // every row seen; one row twice to even out the shares
        assertThat(loader.forRank(0, 2).batchesPerEpoch()).isEqualTo(loader.forRank(1, 2).batchesPerEpoch());
    }

    @Test
    void shardsRoundTripAndShuffleShardByShard() throws Exception {
        var source = numbered(250);
        try (var writer = ShardWriter.create(dir.resolve("prepared"), 100, "x", "y")) {
            for (int start = 0; start < 250; start += 30) {
                long[] rows = LongStream.range(start, Math.min(250, start + 30)).toArray();
                Batch part = source.get(rows);
                writer.add(part.x(), part.y());
            }
            writer.finish();
        }
        var shards = ShardedDataset.open(dir.resolve("prepared"));
        assertThat(shards.size()).isEqualTo(250);
        assertThat(shards.blockSize()).isEqualTo(100);
        assertThat(Files.list(dir.resolve("prepared")).map(p -> p.getFileName().toString()).sorted().toList())
                .containsExactly("index.json", "shard-00000.safetensors", "shard-00001.safetensors",
                        "shard-00002.safetensors");
        Batch rows = shards.get(new long[] {249, 0, 150, 99, 100});
        assertThat(Tensors.toLongs(rows.y())).containsExactly(249, 0, 150, 99, 100);
        assertThat(Tensors.toFloats(rows.x())).containsExactly(249, -249, 0, 0, 150, -150, 99, -99, 100, -100);

        var loader = DataLoader.builder(shards).batchSize(50).shuffle(true).seed(2).build();
        var order = ids(loader, 0, 0);
        assertThat(new HashSet<>(order)).hasSize(250);
        // Block-wise shuffle: each run of 100 (one shard) stays within one shard.
        assertThat(order.subList(0, 50).stream().map(id -> id / 100).distinct().count()).isEqualTo(1);
    }

    @Test
    void aPrepStepThatFailsHalfWayLeavesNothingBehind() throws Exception {
        assertThatThrownBy(() -> {
            try (var writer = ShardWriter.create(dir.resolve("failed"), 10, "x", "y")) {
                Batch part = numbered(25).get(LongStream.range(0, 25).toArray());
                writer.add(part.x(), part.y());
                throw new IllegalStateException("row 26 is malformed");
            }
        }).hasMessage("row 26 is malformed");
        assertThat(dir.resolve("failed")).isEmptyDirectory();
    }

    @Test
    void anUnfinishedShardDirectoryIsRefused() throws Exception {
        Files.createDirectories(dir.resolve("half"));
        assertThatThrownBy(() -> ShardedDataset.open(dir.resolve("half")))
                .isInstanceOf(DataFormatException.class).hasMessageContaining("did not finish");
        try (var writer = ShardWriter.create(dir.resolve("ok"), 10, "x", "y")) {
            Batch part = numbered(20).get(LongStream.range(0, 20).toArray());
            writer.add(part.x(), part.y());
            writer.finish();
        }
        Files.delete(dir.resolve("ok/shard-00001.safetensors"));
        assertThatThrownBy(() -> ShardedDataset.open(dir.resolve("ok")))
                .hasMessageContaining("lists shard-00001.safetensors but it is missing");
    }

    @Test
    void csvFilesLoadWithTheirHeader() throws Exception {
        Path csv = dir.resolve("iris.csv");
        Files.writeString(csv, "a,b,label\n1.5,2,0\n3,4.25,2\n\n5,6,1\n");
        var data = CsvDataset.classification(csv, "label");
        assertThat(data.size()).isEqualTo(3);
        assertThat(Tensors.toFloats(data.tensors().get(0))).containsExactly(1.5f, 2, 3, 4.25f, 5, 6);
        assertThat(Tensors.toLongs(data.tensors().get(1))).containsExactly(0, 2, 1);
        var regression = CsvDataset.regression(csv, "b");
        assertThat(Tensors.shape(regression.tensors().get(1))).containsExactly(3, 1);
    }

    @Test
    void csvMistakesNameTheLineAndColumn() throws Exception {
        Path csv = dir.resolve("bad.csv");
        Files.writeString(csv, "a,b,label\n1,2,0\n3,oops,1\n");
        assertThatThrownBy(() -> CsvDataset.classification(csv, "label"))
                .isInstanceOf(DataFormatException.class).hasMessageContaining("line 3, column 'b': 'oops' is not a number");
        assertThatThrownBy(() -> CsvDataset.classification(csv, "target"))
                .hasMessageContaining("has no column 'target'; its columns are a, b, label");
        Files.writeString(csv, "a,b,label\n1,2,0\n3,4\n");
        assertThatThrownBy(() -> CsvDataset.classification(csv, "label"))
                .hasMessageContaining("line 3 has 2 values but the header has 3 columns");
        Files.writeString(csv, "a,b,label\n1,2,0.5\n");
        assertThatThrownBy(() -> CsvDataset.classification(csv, "label")).hasMessageContaining("is not a class index");
    }
}
