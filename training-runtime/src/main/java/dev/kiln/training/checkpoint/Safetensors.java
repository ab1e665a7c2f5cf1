package dev.kiln.training.checkpoint;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.bytedeco.javacpp.BytePointer;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorOptions;
import org.bytedeco.pytorch.global.torch;
import org.bytedeco.pytorch.global.torch.ScalarType;

import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.node.ObjectNode;

/**
 * The safetensors format (https://github.com/huggingface/safetensors): an 8-byte little-endian header length, a JSON
 * header {@code {"name": {"dtype": "F32", "shape": [..], "data_offsets": [begin, end]}, "__metadata__": {..}}}, then
 * the raw little-endian tensor bytes. Python reads these files with {@code safetensors.torch.load_file}.
 * Written by hand because the format is tiny and no maintained Java library writes it from libtorch tensors.
 */
public final class Safetensors {
    private static final JsonMapper JSON = JsonMapper.shared();
    private static final long MAX_HEADER = 100L * 1024 * 1024;
    private static final int CHUNK = 1 << 26;

    private Safetensors() {}

    /** One tensor's entry in a file's header. */
    public record Entry(String name, String dtype, long[] shape, long begin, long end) {
        public long byteLength() {
            return end - begin;
        }

        @Override
        public String toString() {
            return name + " " + dtype + Arrays.toString(shape);
        }
    }

    /** A parsed header: entries in file order, metadata, and where the data starts. */
    public record Header(Path file, List<Entry> entries, Map<String, String> metadata, long dataStart) {
        public Entry entry(String name) {
            return entries.stream().filter(e -> e.name.equals(name)).findFirst().orElse(null);
        }
    }

