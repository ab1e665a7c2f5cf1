package example;

import java.io.InputStreamReader;
import java.io.Reader;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.ResultSet;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import dev.hardwood.InputFile;
import dev.hardwood.reader.ParquetFileReader;
import dev.kiln.training.data.ShardWriter;
import dev.kiln.training.runtime.Tensors;
import dev.kiln.training.storage.Connections;
import dev.kiln.training.storage.S3Objects;
import dev.kiln.training.storage.S3Uri;
import dev.kiln.training.data.CsvProblems;
import org.apache.commons.csv.CSVFormat;
import org.apache.commons.csv.CSVRecord;

/**
 * Data prep: reads rows from CSV files on S3 (or from a SQL connection: Snowflake, PostgreSQL), turns them into
 * tensors and writes shards that a TrainingModule reads with ShardedDataset.open(...), from S3 or from the machine.
 * Run it from the Jobs tab with entry point example.PrepareData and arguments such as
 *
 *   source=s3://my-bucket/raw/ target=s3://my-bucket/prepared/sums label=y
 *   sql=warehouse query="select f0, f1, y from sales" target=data/sums label=y
 *
 * source: every .csv and .parquet file under that S3 prefix (read with parallel ranged GETs, the next files
 *         prefetched; a query result exported from the Data tab is such a file);
 * sql + query (or queryFile, a file of this workspace): the named connection of the Data tab and the query, whose
 *         rows stream through a cursor;
 * label: the column to predict (float); every other column is a float feature.
 * The connections' credentials reach the job as short-lived credentials in a file that is deleted when it ends.
 */
public class PrepareData {
    static final int ROWS_PER_SHARD = 8192;

    public static void main(String[] args) throws Exception {
        try {
            prepare(args);
        } catch (IllegalArgumentException | IllegalStateException | dev.kiln.training.TrainingException
                 | dev.kiln.training.storage.StorageException e) {
            // A sentence for the job's log, not a stack trace: these say what is wrong and where.
            System.err.println("PrepareData: " + e.getMessage());
            System.exit(1);
        }
    }

    static void prepare(String[] args) throws Exception {
        Map<String, String> options = new LinkedHashMap<>();
        for (String arg : args) {
            int eq = arg.indexOf('=');
            if (eq <= 0) {
                throw new IllegalArgumentException("arguments are key=value, got '" + arg + "'");
            }
            options.put(arg.substring(0, eq), arg.substring(eq + 1));
        }
        String target = require(options, "target");
        String label = options.getOrDefault("label", "y");
        var rows = new Rows(label);
        try (var writer = ShardWriter.create(target, ROWS_PER_SHARD, "x", "y")) {
            if (options.containsKey("source")) {
                readCsvFromS3(S3Uri.parse(options.get("source")), rows, writer);
            } else if (options.containsKey("sql")) {
                String query = options.containsKey("query") ? options.get("query")
                        : Files.readString(Path.of(require(options, "queryFile")));
                readSql(options.get("sql"), query, rows, writer);
            } else {
                throw new IllegalArgumentException("give source=s3://bucket/prefix/ or sql=<connection> query=\"select ...\"");
            }
            rows.flush(writer);
            writer.finish(); // publishes the index: without it (an exception above) nothing is left behind
            System.out.printf("wrote %,d rows of %d features to %s%n", rows.total, rows.features, writer.location());
        }
    }

    static void readCsvFromS3(S3Uri source, Rows rows, ShardWriter writer) throws Exception {
        try (var objects = S3Objects.forLocation(source)) {
            var files = objects.list(source).stream()
                    .filter(e -> e.key().endsWith(".csv") || e.key().endsWith(".parquet")).toList();
            if (files.isEmpty()) {
                throw new IllegalArgumentException("no .csv or .parquet files under " + source);
            }
            var format = CSVFormat.DEFAULT.builder().setHeader().setSkipHeaderRecord(true).setTrim(true).get();
            var blobs = objects.readAll(files, source.bucket(), 4);
            while (blobs.hasNext()) {
                var blob = blobs.next();
                if (blob.entry().key().endsWith(".parquet")) {
                    readParquet(blob, rows, writer);
                } else {
                    readCsv(blob, format, rows, writer);
                }
                System.out.printf("read %s (%,d bytes), %,d rows so far%n", blob.entry().key(), blob.entry().size(),
                        rows.total + rows.pending());
            }
        }
    }

