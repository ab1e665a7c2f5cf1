package dev.kiln.server.files;

import dev.kiln.api.files.FilePreview;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The tensor list of a safetensors file, from its header alone: 8 bytes of little-endian header length, then that
 * much JSON ({@code {"name": {"dtype", "shape", "data_offsets": [begin, end]}, "__metadata__": {...}}}). Parsed
 * here rather than with the training runtime's reader, which needs libtorch: the server reads only the header (a
 * few KB of a 10 GB checkpoint) and checks what it claims against the file's size before believing it.
 */
final class SafetensorsHeader {
    static final long MAX_HEADER = 16L << 20;
    private static final JsonMapper JSON = JsonMapper.shared();
    private static final Map<String, Integer> DTYPE_BYTES = Map.ofEntries(Map.entry("F64", 8), Map.entry("F32", 4),
            Map.entry("F16", 2), Map.entry("BF16", 2), Map.entry("I64", 8), Map.entry("I32", 4), Map.entry("I16", 2),
            Map.entry("I8", 1), Map.entry("U64", 8), Map.entry("U32", 4), Map.entry("U16", 2), Map.entry("U8", 1),
            Map.entry("BOOL", 1), Map.entry("F8_E4M3", 1), Map.entry("F8_E5M2", 1));

    /** The tensors in the file's order, its metadata, and what did not add up (null when all did). */
    record Header(List<FilePreview.Tensor> tensors, Map<String, String> metadata, String problem) {}

    private SafetensorsHeader() {
    }

    static Header read(ByteSource file) {
        long size = file.size();
        if (size < 8) {
            throw new NotSafetensors("it is " + size + " bytes long, shorter than a safetensors header");
        }
        long length = ByteBuffer.wrap(file.read(0, 8)).order(ByteOrder.LITTLE_ENDIAN).getLong();
        if (length <= 0 || length > size - 8) {
            throw new NotSafetensors("its first 8 bytes claim a header of " + length + " bytes in a file of " + size);
        }
        if (length > MAX_HEADER) {
            throw new NotSafetensors("its header is " + length + " bytes, over the " + (MAX_HEADER >> 20)
                    + " MB that are shown");
        }
        var json = new java.io.ByteArrayOutputStream((int) length);
        for (long at = 8; at < 8 + length; ) {
            byte[] chunk = file.read(at, (int) Math.min(512 * 1024, 8 + length - at));
            if (chunk.length == 0) {
                throw new NotSafetensors("it ended inside its header");
            }
            json.write(chunk, 0, chunk.length);
            at += chunk.length;
        }
        JsonNode root;
        try {
            root = JSON.readTree(json.toString(StandardCharsets.UTF_8));
        } catch (JacksonException e) {
            throw new NotSafetensors("its header is not JSON");
        }
        if (!root.isObject()) {
            throw new NotSafetensors("its header is not a JSON object");
        }
        long dataSize = size - 8 - length;
        var tensors = new ArrayList<FilePreview.Tensor>();
        var metadata = new java.util.LinkedHashMap<String, String>();
        String problem = null;
        for (var field : root.properties()) {
            JsonNode value = field.getValue();
            if (field.getKey().equals("__metadata__")) {
                value.properties().forEach(m -> metadata.put(m.getKey(), m.getValue().asString()));
                continue;
            }
            String dtype = value.path("dtype").asString("?");
            var shape = new ArrayList<Long>();
            value.path("shape").forEach(d -> shape.add(d.asLong()));
            JsonNode offsets = value.path("data_offsets");
            long begin = offsets.path(0).asLong(-1);
            long end = offsets.path(1).asLong(-1);
            var tensor = new FilePreview.Tensor(field.getKey(), dtype, shape, Math.max(0, end - begin));
            tensors.add(tensor);
            Integer width = DTYPE_BYTES.get(dtype);
            if (problem == null && (begin < 0 || end < begin || end > dataSize)) {
                problem = field.getKey() + "'s data (bytes " + begin + " to " + end + ") is not inside the file's "
                        + dataSize + " bytes of data: the file may be cut short.";
            } else if (problem == null && width != null && tensor.elements() * width != end - begin) {
                problem = field.getKey() + " claims " + tensor.elements() + " " + dtype + " values but holds "
                        + (end - begin) + " bytes.";
            }
        }
        tensors.sort(java.util.Comparator.comparingLong(t -> offset(root, t.name())));
        return new Header(tensors, metadata, problem);
    }

    private static long offset(JsonNode root, String name) {
        return root.path(name).path("data_offsets").path(0).asLong(0);
    }

    /** A file that does not follow the format, and why (for the viewer's note). */
    static final class NotSafetensors extends RuntimeException {
        NotSafetensors(String why) {
            super("This is not a readable safetensors file: " + why + ".");
        }
    }
}
