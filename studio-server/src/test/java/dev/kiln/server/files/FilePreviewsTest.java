package dev.kiln.server.files;

import dev.kiln.api.files.FileEntry.Where;
import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * What the viewer gets for each kind of file, read through ranged reads that count their bytes: a 2 GB checkpoint
 * costs its header, a large log its first part, and malformed files a sentence instead of an error.
 */
class FilePreviewsTest {
    static final Instant NOW = Instant.parse("2026-12-01T10:00:00Z");

    @Test
    void csvIsATableAndTextIsText() {
        var csv = FilePreviews.of("data/sums.csv", Where.HOME, bytes("a,b\n1,2\n3,4\n"), "/img");
        assertThat(csv.kind()).isEqualTo("csv");
        assertThat(csv.rows()).containsExactly(java.util.List.of("a", "b"), java.util.List.of("1", "2"),
                java.util.List.of("3", "4"));
        var text = FilePreviews.of("notes/train.log", Where.HOME, bytes("step 1\nstep 2\n"), "/img");
        assertThat(text.kind()).isEqualTo("text");
        assertThat(text.text()).isEqualTo("step 1\nstep 2\n");
        assertThat(text.truncated()).isFalse();
    }

    @Test
    void aLargeLogShowsItsFirstWholeLinesOnly() {
        var log = new StringBuilder();
        while (log.length() < 3 * FilePreviews.TEXT_BYTES) {
            log.append("line ").append(log.length()).append(" é\n");
        }
        var counting = counting(log.toString().getBytes(StandardCharsets.UTF_8));
        var preview = FilePreviews.of("jobs/j1/output.log", Where.HOME, counting, "/img");
        assertThat(preview.truncated()).isTrue();
        assertThat(preview.text()).endsWith(" é\n").startsWith("line 5 é\n");
        assertThat(counting.read.get()).isLessThanOrEqualTo(FilePreviews.TEXT_BYTES);
    }

    @Test
    void aCheckpointShowsItsTensorsFromItsHeaderAlone() {
        var header = "{\"encoder.weight\":{\"dtype\":\"F32\",\"shape\":[4,3],\"data_offsets\":[0,48]},"
                + "\"head.bias\":{\"dtype\":\"BF16\",\"shape\":[2],\"data_offsets\":[48,52]},\"__metadata__\":{\"step\":\"7\"}}";
        var file = counting(safetensors(header, 52, 2_000_000_000L));
        var preview = FilePreviews.of("jobs/j1/checkpoints/last/model.safetensors", Where.HOME, file, "/img");
        assertThat(preview.kind()).isEqualTo("safetensors");
        assertThat(preview.tensors()).extracting(t -> t.name() + " " + t.dtype() + " " + t.shape() + " " + t.bytes())
                .containsExactly("encoder.weight F32 [4, 3] 48", "head.bias BF16 [2] 4");
        assertThat(preview.text()).contains("step: 7");
        assertThat(preview.note()).isNull();
        assertThat(file.read.get()).as("only the header is read").isLessThan(1000);
    }

    @Test
    void malformedCheckpointsAndOtherBinariesSayWhat() {
        var cut = FilePreviews.of("m.safetensors", Where.HOME, bytes(safetensors(
                "{\"w\":{\"dtype\":\"F32\",\"shape\":[100],\"data_offsets\":[0,400]}}", 16, 0)), "/img");
        assertThat(cut.note()).contains("not inside the file");
        var lying = FilePreviews.of("m.safetensors", Where.HOME, bytes(new byte[] {(byte) 0xff, -1, -1, -1, -1, -1, -1, 0x7f, 1}), "/img");
        assertThat(lying.kind()).isEqualTo("binary");
        assertThat(lying.note()).contains("not a readable safetensors file").contains("claim a header");
        var json = FilePreviews.of("m.safetensors", Where.HOME, bytes(safetensors("not json!", 0, 0)), "/img");
        assertThat(json.note()).contains("not JSON");
        var mismatch = FilePreviews.of("m.safetensors", Where.HOME, bytes(safetensors(
                "{\"w\":{\"dtype\":\"F32\",\"shape\":[3],\"data_offsets\":[0,8]}}", 8, 0)), "/img");
        assertThat(mismatch.note()).contains("claims 3 F32 values but holds 8 bytes");
        var binary = FilePreviews.of("weights.bin", Where.HOME, bytes(new byte[] {0, 1, 2, 3}), "/img");
        assertThat(binary.kind()).isEqualTo("binary");
        assertThat(binary.note()).contains("4 B");
        var badCsv = FilePreviews.of("x.csv", Where.HOME, bytes("a,\"b\n1,2\n"), "/img");
        assertThat(badCsv.note()).contains("not valid CSV");
    }

    @Test
    void imagesAreFetchedByTheBrowserUpToALimit() {
        var image = FilePreviews.of("data/plot.PNG", Where.HOME, bytes(new byte[] {1, 2, 3}), "/raw?path=x");
        assertThat(image.kind()).isEqualTo("image");
        assertThat(image.url()).isEqualTo("/raw?path=x");
        var huge = FilePreviews.of("data/scan.png", Where.HOME, sized(FilePreviews.MAX_IMAGE_BYTES + 1), "/raw");
        assertThat(huge.kind()).isEqualTo("binary");
        assertThat(huge.note()).contains("download it");
    }

    @Test
    void textMergesLikeTwoEditors() {
        String base = "a\nb\nc\n";
        assertThat(TextMerge.merge(base, "a\nb\nc\nfrom the studio\n", "from the machine\na\nb\nc\n"))
                .isEqualTo("from the machine\na\nb\nc\nfrom the studio\n");
        assertThat(TextMerge.merge(base, base, "x\n")).isEqualTo("x\n");
        assertThat(TextMerge.merge(base, "y\n", base)).isEqualTo("y\n");
        assertThat(TextMerge.merge(base, "same\n", "same\n")).isEqualTo("same\n");
    }

    static byte[] safetensors(String header, int dataBytes, long claimedExtra) {
        byte[] json = header.getBytes(StandardCharsets.UTF_8);
        return ByteBuffer.allocate(8 + json.length + dataBytes).order(ByteOrder.LITTLE_ENDIAN).putLong(json.length)
                .put(json).array();
    }

    static ByteSource bytes(String text) {
        return bytes(text.getBytes(StandardCharsets.UTF_8));
    }

    static ByteSource bytes(byte[] bytes) {
        return ByteSource.of(bytes, NOW);
    }

    /** A file of {@code size} zero bytes that is never held in memory. */
    static ByteSource sized(long size) {
        return new ByteSource() {
            @Override
            public long size() {
                return size;
            }

            @Override
            public Instant modified() {
                return NOW;
            }

            @Override
            public byte[] read(long offset, int length) {
                return new byte[(int) Math.max(0, Math.min(length, size - offset))];
            }
        };
    }

    /** A file that counts how many of its bytes were read. */
    static Counting counting(byte[] bytes) {
        return new Counting(bytes);
    }

    static final class Counting implements ByteSource {
        final AtomicLong read = new AtomicLong();
        private final ByteSource inner;

        Counting(byte[] bytes) {
            this.inner = ByteSource.of(bytes, NOW);
        }

        @Override
        public long size() {
            return inner.size();
        }

        @Override
        public Instant modified() {
            return NOW;
        }

        @Override
        public byte[] read(long offset, int length) {
            byte[] chunk = inner.read(offset, length);
            read.addAndGet(chunk.length);
            return chunk;
        }
    }

}
