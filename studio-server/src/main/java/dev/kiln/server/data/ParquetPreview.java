package dev.kiln.server.data;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;

import dev.hardwood.InputFile;
import dev.hardwood.reader.ParquetFileReader;
import dev.hardwood.schema.ColumnSchema;
import dev.kiln.ui.data.StudioData.Preview;
import software.amazon.awssdk.services.s3.S3Client;

/**
 * The schema and first rows of a Parquet object, read with Hardwood through ranged GETs: the footer, then only the
 * first row group's column chunks, so a 50 GB file costs a few requests. A first row group larger than
 * {@link #MAX_GROUP_BYTES} shows the schema only.
 */
final class ParquetPreview {
    static final long MAX_GROUP_BYTES = 64L << 20;

    private ParquetPreview() {}

    static Preview of(S3Client s3, String bucket, String key, long size, int maxRows) {
        var file = new RangedObject(s3, bucket, key, size);
        try (var reader = ParquetFileReader.open(file)) {
            var meta = reader.getFileMetaData();
            List<ColumnSchema> columns = reader.getFileSchema().getColumns();
            var header = new ArrayList<String>();
            var schema = new StringBuilder();
            for (ColumnSchema column : columns) {
                header.add(column.name());
                schema.append(column.name()).append(": ").append(column.type())
                        .append(column.logicalType() == null ? "" : " (" + column.logicalType() + ")")
                        .append(column.maxDefinitionLevel() > 0 ? ", nullable" : "").append('\n');
            }
            String summary = String.format("%,d rows in %d row group%s, %d column%s%n", meta.numRows(),
                    meta.rowGroups().size(), meta.rowGroups().size() == 1 ? "" : "s", columns.size(),
                    columns.size() == 1 ? "" : "s") + schema;
            var rows = new ArrayList<List<String>>();
            rows.add(header);
            String note = null;
            if (!meta.rowGroups().isEmpty() && meta.rowGroups().getFirst().totalByteSize() > MAX_GROUP_BYTES) {
                note = "The first row group holds " + (meta.rowGroups().getFirst().totalByteSize() >> 20)
                        + " MB; the preview shows the schema only. Download the file to read its rows.";
            } else {
                try (var rowReader = reader.buildRowReader().head(maxRows).build()) {
                    while (rowReader.hasNext() && rows.size() <= maxRows) {
                        rowReader.next();
                        var row = new ArrayList<String>(columns.size());
                        for (int i = 0; i < columns.size(); i++) {
                            Object value = rowReader.isNull(i) ? null : rowReader.getValue(i);
                            row.add(value == null ? "" : value instanceof byte[] bytes ? "<" + bytes.length + " bytes>"
                                    : value.toString());
                        }
                        rows.add(row);
                    }
                }
            }
            return new Preview(key, size, "parquet", summary, rows, meta.numRows() > rows.size() - 1, note);
        } catch (DataException e) {
            throw e;
        } catch (IOException | RuntimeException e) {
            throw new DataException("This is not a readable Parquet file: " + (e.getMessage() == null
                    ? e.getClass().getSimpleName() : e.getMessage()));
        }
    }

    /** An S3 object as Hardwood's random-access input: each read is one ranged GET. */
    private record RangedObject(S3Client s3, String bucket, String key, long size) implements InputFile {
        @Override
        public void open() {
            if (size < 12) {
                throw new DataException("This is not a Parquet file: it is only " + size + " bytes long.");
            }
        }

        @Override
        public ByteBuffer readRange(long offset, int length) {
            if (offset < 0 || length < 0 || offset + length > size) {
                throw new IndexOutOfBoundsException("bytes " + offset + "+" + length + " of " + size);
            }
            if (length == 0) {
                return ByteBuffer.allocate(0);
            }
            return ByteBuffer.wrap(s3.getObjectAsBytes(r -> r.bucket(bucket).key(key)
                    .range("bytes=" + offset + "-" + (offset + length - 1))).asByteArray());
        }

        @Override
        public long length() {
            return size;
        }

        @Override
        public String name() {
            return "s3://" + bucket + "/" + key;
        }

        @Override
        public void close() {
            // nothing held between reads
        }
    }
}
