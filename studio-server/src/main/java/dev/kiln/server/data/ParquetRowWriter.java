package dev.kiln.server.data;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.math.BigDecimal;
import java.math.RoundingMode;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.sql.ResultSet;
import java.sql.ResultSetMetaData;
import java.sql.SQLException;
import java.sql.Types;
import java.time.LocalDate;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;

import org.xerial.snappy.Snappy;

/**
 * Streams a JDBC result as a Parquet file: a flat schema of optional columns typed from the result's metadata
 * (integers, floating point, exact decimals, booleans, dates, timestamps in microseconds, everything else as UTF-8
 * strings), row groups of {@link #ROWS_PER_GROUP} rows, one Snappy-compressed PLAIN data page per column chunk.
 * It writes forward only, so it can feed a socket or a multipart upload; the footer goes last.
 *
 * <p>Written by hand because the Java Parquet writers need Hadoop on the classpath; files are read back in the tests
 * by Hardwood, an independent reader, and were checked with pyarrow (see README).
 */
final class ParquetRowWriter {
    static final int ROWS_PER_GROUP = 65_536;
    private static final byte[] MAGIC = "PAR1".getBytes(StandardCharsets.US_ASCII);

    // Parquet's physical types, converted types and encodings, as numbered in parquet.thrift.
    private static final int BOOLEAN = 0, INT32 = 1, INT64 = 2, FLOAT = 4, DOUBLE = 5, BYTE_ARRAY = 6;
    private static final int UTF8 = 0, DECIMAL = 5, DATE = 6, TIMESTAMP_MICROS = 10;
    private static final int PLAIN = 0, RLE = 3, SNAPPY = 1, OPTIONAL = 1;

    /** How one result column is stored. */
    enum Kind { BOOLEAN, INT32, INT64, FLOAT, DOUBLE, DECIMAL, DATE, TIMESTAMP_LOCAL, TIMESTAMP_UTC, STRING }

    record Column(String name, Kind kind, int precision, int scale) {}

    private final CountingStream out;
    private final List<Column> columns;
    private final List<ColumnBuffer> buffers = new ArrayList<>();
    private final List<byte[]> rowGroups = new ArrayList<>();
    private long totalRows;
    private int groupRows;

    ParquetRowWriter(OutputStream out, List<Column> columns) throws IOException {
        this.out = new CountingStream(out);
        this.columns = columns;
        for (Column column : columns) {
            buffers.add(new ColumnBuffer(column));
        }
        this.out.write(MAGIC);
    }

    /** The columns of a result, typed as the file will store them. */
    static List<Column> columnsOf(ResultSetMetaData meta) throws SQLException {
        var result = new ArrayList<Column>();
        for (int i = 1; i <= meta.getColumnCount(); i++) {
            int precision = meta.getPrecision(i);
            int scale = meta.getScale(i);
            Kind kind = switch (meta.getColumnType(i)) {
                case Types.BOOLEAN, Types.BIT -> Kind.BOOLEAN;
                case Types.TINYINT, Types.SMALLINT, Types.INTEGER -> Kind.INT32;
                case Types.BIGINT -> Kind.INT64;
                case Types.REAL -> Kind.FLOAT;
                case Types.FLOAT, Types.DOUBLE -> Kind.DOUBLE;
                // NUMERIC without a declared precision (PostgreSQL's plain numeric) has no fixed scale: keep the text.
                case Types.NUMERIC, Types.DECIMAL -> precision > 0 && precision <= 38 && scale >= 0 && scale <= precision
                        ? (scale == 0 && precision <= 18 ? Kind.INT64 : Kind.DECIMAL) : Kind.STRING;
                case Types.DATE -> Kind.DATE;
                // PostgreSQL reports timestamptz as TIMESTAMP; its type name tells (Snowflake: TIMESTAMPTZ/LTZ).
                case Types.TIMESTAMP -> meta.getColumnTypeName(i) != null && meta.getColumnTypeName(i)
                        .toUpperCase(java.util.Locale.ROOT).matches(".*(TZ|TIME ZONE).*")
                        ? Kind.TIMESTAMP_UTC : Kind.TIMESTAMP_LOCAL;
                case Types.TIMESTAMP_WITH_TIMEZONE -> Kind.TIMESTAMP_UTC;
                default -> Kind.STRING;
            };
            result.add(new Column(meta.getColumnLabel(i), kind, precision, scale));
        }
        return result;
    }

    /** Reads the current row of {@code rows} (JDBC indices from 1) into the buffers. */
    void addRow(ResultSet rows) throws SQLException, IOException {
        for (int i = 0; i < columns.size(); i++) {
            buffers.get(i).add(rows, i + 1);
        }
        totalRows++;
        if (++groupRows >= ROWS_PER_GROUP) {
            flushGroup();
        }
    }