    static void readCsv(S3Objects.Blob blob, CSVFormat format, Rows rows, ShardWriter writer) throws Exception {
        try (Reader reader = new InputStreamReader(blob.stream(), StandardCharsets.UTF_8);
             var parser = format.parse(reader)) {
            rows.header(parser.getHeaderNames(), blob.entry().key());
            for (CSVRecord record : parser) {
                rows.add(record.toList(), blob.entry().key() + " line " + parser.getCurrentLineNumber());
                rows.flushIfFull(writer);
            }
        } catch (java.io.IOException | java.io.UncheckedIOException | IllegalStateException
                 | IllegalArgumentException e) {
            if (e instanceof IllegalArgumentException && e.getMessage() != null
                    && e.getMessage().startsWith(blob.entry().key())) {
                throw e; // already says where (a value that is not a number)
            }
            throw new IllegalArgumentException(blob.entry().key() + " is not valid CSV: " + CsvProblems.describe(e), e);
        }
    }

    static void readParquet(S3Objects.Blob blob, Rows rows, ShardWriter writer) throws Exception {
        try (var file = ParquetFileReader.open(InputFile.of(ByteBuffer.wrap(blob.bytes())));
             var reader = file.rowReader()) {
            var columns = file.getFileSchema().getColumns().stream().map(c -> c.name()).toList();
            rows.header(columns, blob.entry().key());
            long row = 0;
            while (reader.hasNext()) {
                reader.next();
                row++;
                var values = new ArrayList<String>(columns.size());
                for (int c = 0; c < columns.size(); c++) {
                    values.add(reader.isNull(c) ? null : String.valueOf(reader.getValue(c)));
                }
                rows.add(values, blob.entry().key() + " row " + row);
                rows.flushIfFull(writer);
            }
        }
    }

    static void readSql(String connection, String query, Rows rows, ShardWriter writer) throws Exception {
        try (var db = Connections.current().jdbc(connection)) {
            db.setAutoCommit(false); // PostgreSQL streams with a cursor only inside a transaction
            try (var statement = db.createStatement()) {
                statement.setFetchSize(1000);
                try (ResultSet result = statement.executeQuery(query)) {
                    var columns = new ArrayList<String>();
                    for (int c = 1; c <= result.getMetaData().getColumnCount(); c++) {
                        columns.add(result.getMetaData().getColumnLabel(c));
                    }
                    rows.header(columns, connection);
                    while (result.next()) {
                        var values = new ArrayList<String>();
                        for (int c = 1; c <= columns.size(); c++) {
                            values.add(result.getString(c));
                        }
                        rows.add(values, connection + " row " + (rows.total + rows.pending() + 1));
                        rows.flushIfFull(writer);
                    }
                }
            }
        }
    }

    /** Rows collected into float arrays until a shard's worth is ready. */
    static final class Rows {
        final String label;
        int labelColumn = -1;
        int features;
        long total;
        final List<float[]> x = new ArrayList<>();
        final List<Float> y = new ArrayList<>();

        Rows(String label) {
            this.label = label;
        }

        void header(List<String> columns, String where) {
            int found = -1;
            for (int i = 0; i < columns.size(); i++) {
                if (columns.get(i).equalsIgnoreCase(label)) {
                    found = i;
                }
            }
            if (found < 0) {
                throw new IllegalArgumentException(where + " has no column '" + label + "'; its columns are " + columns);
            }
            if (labelColumn >= 0 && (found != labelColumn || columns.size() - 1 != features)) {
                throw new IllegalArgumentException(where + " has columns " + columns + ", unlike the files before it");
            }
            labelColumn = found;
            features = columns.size() - 1;
        }

        void add(List<String> values, String where) {
            if (values.size() != features + 1) {
                throw new IllegalArgumentException(where + ": " + values.size() + " values, expected " + (features + 1));
            }
            float[] row = new float[features];
            int f = 0;
            for (int c = 0; c < values.size(); c++) {
                float value;
                try {
                    value = Float.parseFloat(values.get(c));
                } catch (NumberFormatException | NullPointerException e) {
                    throw new IllegalArgumentException(where + ": '" + values.get(c) + "' is not a number");
                }
                if (c == labelColumn) {
                    y.add(value);
                } else {
                    row[f++] = value;
                }
            }
            x.add(row);
        }

        int pending() {
            return x.size();
        }

        void flushIfFull(ShardWriter writer) throws Exception {
            if (x.size() >= ROWS_PER_SHARD) {
                flush(writer);
            }
        }

        void flush(ShardWriter writer) throws Exception {
            if (x.isEmpty()) {
                return;
            }
            int n = x.size();
            float[] flatX = new float[n * features];
            float[] flatY = new float[n];
            for (int r = 0; r < n; r++) {
                System.arraycopy(x.get(r), 0, flatX, r * features, features);
                flatY[r] = y.get(r);
            }
            writer.add(Tensors.fromFloats(flatX, n, features), Tensors.fromFloats(flatY, n, 1));
            total += n;
            x.clear();
            y.clear();
        }
    }

    private static String require(Map<String, String> options, String name) {
        String value = options.get(name);
        if (value == null || value.isBlank()) {
            throw new IllegalArgumentException("missing argument " + name + "=...");
        }
        return value;
    }
}
