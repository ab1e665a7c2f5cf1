package dev.kiln.server.data;

import java.io.ByteArrayOutputStream;
import java.math.BigDecimal;
import java.nio.ByteBuffer;
import java.sql.Connection;
import java.sql.DriverManager;
import java.time.Instant;
import java.time.LocalDate;
import java.time.LocalDateTime;

import dev.hardwood.InputFile;
import dev.hardwood.metadata.PhysicalType;
import dev.hardwood.reader.ParquetFileReader;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Kiln's Parquet export read back by Hardwood, an independent reader: every column type a query returns, nulls,
 * several row groups, and an empty result.
 */
class ParquetRowWriterTest {
    Connection db;

    @BeforeEach
    void open() throws Exception {
        db = DriverManager.getConnection("jdbc:h2:mem:parquet;DB_CLOSE_DELAY=-1");
        db.createStatement().execute("""
                create table sample (id bigint, small int, ok boolean, ratio real, score double precision,
                  price decimal(12, 2), big_count decimal(10, 0), name varchar(40), born date, seen timestamp,
                  at_utc timestamp with time zone)""");
        db.createStatement().execute("""
                insert into sample values
                  (1, 7, true, 0.5, 2.25, 1234567.89, 42, 'Ada', date '1815-12-10', timestamp '2026-11-23 08:30:00.123456',
                   timestamp with time zone '2026-11-23 08:30:00+01:00'),
                  (2, null, false, null, -1.0, -0.05, null, 'Grace Hopper – “Amazing Grace”', null, null, null),
                  (3, -3, null, 1.5, null, null, 9999999999, null, date '1970-01-01', timestamp '1969-12-31 23:59:59',
                   timestamp with time zone '1970-01-01 00:00:00Z')""");
    }

    @AfterEach
    void close() throws Exception {
        db.createStatement().execute("drop all objects");
        db.close();
    }

    byte[] export(String sql) throws Exception {
        var out = new ByteArrayOutputStream();
        try (var rows = db.createStatement().executeQuery(sql)) {
            var writer = new ParquetRowWriter(out, ParquetRowWriter.columnsOf(rows.getMetaData()));
            while (rows.next()) {
                writer.addRow(rows);
            }
            writer.finish();
        }
        return out.toByteArray();
    }

    @Test
    void everyTypeAndNullComesBackAsWritten() throws Exception {
        byte[] file = export("select * from sample order by id");
        try (var reader = ParquetFileReader.open(InputFile.of(ByteBuffer.wrap(file)))) {
            var schema = reader.getFileSchema();
            assertThat(schema.getColumns()).extracting(c -> c.name()).containsExactly("ID", "SMALL", "OK", "RATIO",
                    "SCORE", "PRICE", "BIG_COUNT", "NAME", "BORN", "SEEN", "AT_UTC");
            assertThat(schema.getColumn("PRICE").type()).isEqualTo(PhysicalType.BYTE_ARRAY);
            assertThat(schema.getColumn("BIG_COUNT").type()).isEqualTo(PhysicalType.INT64);
            assertThat(reader.getFileMetaData().numRows()).isEqualTo(3);
            try (var rows = reader.rowReader()) {
                rows.next();
                assertThat(rows.getLong("ID")).isEqualTo(1);
                assertThat(rows.getInt("SMALL")).isEqualTo(7);
                assertThat(rows.getBoolean("OK")).isTrue();
                assertThat(rows.getFloat("RATIO")).isEqualTo(0.5f);
                assertThat(rows.getDouble("SCORE")).isEqualTo(2.25);
                assertThat(rows.getDecimal("PRICE")).isEqualByComparingTo(new BigDecimal("1234567.89"));
                assertThat(rows.getLong("BIG_COUNT")).isEqualTo(42);
                assertThat(rows.getString("NAME")).isEqualTo("Ada");
                assertThat(rows.getDate("BORN")).isEqualTo(LocalDate.of(1815, 12, 10));
                assertThat(rows.getValue(schema.getColumn("SEEN").columnIndex()))
                        .isEqualTo(LocalDateTime.of(2026, 11, 23, 8, 30, 0, 123_456_000));
                assertThat(rows.getTimestamp("AT_UTC")).isEqualTo(Instant.parse("2026-11-23T07:30:00Z"));

                rows.next();
                assertThat(rows.isNull("SMALL")).isTrue();
                assertThat(rows.getBoolean("OK")).isFalse();
                assertThat(rows.isNull("RATIO")).isTrue();
                assertThat(rows.getDecimal("PRICE")).isEqualByComparingTo(new BigDecimal("-0.05"));
                assertThat(rows.isNull("BIG_COUNT")).isTrue();
                assertThat(rows.getString("NAME")).isEqualTo("Grace Hopper – “Amazing Grace”");
                assertThat(rows.isNull("BORN")).isTrue();
                assertThat(rows.isNull("AT_UTC")).isTrue();

                rows.next();
                assertThat(rows.getInt("SMALL")).isEqualTo(-3);
                assertThat(rows.isNull("OK")).isTrue();
                assertThat(rows.getLong("BIG_COUNT")).isEqualTo(9_999_999_999L);
                assertThat(rows.isNull("NAME")).isTrue();
                assertThat(rows.getDate("BORN")).isEqualTo(LocalDate.EPOCH);
                assertThat(rows.getValue(schema.getColumn("SEEN").columnIndex()))
                        .isEqualTo(LocalDateTime.of(1969, 12, 31, 23, 59, 59));
                assertThat(rows.getTimestamp("AT_UTC")).isEqualTo(Instant.EPOCH);
                assertThat(rows.hasNext()).isFalse();
            }
        }
    }

    @Test
    void largeResultsSpanRowGroupsAndEmptyResultsAreValidFiles() throws Exception {
        int count = ParquetRowWriter.ROWS_PER_GROUP * 2 + 1000;
        byte[] file = export("select x as n, cast(x * 0.5 as double precision) as half, "
                + "case when mod(x, 3) = 0 then null else 'row ' || x end as label from system_range(1, " + count + ")");
        try (var reader = ParquetFileReader.open(InputFile.of(ByteBuffer.wrap(file)))) {
            assertThat(reader.getFileMetaData().rowGroups()).hasSize(3);
            assertThat(reader.getFileMetaData().numRows()).isEqualTo(count);
            long sum = 0;
            long nulls = 0;
            try (var rows = reader.rowReader()) {
                while (rows.hasNext()) {
                    rows.next();
                    long n = rows.getLong("N");
                    sum += n;
                    assertThat(rows.getDouble("HALF")).isEqualTo(n * 0.5);
                    if (rows.isNull("LABEL")) {
                        nulls++;
                    } else {
                        assertThat(rows.getString("LABEL")).isEqualTo("row " + n);
                    }
                }
            }
            assertThat(sum).isEqualTo((long) count * (count + 1) / 2);
            assertThat(nulls).isEqualTo(count / 3);
        }

        byte[] empty = export("select * from sample where id < 0");
        try (var reader = ParquetFileReader.open(InputFile.of(ByteBuffer.wrap(empty)))) {
            assertThat(reader.getFileMetaData().numRows()).isZero();
            assertThat(reader.getFileSchema().getColumns()).hasSize(11);
        }
    }
}
