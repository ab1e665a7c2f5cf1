package dev.kiln.server.data;

import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Parquet previews read only what is bounded: files that claim a 2 GB footer, a 2 GB string inside a small footer or a
 * 2 GB page get a clear answer instead of an allocation of what they claim (Hardwood allocates claimed sizes).
 */
class ParquetPreviewTest {
    static final byte[] MAGIC = "PAR1".getBytes(StandardCharsets.US_ASCII);

    /** An object's bytes, or a huge one that is zeros but for what a test puts at its ends; every read noted. */
    static final class Stored implements ParquetPreview.Ranges {
        final byte[] head;
        final byte[] tail;
        final long size;
        final List<long[]> reads = new ArrayList<>();

        Stored(byte[] whole) {
            this(whole, new byte[0], whole.length);
        }

        Stored(byte[] head, byte[] tail, long size) {
            this.head = head;
            this.tail = tail;
            this.size = size;
        }

        @Override
        public byte[] read(long offset, int length) {
            reads.add(new long[] {offset, length});
            byte[] out = new byte[length];
            for (int i = 0; i < length; i++) {
                long at = offset + i;
                out[i] = at < head.length ? head[(int) at] : at >= size - tail.length ? tail[(int) (at - (size
                        - tail.length))] : 0;
            }
            return out;
        }

        long largestRead() {
            return reads.stream().mapToLong(r -> r[1]).max().orElse(0);
        }
    }

    static byte[] file(byte[] body, byte[] footer) {
        var out = new ByteArrayOutputStream();
        out.writeBytes(MAGIC);
        out.writeBytes(body);
        out.writeBytes(footer);
        out.writeBytes(ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN).putInt(footer.length).array());
        out.writeBytes(MAGIC);
        return out.toByteArray();
    }

    @Test
    void aRealFilePreviewsItsRowsAndIsReadOnceChunkByChunk() throws Exception {
        byte[] bytes = SeededS3.parquet("select x as id, 'row ' || x as label from system_range(1, 500)");
        var stored = new Stored(bytes);
        var preview = ParquetPreview.of(stored, "test.parquet", "test.parquet", bytes.length, 50);
        assertThat(preview.note()).isNull();
        assertThat(preview.rows()).hasSize(51);
        assertThat(preview.rows().get(3)).containsExactly("3", "row 3");
        // magic, footer length, footer, then each of the two column chunks once: Hardwood reads them from the check.
        assertThat(stored.reads).hasSize(5);
    }

    @Test
    void aFooterClaiming2GbIsRefusedWithoutReadingIt() {
        byte[] tail = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putInt(Integer.MAX_VALUE - 15)
                .put(MAGIC).array();
        var stored = new Stored(MAGIC, tail, 3L << 30);
        assertThatThrownBy(() -> ParquetPreview.of(stored, "big", "big.parquet", stored.size, 50))
                .isInstanceOf(DataException.class)
                .hasMessage("This Parquet file's footer claims 2,047 MB; previews read footers up to 16 MB.");
        assertThat(stored.largestRead()).isLessThanOrEqualTo(8);
    }

    @Test
    void aSmallFooterClaimingA2GbStringIsRefusedBeforeAnyoneAllocatesIt() {
        // FileMetaData { 1: version = 1, 2: schema = [ { 4: name = <a string of 2^31 - 1 bytes> } ] }
        byte[] footer = {0x15, 0x02, 0x19, 0x1C, 0x48, (byte) 0xFF, (byte) 0xFF, (byte) 0xFF, (byte) 0xFF, 0x07,
                'x', 0x00, 0x00};
        byte[] bytes = file(new byte[0], footer);
        assertThatThrownBy(() -> ParquetPreview.of(new Stored(bytes), "f", "f.parquet", bytes.length, 50))
                .isInstanceOf(DataException.class).hasMessageStartingWith("This Parquet file's footer is damaged: "
                        + "a value claims 2147483647 bytes");
    }

    @Test
    void aPageClaiming2GbShowsTheSchemaOnlyAndAPageOfABillionValuesIsRefused() {
        byte[] data = {1, 0, 0, 0, 2, 0, 0, 0, 3, 0, 0, 0};
        byte[] huge = file(page(Integer.MAX_VALUE, data, 3), footer(page(Integer.MAX_VALUE, data, 3).length));
        var stored = new Stored(huge);
        var preview = ParquetPreview.of(stored, "p", "p.parquet", huge.length, 50);
        assertThat(preview.note()).contains("The first row group holds 2047 MB; the preview shows the schema only");
        assertThat(preview.rows()).containsExactly(List.of("x"));
        assertThat(preview.text()).startsWith("3 rows in 1 row group, 1 column");

        byte[] many = file(page(data.length, data, 1_000_000_000), footer(page(data.length, data, 1_000_000_000).length));
        assertThatThrownBy(() -> ParquetPreview.of(new Stored(many), "p", "p.parquet", many.length, 50))
                .isInstanceOf(DataException.class).hasMessageContaining("a page of 1,000,000,000 values");

        // The same file with honest numbers reads back, so the checks above are what refused.
        byte[] honest = file(page(data.length, data, 3), footer(page(data.length, data, 3).length));
        assertThat(ParquetPreview.of(new Stored(honest), "p", "p.parquet", honest.length, 50).rows())
                .containsExactly(List.of("x"), List.of("1"), List.of("2"), List.of("3"));
    }

    /** One uncompressed PLAIN data page of INT32 values, claiming {@code uncompressed} bytes and {@code values}. */
    static byte[] page(int uncompressed, byte[] data, int values) {
        byte[] header = new ThriftCompact().begin().i32(1, 0).i32(2, uncompressed).i32(3, data.length)
                .struct(5).i32(1, values).i32(2, 0).i32(3, 3).i32(4, 3).end().end().bytes();
        byte[] page = Arrays.copyOf(header, header.length + data.length);
        System.arraycopy(data, 0, page, header.length, data.length);
        return page;
    }

    /** A footer for one required INT32 column "x" of 3 rows in one uncompressed chunk at byte 4. */
    static byte[] footer(int chunkLength) {
        var t = new ThriftCompact();
        t.begin().i32(1, 1).list(2, ThriftCompact.STRUCT, 2);
        t.begin().string(4, "schema").i32(5, 1).end();
        t.begin().i32(1, 1).i32(3, 0).string(4, "x").end();
        t.i64(3, 3).list(4, ThriftCompact.STRUCT, 1);
        t.begin().list(1, ThriftCompact.STRUCT, 1);
        t.begin().i64(2, 4).struct(3).i32(1, 1).list(2, ThriftCompact.I32, 1).element(0)
                .list(3, ThriftCompact.BINARY, 1).element("x").i32(4, 0).i64(5, 3).i64(6, chunkLength)
                .i64(7, chunkLength).i64(9, 4).end().end();
        t.i64(2, chunkLength).i64(3, 3).end();
        return t.end().bytes();
    }
}