    /** Writes tensors (in the map's order) atomically enough for a caller who writes to a temporary path. */
    public static void write(Path file, Map<String, Tensor> tensors, Map<String, String> metadata) throws IOException {
        ObjectNode header = JSON.createObjectNode();
        if (!metadata.isEmpty()) {
            ObjectNode meta = header.putObject("__metadata__");
            metadata.forEach(meta::put);
        }
        var contiguous = new LinkedHashMap<String, Tensor>();
        long offset = 0;
        for (var entry : tensors.entrySet()) {
            Tensor tensor = entry.getValue().detach().cpu().contiguous();
            contiguous.put(entry.getKey(), tensor);
            ObjectNode node = header.putObject(entry.getKey());
            node.put("dtype", dtypeName(tensor.scalar_type().intern(), entry.getKey()));
            var shape = node.putArray("shape");
            for (long dim : tensor.sizes().vec().get()) {
                shape.add(dim);
            }
            var offsets = node.putArray("data_offsets");
            offsets.add(offset);
            offset += tensor.nbytes();
            offsets.add(offset);
        }
        byte[] json = JSON.writeValueAsBytes(header);
        int padded = (json.length + 7) / 8 * 8;
        byte[] headerBytes = Arrays.copyOf(json, padded);
        Arrays.fill(headerBytes, json.length, padded, (byte) ' ');
        try (FileChannel out = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.TRUNCATE_EXISTING,
                StandardOpenOption.WRITE)) {
            ByteBuffer length = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(padded).flip();
            writeFully(out, length);
            writeFully(out, ByteBuffer.wrap(headerBytes));
            for (Tensor tensor : contiguous.values()) {
                long size = tensor.nbytes();
                var base = new BytePointer(tensor.data_ptr());
                for (long done = 0; done < size; done += CHUNK) {
                    int len = (int) Math.min(CHUNK, size - done);
                    writeFully(out, new BytePointer(base).position(done).capacity(done + len).asBuffer());
                }
            }
            out.force(true);
        }
    }

    public static Header readHeader(Path file) {
        try (FileChannel in = FileChannel.open(file, StandardOpenOption.READ)) {
            long fileSize = in.size();
            if (fileSize < 8) {
                throw corrupt(file, "it is " + fileSize + " bytes long, shorter than the 8-byte header length");
            }
            ByteBuffer lengthBuffer = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);
            readFully(in, lengthBuffer, 0);
            long headerLength = lengthBuffer.flip().getLong();
            if (headerLength <= 0 || headerLength > MAX_HEADER || 8 + headerLength > fileSize) {
                throw corrupt(file, "its header claims " + headerLength + " bytes but the file has " + fileSize);
            }
            ByteBuffer headerBuffer = ByteBuffer.allocate((int) headerLength);
            readFully(in, headerBuffer, 8);
            JsonNode root;
            try {
                root = JSON.readTree(new String(headerBuffer.array(), StandardCharsets.UTF_8));
            } catch (RuntimeException e) {
                throw corrupt(file, "its header is not valid JSON (" + e.getMessage().lines().findFirst().orElse("") + ")");
            }
            if (!root.isObject()) {
                throw corrupt(file, "its header is not a JSON object");
            }
            var entries = new ArrayList<Entry>();
            var metadata = new LinkedHashMap<String, String>();
            for (var property : root.properties()) {
                String name = property.getKey();
                JsonNode node = property.getValue();
                if (name.equals("__metadata__")) {
                    node.properties().forEach(m -> metadata.put(m.getKey(), m.getValue().asString()));
                    continue;
                }
                String dtype = node.path("dtype").asString();
                scalarType(dtype, file, name);
                JsonNode shapeNode = node.path("shape");
                JsonNode offsets = node.path("data_offsets");
                if (!shapeNode.isArray() || !offsets.isArray() || offsets.size() != 2) {
                    throw corrupt(file, "tensor '" + name + "' lacks a shape or data_offsets");
                }
                long[] shape = new long[shapeNode.size()];
                long count = 1;
                for (int i = 0; i < shape.length; i++) {
                    shape[i] = shapeNode.get(i).asLong();
                    count *= shape[i];
                }
                long begin = offsets.get(0).asLong();
                long end = offsets.get(1).asLong();
                if (end - begin != count * elementSize(dtype)) {
                    throw corrupt(file, "tensor '" + name + "' is " + dtype + Arrays.toString(shape) + " but has "
                            + (end - begin) + " bytes of data");
                }
                entries.add(new Entry(name, dtype, shape, begin, end));
            }
            entries.sort(Comparator.comparingLong(Entry::begin));
            long expected = 0;
            for (Entry entry : entries) {
                if (entry.begin != expected) {
                    throw corrupt(file, "tensor '" + entry.name + "' starts at byte " + entry.begin + ", expected "
                            + expected + " (overlapping or missing data)");
                }
                expected = entry.end;
            }
            long dataStart = 8 + headerLength;
            if (dataStart + expected != fileSize) {
                throw corrupt(file, "the header describes " + expected + " bytes of tensor data but the file holds "
                        + (fileSize - dataStart) + " (truncated or padded)");
            }
            return new Header(file, List.copyOf(entries), Map.copyOf(metadata), dataStart);
        } catch (IOException e) {
            throw new CheckpointException("Cannot read " + file + ": " + e.getMessage(), e);
        }
    }

    /** Reads every tensor of a file, in file order. */
    public static Map<String, Tensor> read(Path file) {
        Header header = readHeader(file);
        var tensors = new LinkedHashMap<String, Tensor>();
        for (Entry entry : header.entries) {
            tensors.put(entry.name, read(header, entry));
        }
        return tensors;
    }

    public static Tensor read(Header header, Entry entry) {
        Tensor tensor = torch.zeros(entry.shape, new TensorOptions(scalarType(entry.dtype, header.file, entry.name)));
        long size = entry.byteLength();
        try (FileChannel in = FileChannel.open(header.file, StandardOpenOption.READ)) {
            var base = new BytePointer(tensor.data_ptr());
            for (long done = 0; done < size; done += CHUNK) {
                int len = (int) Math.min(CHUNK, size - done);
                readFully(in, new BytePointer(base).position(done).capacity(done + len).asBuffer(),
                        header.dataStart + entry.begin + done);
            }
        } catch (IOException e) {
            throw new CheckpointException("Cannot read " + header.file + ": " + e.getMessage(), e);
        }
        return tensor;
    }

    /** JavaCPP hands back enum instances that only {@code intern()} makes comparable (switch and == need it). */
    public static String dtypeName(ScalarType type, String tensorName) {
        return switch (type.intern()) {
            case Double -> "F64";
            case Float -> "F32";
            case Half -> "F16";
            case BFloat16 -> "BF16";
            case Long -> "I64";
            case Int -> "I32";
            case Short -> "I16";
            case Char -> "I8";
            case Byte -> "U8";
            case Bool -> "BOOL";
            default -> throw new IllegalArgumentException("tensor '" + tensorName + "' has dtype " + type
                    + ", which safetensors cannot store");
        };
    }

    static ScalarType scalarType(String dtype, Path file, String tensorName) {
        return switch (dtype) {
            case "F64" -> ScalarType.Double;
            case "F32" -> ScalarType.Float;
            case "F16" -> ScalarType.Half;
            case "BF16" -> ScalarType.BFloat16;
            case "I64" -> ScalarType.Long;
            case "I32" -> ScalarType.Int;
            case "I16" -> ScalarType.Short;
            case "I8" -> ScalarType.Char;
            case "U8" -> ScalarType.Byte;
            case "BOOL" -> ScalarType.Bool;
            default -> throw corrupt(file, "tensor '" + tensorName + "' has unknown dtype '" + dtype + "'");
        };
    }

    static long elementSize(String dtype) {
        return switch (dtype) {
            case "F64", "I64" -> 8;
            case "F32", "I32" -> 4;
            case "F16", "BF16", "I16" -> 2;
            default -> 1;
        };
    }

    private static CheckpointException corrupt(Path file, String why) {
        return new CheckpointException(file + " is not a valid safetensors file: " + why);
    }

    private static void writeFully(FileChannel out, ByteBuffer buffer) throws IOException {
        while (buffer.hasRemaining()) {
            out.write(buffer);
        }
    }

    private static void readFully(FileChannel in, ByteBuffer buffer, long position) throws IOException {
        while (buffer.hasRemaining()) {
            int read = in.read(buffer, position);
            if (read < 0) {
                throw new IOException("unexpected end of file");
            }
            position += read;
        }
    }
}
