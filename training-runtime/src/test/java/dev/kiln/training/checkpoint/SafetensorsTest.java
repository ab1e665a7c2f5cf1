package dev.kiln.training.checkpoint;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch.ScalarType;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import dev.kiln.training.runtime.Tensors;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

class SafetensorsTest {
    @TempDir
    Path dir;

    private Map<String, Tensor> sample() {
        var tensors = new LinkedHashMap<String, Tensor>();
        tensors.put("encoder.weight", Tensors.fromFloats(new float[] {1.5f, -2f, 0.25f, 3f, 4f, -0.125f}, 2, 3));
        tensors.put("encoder.bias", Tensors.fromFloats(new float[] {0.5f, 1f}, 2));
        tensors.put("steps", Tensors.fromLongs(new long[] {7, 1L << 40}, 2));
        tensors.put("half", Tensors.fromFloats(new float[] {1f, 2f, 3f}, 3).to(ScalarType.BFloat16));
        tensors.put("empty", Tensors.fromFloats(new float[0], 0, 4));
        return tensors;
    }

    @Test
    void roundTripsEveryTensorExactly() throws IOException {
        Path file = dir.resolve("model.safetensors");
        Safetensors.write(file, sample(), Map.of("format", "test"));
        Map<String, Tensor> read = Safetensors.read(file);
        assertThat(read.keySet()).containsExactly("encoder.weight", "encoder.bias", "steps", "half", "empty");
        for (var entry : sample().entrySet()) {
            assertThat(Tensors.toBytes(read.get(entry.getKey()))).as(entry.getKey())
                    .isEqualTo(Tensors.toBytes(entry.getValue()));
            assertThat(Tensors.shape(read.get(entry.getKey()))).isEqualTo(Tensors.shape(entry.getValue()));
        }
        assertThat(read.get("half").scalar_type().intern()).isEqualTo(ScalarType.BFloat16);
        assertThat(Safetensors.readHeader(file).metadata()).containsEntry("format", "test");
    }

    @Test
    void theFileFollowsTheFormat() throws IOException {
        Path file = dir.resolve("model.safetensors");
        Safetensors.write(file, sample(), Map.of());
        byte[] bytes = Files.readAllBytes(file);
        long headerLength = ByteBuffer.wrap(bytes, 0, 8).order(ByteOrder.LITTLE_ENDIAN).getLong();
        assertThat(headerLength % 8).as("header padded to 8 bytes").isZero();
        JsonNode header = JsonMapper.shared().readTree(new String(bytes, 8, (int) headerLength, StandardCharsets.UTF_8));
        assertThat(header.path("encoder.weight").path("dtype").asString()).isEqualTo("F32");
        assertThat(header.path("encoder.weight").path("shape").toString()).isEqualTo("[2,3]");
        assertThat(header.path("encoder.weight").path("data_offsets").toString()).isEqualTo("[0,24]");
        assertThat(header.path("steps").path("dtype").asString()).isEqualTo("I64");
        assertThat(header.path("half").path("dtype").asString()).isEqualTo("BF16");
        float first = ByteBuffer.wrap(bytes, (int) (8 + headerLength), 4).order(ByteOrder.LITTLE_ENDIAN).getFloat();
        assertThat(first).isEqualTo(1.5f);
    }

    @Test
    void anIndependentPythonReaderSeesTheSameTensors() throws Exception {
        assumeTrue(python() != null, "python3 is not installed");
        Path file = dir.resolve("model.safetensors");
        Safetensors.write(file, sample(), Map.of("format", "kiln-checkpoint-1"));
        Path script = dir.resolve("read_safetensors.py");
        try (var in = getClass().getResourceAsStream("/read_safetensors.py")) {
            Files.copy(in, script);
        }
        var process = new ProcessBuilder(python(), script.toString(), file.toString()).redirectErrorStream(true).start();
        String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(process.waitFor()).as(output).isZero();
        JsonNode parsed = JsonMapper.shared().readTree(output);
        assertThat(parsed.path("encoder.weight").path("values").toString()).isEqualTo("[1.5,-2.0,0.25,3.0,4.0,-0.125]");
        assertThat(parsed.path("steps").path("values").toString()).isEqualTo("[7,1099511627776]");
        assertThat(parsed.path("__metadata__").path("format").asString()).isEqualTo("kiln-checkpoint-1");
    }

    @Test
    void damagedFilesAreRefusedWithTheReason() throws IOException {
        Path file = dir.resolve("model.safetensors");
        Safetensors.write(file, sample(), Map.of());
        byte[] bytes = Files.readAllBytes(file);

        Files.write(file, java.util.Arrays.copyOf(bytes, bytes.length - 3));
        assertThatThrownBy(() -> Safetensors.readHeader(file)).hasMessageContaining("truncated or padded");

        Files.write(file, new byte[] {1, 2, 3});
        assertThatThrownBy(() -> Safetensors.readHeader(file)).hasMessageContaining("shorter than the 8-byte header");

        byte[] garbage = bytes.clone();
        garbage[8] = 'x'; // the header's opening brace
        Files.write(file, garbage);
        assertThatThrownBy(() -> Safetensors.readHeader(file)).hasMessageContaining("not valid JSON");

        Files.writeString(file, "this is a text file, not tensors");
        assertThatThrownBy(() -> Safetensors.readHeader(file)).isInstanceOf(CheckpointException.class)
                .hasMessageContaining("is not a valid safetensors file");
    }

    private static String python() {
        for (String candidate : new String[] {"/usr/bin/python3", "/usr/local/bin/python3"}) {
            if (Files.isExecutable(Path.of(candidate))) {
                return candidate;
            }
        }
        return null;
    }
}
