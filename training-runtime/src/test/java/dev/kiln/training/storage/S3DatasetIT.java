package dev.kiln.training.storage;

import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Random;
import java.util.stream.LongStream;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import software.amazon.awssdk.core.sync.RequestBody;

import dev.kiln.training.data.DataFormatException;
import dev.kiln.training.data.DataLoader;
import dev.kiln.training.data.ShardWriter;
import dev.kiln.training.data.ShardedDataset;
import dev.kiln.training.runtime.Tensors;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * s3:// datasets against a real S3-compatible server (S3Proxy, its own process): shards written to S3 (one of them
 * large enough for a multipart upload) and read back through parallel ranged GETs into the local cache; the bad
 * inputs a user meets (wrong keys, no bucket, no index, a corrupt shard).
 */
class S3DatasetIT {
    static S3ProxyServer server;
    @TempDir
    static Path home;

    @BeforeAll
    static void start() throws Exception {
        server = S3ProxyServer.start();
        try (var s3 = server.client()) {
            s3.createBucket(b -> b.bucket("datasets"));
        }
        useConnections(S3ProxyServer.CREDENTIAL);
    }

    @AfterAll
    static void stop() {
        System.clearProperty("kiln.connections");
        server.close();
    }

    /** The file Kiln hands a job, as the agent writes it. */
    static void useConnections(String secret) throws Exception {
        Path file = Files.createTempFile(home, "connections-", ".json");
        Files.writeString(file, """
                {"connections": [{"name": "datasets", "type": "s3", "bucket": "datasets", "region": "us-east-1",
                  "endpoint": "%s", "pathStyle": true, "accessKeyId": "%s", "secretAccessKey": "%s"}]}
                """.formatted(server.endpoint(), S3ProxyServer.IDENTITY, secret));
        System.setProperty("kiln.connections", file.toString());
    }

    /** Rows i: x = [i, i+1, ..., i+15], y = [i]. */
    static void writeRows(ShardWriter writer, long from, long to) throws Exception {
        int rows = (int) (to - from);
        float[] x = new float[rows * 16];
        float[] y = new float[rows];
        for (int r = 0; r < rows; r++) {
            for (int f = 0; f < 16; f++) {
                x[r * 16 + f] = from + r + f;
            }
            y[r] = from + r;
        }
        writer.add(Tensors.fromFloats(x, rows, 16), Tensors.fromFloats(y, rows, 1));
    }

    @Test
    void shardsWrittenToS3AreReadBackRowForRow() throws Exception {
        try (var writer = ShardWriter.create("s3://datasets/prepared/numbers", 1000, "x", "y")) {
            for (long start = 0; start < 4500; start += 700) {
                writeRows(writer, start, Math.min(4500, start + 700));
            }
            writer.finish();
        }
        List<String> keys;
        try (var s3 = server.client()) {
            keys = s3.listObjectsV2(b -> b.bucket("datasets").prefix("prepared/numbers/")).contents().stream()
                    .map(o -> o.key()).toList();
        }
        assertThat(keys).contains("prepared/numbers/index.json", "prepared/numbers/shard-00004.safetensors")
                .hasSize(6);

        Path cache = home.resolve("cache");
        try (var dataset = ShardedDataset.open("s3://datasets/prepared/numbers", cache)) {
            assertThat(dataset.size()).isEqualTo(4500);
            var loader = DataLoader.builder(dataset).batchSize(128).shuffle(true).seed(3).build();
            var seen = new ArrayList<Long>();
            try (var batches = loader.epoch(0, 0)) {
                while (batches.hasNext()) {
                    var batch = batches.next();
                    float[] x = Tensors.toFloats(batch.x());
                    float[] y = Tensors.toFloats(batch.y());
                    for (int r = 0; r < y.length; r++) {
                        assertThat(x[r * 16 + 15]).isEqualTo(y[r] + 15); // rows arrive whole
                        seen.add((long) y[r]);
                    }
                }
            }
            assertThat(seen).containsExactlyInAnyOrderElementsOf(LongStream.range(0, 4500).boxed().toList());
        }
        Path cached = cache.resolve("datasets/prepared/numbers/shard-00000.safetensors");
        assertThat(cached).exists();
        var modified = Files.getLastModifiedTime(cached);

        // A second job on the same machine reads the cache, not the network.
        Thread.sleep(20);
        try (var again = ShardedDataset.open("s3://datasets/prepared/numbers/", cache)) {
            assertThat(Tensors.toFloats(again.get(new long[] {4499}).y())).containsExactly(4499f);
        }
        assertThat(Files.getLastModifiedTime(cached)).isEqualTo(modified);
    }

