package dev.kiln.server.data;

import software.amazon.awssdk.core.sync.RequestBody;

/**
 * The training runtime's test S3 server (S3Proxy as its own process) with a "datasets" bucket: a small CSV, a
 * malformed CSV, a 5 MB text file, 25 shards, a Parquet table and a file that only claims to be Parquet.
 */
public final class SeededS3 {
    public static final String IDENTITY = dev.kiln.training.storage.S3ProxyServer.IDENTITY;
    public static final String CREDENTIAL = dev.kiln.training.storage.S3ProxyServer.CREDENTIAL;

    private SeededS3() {}

    public static dev.kiln.training.storage.S3ProxyServer start() throws Exception {
        var server = dev.kiln.training.storage.S3ProxyServer.start();
        try (var s3 = server.client()) {
            s3.createBucket(b -> b.bucket("datasets"));
            s3.putObject(b -> b.bucket("datasets").key("iris.csv"), RequestBody.fromString(
                    "sepal_length,sepal_width,species\n5.1,3.5,setosa\n7.0,3.2,versicolor\n6.3,3.3,virginica\n"));
            s3.putObject(b -> b.bucket("datasets").key("broken.csv"), RequestBody.fromString(
                    "a,b\n1,\"unclosed quote\n2,3\n"));
            s3.putObject(b -> b.bucket("datasets").key("big.txt"), RequestBody.fromString(
                    "0123456789abcdef\n".repeat(300_000))); // about 5 MB
            for (int i = 0; i < 25; i++) {
                int n = i;
                s3.putObject(b -> b.bucket("datasets").key("shards/part-%03d.bin".formatted(n)),
                        RequestBody.fromString("x"));
            }
            s3.putObject(b -> b.bucket("datasets").key("tables/flowers.parquet"), RequestBody.fromBytes(parquet(
                    "select x as id, 1.5 * x as petal_length, case when mod(x, 2) = 0 then 'setosa' else null end "
                            + "as species from system_range(1, 500)")));
            s3.putObject(b -> b.bucket("datasets").key("tables/fake.parquet"), RequestBody.fromString("PAR1 not really"));
        }
        return server;
    }

    /** A query's result over an in-memory H2 database, as the Parquet file Kiln's export writes. */
    public static byte[] parquet(String sql) throws Exception {
        try (var db = java.sql.DriverManager.getConnection("jdbc:h2:mem:");
             var rows = db.createStatement().executeQuery(sql)) {
            var out = new java.io.ByteArrayOutputStream();
            var writer = new ParquetRowWriter(out, ParquetRowWriter.columnsOf(rows.getMetaData()));
            while (rows.next()) {
                writer.addRow(rows);
            }
            writer.finish();
            return out.toByteArray();
        }
    }
}