    /** Writes the last row group and the footer. The stream stays open. */
    void finish() throws IOException {
        if (groupRows > 0) {
            flushGroup();
        }
        var footer = new ThriftCompact();
        footer.begin().i32(1, 1);
        footer.list(2, ThriftCompact.STRUCT, columns.size() + 1);
        footer.begin().string(4, "schema").i32(5, columns.size()).end();
        for (Column column : columns) {
            schemaElement(footer.begin(), column).end();
        }
        footer.i64(3, totalRows);
        footer.list(4, ThriftCompact.STRUCT, rowGroups.size());
        for (byte[] group : rowGroups) {
            footer.appendRaw(group);
        }
        footer.string(6, "Kiln (kiln.dev) query export");
        footer.end();
        byte[] bytes = footer.bytes();
        out.write(bytes);
        out.write(ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN).putInt(bytes.length).array());
        out.write(MAGIC);
        out.flush();
    }

    long rows() {
        return totalRows;
    }

    private static ThriftCompact schemaElement(ThriftCompact t, Column column) {
        t.i32(1, physicalType(column)).i32(3, OPTIONAL).string(4, column.name());
        switch (column.kind()) {
            case STRING -> t.i32(6, UTF8).struct(10).struct(1).end().end();
            case DECIMAL -> t.i32(6, DECIMAL).i32(7, column.scale()).i32(8, column.precision())
                    .struct(10).struct(5).i32(1, column.scale()).i32(2, column.precision()).end().end();
            case DATE -> t.i32(6, DATE).struct(10).struct(6).end().end();
            case TIMESTAMP_UTC -> t.i32(6, TIMESTAMP_MICROS)
                    .struct(10).struct(8).bool(1, true).struct(2).struct(2).end().end().end().end();
            case TIMESTAMP_LOCAL -> t.struct(10).struct(8).bool(1, false).struct(2).struct(2).end().end().end().end();
            default -> { }
        }
        return t;
    }

    private void flushGroup() throws IOException {
        var chunks = new ThriftCompact();
        long groupBytes = 0;
        var chunkMeta = new ArrayList<long[]>();
        for (ColumnBuffer buffer : buffers) {
            byte[] page = buffer.page(groupRows);
            byte[] compressed = Snappy.compress(page);
            var header = new ThriftCompact();
            header.begin().i32(1, 0).i32(2, page.length).i32(3, compressed.length)
                    .struct(5).i32(1, groupRows).i32(2, PLAIN).i32(3, RLE).i32(4, RLE).end().end();
            byte[] headerBytes = header.bytes();
            long offset = out.count();
            out.write(headerBytes);
            out.write(compressed);
            chunkMeta.add(new long[] {offset, headerBytes.length + page.length, headerBytes.length + compressed.length});
            groupBytes += headerBytes.length + page.length;
            buffer.clear();
        }
        // RowGroup: columns (1), total_byte_size (2), num_rows (3).
        chunks.begin().list(1, ThriftCompact.STRUCT, buffers.size());
        for (int i = 0; i < buffers.size(); i++) {
            Column column = columns.get(i);
            long[] meta = chunkMeta.get(i);
            chunks.begin().i64(2, meta[0]).struct(3)
                    .i32(1, physicalType(column)).list(2, ThriftCompact.I32, 2).element(PLAIN).element(RLE)
                    .list(3, ThriftCompact.BINARY, 1).element(column.name()).i32(4, SNAPPY).i64(5, groupRows)
                    .i64(6, meta[1]).i64(7, meta[2]).i64(9, meta[0]).end().end();
        }
        chunks.i64(2, groupBytes).i64(3, groupRows).end();
        rowGroups.add(chunks.bytes());
        groupRows = 0;
    }

    private static int physicalType(Column column) {
        return switch (column.kind()) {
            case BOOLEAN -> BOOLEAN;
            case INT32, DATE -> INT32;
            case INT64, TIMESTAMP_LOCAL, TIMESTAMP_UTC -> INT64;
            case FLOAT -> FLOAT;
            case DOUBLE -> DOUBLE;
            case DECIMAL, STRING -> BYTE_ARRAY;
        };
    }

    /** One column's values for the current row group: definition levels (null or not) and PLAIN values. */
    private static final class ColumnBuffer {
        private final Column column;
        private final ByteArrayOutputStream values = new ByteArrayOutputStream();
        private final ByteBuffer scratch = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);
        private byte[] defined = new byte[ROWS_PER_GROUP / 8 + 1];
        private int count;
        private int booleanBits;
        private int booleanCount;

        ColumnBuffer(Column column) {
            this.column = column;
        }

        void add(ResultSet rows, int index) throws SQLException {
            Object value = switch (column.kind()) {
                case BOOLEAN -> rows.getBoolean(index);
                case INT32 -> rows.getInt(index);
                case INT64 -> rows.getLong(index);
                case FLOAT -> rows.getFloat(index);
                case DOUBLE -> rows.getDouble(index);
                case DECIMAL -> rows.getBigDecimal(index);
                case DATE -> rows.getObject(index, LocalDate.class);
                case TIMESTAMP_LOCAL -> localTimestamp(rows, index);
                case TIMESTAMP_UTC -> rows.getTimestamp(index) == null ? null : rows.getTimestamp(index).toInstant();
                case STRING -> rows.getString(index);
            };
            boolean present = !rows.wasNull() && value != null;
            if (present) {
                defined[count >> 3] |= (byte) (1 << (count & 7));
                write(value);
            }
            count++;
        }

        private static java.time.LocalDateTime localTimestamp(ResultSet rows, int index) throws SQLException {
            try {
                return rows.getObject(index, java.time.LocalDateTime.class);
            } catch (SQLException e) {
                var timestamp = rows.getTimestamp(index); // drivers without JDBC 4.2 conversions
                return timestamp == null ? null : timestamp.toLocalDateTime();
            }
        }

        private void write(Object value) {
            switch (column.kind()) {
                case BOOLEAN -> {
                    if ((Boolean) value) {
                        booleanBits |= 1 << booleanCount;
                    }
                    if (++booleanCount == 8) {
                        values.write(booleanBits);
                        booleanBits = 0;
                        booleanCount = 0;
                    }
                }
                case INT32 -> fixed(scratch.clear().putInt((Integer) value));
                case DATE -> fixed(scratch.clear().putInt((int) ((LocalDate) value).toEpochDay()));
                case INT64 -> fixed(scratch.clear().putLong((Long) value));
                case TIMESTAMP_LOCAL -> fixed(scratch.clear().putLong(ChronoUnit.MICROS.between(
                        java.time.LocalDateTime.of(1970, 1, 1, 0, 0), (java.time.LocalDateTime) value)));
                case TIMESTAMP_UTC -> fixed(scratch.clear().putLong(ChronoUnit.MICROS.between(java.time.Instant.EPOCH,
                        (java.time.Instant) value)));
                case FLOAT -> fixed(scratch.clear().putFloat((Float) value));
                case DOUBLE -> fixed(scratch.clear().putDouble((Double) value));
                case DECIMAL -> bytes(((BigDecimal) value).setScale(column.scale(), RoundingMode.HALF_EVEN)
                        .unscaledValue().toByteArray());
                case STRING -> bytes(((String) value).getBytes(StandardCharsets.UTF_8));
            }
        }

        private void fixed(ByteBuffer buffer) {
            values.write(buffer.array(), 0, buffer.position());
        }

        private void bytes(byte[] data) {
            fixed(scratch.clear().putInt(data.length));
            values.write(data, 0, data.length);
        }

        /** Data page v1 body: definition levels (length-prefixed, bit-packed, width 1), then the values. */
        byte[] page(int rows) {
            if (booleanCount > 0) {
                values.write(booleanBits);
                booleanBits = 0;
                booleanCount = 0;
            }
            int groups = (rows + 7) / 8;
            var levels = new ByteArrayOutputStream();
            long header = ((long) groups << 1) | 1; // a bit-packed run of `groups` groups of 8
            while ((header & ~0x7FL) != 0) {
                levels.write((int) ((header & 0x7F) | 0x80));
                header >>>= 7;
            }
            levels.write((int) header);
            levels.write(defined, 0, groups);
            var page = new ByteArrayOutputStream(4 + levels.size() + values.size());
            int length = levels.size();
            page.write(length & 0xFF);
            page.write((length >> 8) & 0xFF);
            page.write((length >> 16) & 0xFF);
            page.write((length >> 24) & 0xFF);
            page.writeBytes(levels.toByteArray());
            page.writeBytes(values.toByteArray());
            return page.toByteArray();
        }

        void clear() {
            values.reset();
            defined = new byte[ROWS_PER_GROUP / 8 + 1];
            count = 0;
        }
    }

    /** Counts what went out, for the offsets the footer records. */
    private static final class CountingStream extends OutputStream {
        private final OutputStream out;
        private long count;

        CountingStream(OutputStream out) {
            this.out = out;
        }

        long count() {
            return count;
        }

        @Override
        public void write(int b) throws IOException {
            out.write(b);
            count++;
        }

        @Override
        public void write(byte[] b, int off, int len) throws IOException {
            out.write(b, off, len);
            count += len;
        }

        @Override
        public void flush() throws IOException {
            out.flush();
        }
    }
}
