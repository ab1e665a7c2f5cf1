package dev.kiln.benchmarks;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;

import dev.kiln.training.storage.S3Objects;
import dev.kiln.training.storage.S3ProxyServer;
import dev.kiln.training.storage.S3Uri;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.services.s3.S3Client;

/**
 * Dataset read throughput from an S3-compatible server (S3Proxy, its own process, on this machine): Kiln's reader
 * (parallel ranged GETs, next objects prefetched) against a plain sequential GetObject loop over the same objects,
 * alternating, in the same run. Two shapes: many small objects (latency-bound) and a few large ones (bandwidth-bound).
 * Usage: S3ReadBench [rounds]. Not a test; never gates CI.
 */
public final class S3ReadBench {
    record Shape(String name, int count, int bytes) {}

    public static void main(String[] args) throws Exception {
        int rounds = args.length > 0 ? Integer.parseInt(args[0]) : 3;
        var shapes = List.of(new Shape("small", 400, 256 << 10), new Shape("large", 6, 48 << 20));
        try (var server = S3ProxyServer.start(); S3Client s3 = server.client()) {
            s3.createBucket(b -> b.bucket("bench"));
            var random = new Random(1);
            for (Shape shape : shapes) {
                byte[] data = new byte[shape.bytes()];
                for (int i = 0; i < shape.count(); i++) {
                    random.nextBytes(data);
                    int n = i;
                    s3.putObject(b -> b.bucket("bench").key(shape.name() + "/obj-%04d".formatted(n)),
                            RequestBody.fromBytes(data));
                }
            }
            System.out.printf("S3-compatible server: S3Proxy %s (file system backend) on 127.0.0.1, %d cores%n",
                    System.getProperty("s3proxy.version", "4.1.0"), Runtime.getRuntime().availableProcessors());
            System.out.printf("%-6s %7s %9s | %18s | %18s | %6s%n", "shape", "objects", "MiB", "sequential MiB/s",
                    "Kiln reader MiB/s", "ratio");
            for (Shape shape : shapes) {
                var location = S3Uri.parse("s3://bench/" + shape.name() + "/");
                double[] sequential = new double[rounds];
                double[] kiln = new double[rounds];
                for (int round = 0; round < rounds; round++) {
                    sequential[round] = sequentialLoop(s3, location);
                    kiln[round] = kilnReader(s3, location);
                }
                double mib = (double) shape.count() * shape.bytes() / (1 << 20);
                double seq = median(sequential);
                double k = median(kiln);
                System.out.printf("%-6s %7d %9.0f | %18.0f | %18.0f | %5.2fx%n", shape.name(), shape.count(), mib,
                        seq, k, k / seq);
            }
        }
    }

    /** The baseline a user would write: list, then GetObject each object in turn. */
    static double sequentialLoop(S3Client s3, S3Uri location) {
        long start = System.nanoTime();
        long total = 0;
        var keys = new ArrayList<String>();
        for (var page : s3.listObjectsV2Paginator(b -> b.bucket(location.bucket()).prefix(location.key()))) {
            page.contents().forEach(o -> keys.add(o.key()));
        }
        for (String key : keys) {
            total += s3.getObjectAsBytes(b -> b.bucket(location.bucket()).key(key)).asByteArray().length;
        }
        return total / 1048576.0 / ((System.nanoTime() - start) / 1e9);
    }

    static double kilnReader(S3Client s3, S3Uri location) {
        long start = System.nanoTime();
        long total = 0;
        try (var objects = new S3Objects(s3, 8, 8L << 20)) {
            var entries = objects.list(location);
            var blobs = objects.readAll(entries, location.bucket(), 4);
            while (blobs.hasNext()) {
                total += blobs.next().bytes().length;
            }
        }
        return total / 1048576.0 / ((System.nanoTime() - start) / 1e9);
    }

    static double median(double[] values) {
        double[] sorted = values.clone();
        Arrays.sort(sorted);
        return sorted[sorted.length / 2];
    }
}