    @Test
    void aLargeObjectGoesUpInPartsAndComesBackByteForByte() throws Exception {
        byte[] data = new byte[(int) (S3Objects.MULTIPART_THRESHOLD + 5_000_123)];
        new Random(5).nextBytes(data);
        Path file = home.resolve("large.bin");
        Files.write(file, data);
        var target = S3Uri.parse("s3://datasets/large/large.bin");
        try (var objects = S3Objects.forLocation(target)) {
            objects.upload(file, target);
            var entry = objects.head(target);
            assertThat(entry.size()).isEqualTo(data.length);
            assertThat(entry.etag()).as("a multipart upload's ETag").contains("-");
        }
        // Small parts, several at once: the assembled bytes must be exactly the object.
        try (var s3 = server.client(); var objects = new S3Objects(s3, 6, 1 << 20)) {
            assertThat(sha(objects.read(target))).isEqualTo(sha(data));
        }
    }

    @Test
    void manyObjectsAreReadInOrderWithPrefetch() throws Exception {
        var expected = new ArrayList<String>();
        try (var s3 = server.client()) {
            for (int i = 0; i < 12; i++) {
                String text = ("object " + i + "\n").repeat(1000 + i);
                expected.add(text);
                s3.putObject(b -> b.bucket("datasets").key("raw/part-%02d.txt".formatted(expected.size() - 1)),
                        RequestBody.fromString(text));
            }
        }
        var location = S3Uri.parse("s3://datasets/raw/");
        try (var objects = S3Objects.forLocation(location)) {
            var entries = objects.list(location);
            assertThat(entries).extracting(S3Objects.Entry::name).startsWith("part-00.txt", "part-01.txt");
            var read = new ArrayList<String>();
            objects.readAll(entries, location.bucket(), 3).forEachRemaining(blob -> read.add(new String(blob.bytes())));
            assertThat(read).isEqualTo(expected);
        }
    }

    @Test
    void badLocationsAndCredentialsSayWhatIsWrong() throws Exception {
        assertThatThrownBy(() -> ShardedDataset.open("s3://no-such-bucket/x", home.resolve("c1")))
                .hasMessageContaining("no bucket 'no-such-bucket'");
        assertThatThrownBy(() -> ShardedDataset.open("s3://datasets/nothing-here", home.resolve("c2")))
                .isInstanceOf(DataFormatException.class).hasMessageContaining("has no index.json");
        assertThatThrownBy(() -> ShardedDataset.open("s3://elsewhere@datasets/x", home.resolve("c3")))
                .hasMessageContaining("names the connection 'elsewhere'");

        // A shard that is not what the index says: caught when it arrives, naming the file.
        try (var writer = ShardWriter.create("s3://datasets/corrupt", 10, "x", "y")) {
            writeRows(writer, 0, 20);
            writer.finish();
        }
        // A prep step that fails half-way leaves nothing on S3 (shards uploaded so far are removed).
        try (var writer = ShardWriter.create("s3://datasets/abandoned", 10, "x", "y")) {
            writeRows(writer, 0, 35);
        }
        try (var s3 = server.client()) {
            assertThat(s3.listObjectsV2(b -> b.bucket("datasets").prefix("abandoned/")).contents()).isEmpty();
        }
        try (var s3 = server.client()) {
            s3.putObject(b -> b.bucket("datasets").key("corrupt/shard-00001.safetensors"),
                    RequestBody.fromString("not a safetensors file"));
        }
        try (var dataset = ShardedDataset.open("s3://datasets/corrupt", home.resolve("c4"))) {
            assertThat(Tensors.toFloats(dataset.get(new long[] {3}).y())).containsExactly(3f);
            assertThatThrownBy(() -> dataset.get(new long[] {15})).isInstanceOf(DataFormatException.class)
                    .hasMessageContaining("shard-00001.safetensors");
        }

        useConnections("wrong-secret");
        try {
            assertThatThrownBy(() -> ShardedDataset.open("s3://datasets/prepared/numbers", home.resolve("c5")))
                    .isInstanceOf(StorageException.class).hasMessageContaining("access denied");
        } finally {
            useConnections(S3ProxyServer.CREDENTIAL);
        }
    }

    static String sha(byte[] data) throws Exception {
        return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(data));
    }
}
