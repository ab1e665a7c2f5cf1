package dev.kiln.server.files;

import dev.kiln.server.data.DataPreviews;
import dev.kiln.server.workspace.Workspace;
import dev.kiln.api.files.FileEntry;
import dev.kiln.api.files.FilePreview;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * What the viewer shows of a file, decided by its name and first bytes: text (the first {@value #TEXT_BYTES}
 * bytes), CSV and Parquet as tables (the Data tab's readers), an image (fetched by the browser), a safetensors
 * checkpoint's tensors (its header only), or a note for anything binary. Only the bytes a preview needs are read,
 * whatever the file's size.
 */
final class FilePreviews {
    static final int TEXT_BYTES = 256 * 1024;
    /** Images are shown up to this size (the browser fetches the whole file). */
    static final long MAX_IMAGE_BYTES = 50L << 20;
    static final Map<String, String> IMAGE_TYPES = Map.of("png", "image/png", "jpg", "image/jpeg", "jpeg",
            "image/jpeg", "gif", "image/gif", "webp", "image/webp", "bmp", "image/bmp", "ico", "image/x-icon");

    private FilePreviews() {
    }

    static FilePreview of(String path, FileEntry.Where where, ByteSource file, String imageUrl) {
        String name = path.substring(path.lastIndexOf('/') + 1);
        String extension = name.contains(".") ? name.substring(name.lastIndexOf('.') + 1).toLowerCase(Locale.ROOT) : "";
        long size = file.size();
        try {
            if (IMAGE_TYPES.containsKey(extension)) {
                return size > MAX_IMAGE_BYTES
                        ? preview(path, "binary", where, file, null, List.of(), List.of(), null, false, "An image of "
                        + human(size) + ", over the " + human(MAX_IMAGE_BYTES) + " shown here: download it to view it.")
                        : preview(path, "image", where, file, null, List.of(), List.of(), imageUrl, false, null);
            }
            if (extension.equals("safetensors")) {
                var header = SafetensorsHeader.read(file);
                var metadata = new StringBuilder();
                header.metadata().forEach((k, v) -> metadata.append(k).append(": ").append(v).append('\n'));
                return preview(path, "safetensors", where, file, metadata.toString(), List.of(), header.tensors(), null,
                        false, header.problem());
            }
            if (extension.equals("parquet")) {
                var parquet = DataPreviews.parquet(file::read, name, size);
                return preview(path, "parquet", where, file, parquet.text(), parquet.rows(), List.of(), null,
                        parquet.truncated(), parquet.note());
            }
            byte[] head = readFully(file, (int) Math.min(size, extension.equals("csv") || extension.equals("tsv")
                    ? DataPreviews.PREVIEW_BYTES : TEXT_BYTES));
            boolean truncated = size > head.length;
            String text = Workspace.text(truncated ? wholeCharacters(head) : head);
            if (text == null) {
                return preview(path, "binary", where, file, null, List.of(), List.of(), null, false, "A binary file of "
                        + human(size) + ": download it to open it with the program it is for.");
            }
            if (truncated && text.contains("\n")) {
                text = text.substring(0, text.lastIndexOf('\n') + 1); // whole lines only
            }
            if (extension.equals("csv") || extension.equals("tsv")) {
                return preview(path, "csv", where, file, null, DataPreviews.csvRows(text, extension.equals("tsv")),
                        List.of(), null, truncated, null);
            }
            return preview(path, "text", where, file, text, List.of(), List.of(), null, truncated, null);
        } catch (SafetensorsHeader.NotSafetensors | dev.kiln.server.data.DataException e) {
            return preview(path, "binary", where, file, null, List.of(), List.of(), null, false, e.getMessage());
        }
    }

    private static FilePreview preview(String path, String kind, FileEntry.Where where, ByteSource file, String text,
                                       List<List<String>> rows, List<FilePreview.Tensor> tensors, String url,
                                       boolean truncated, String note) {
        return new FilePreview(path, kind, file.size(), file.modified(), where, text, rows, tensors, url, truncated,
                note);
    }

    private static byte[] readFully(ByteSource file, int length) {
        var out = new java.io.ByteArrayOutputStream(length);
        long at = 0;
        while (out.size() < length) {
            byte[] chunk = file.read(at, Math.min(512 * 1024, length - out.size()));
            if (chunk.length == 0) {
                break;
            }
            out.write(chunk, 0, chunk.length);
            at += chunk.length;
        }
        return out.toByteArray();
    }

    /** The bytes without a UTF-8 character cut at the end (the cut of a partial read). */
    private static byte[] wholeCharacters(byte[] bytes) {
        int end = bytes.length;
        int back = 0;
        while (end > 0 && back < 4 && (bytes[end - 1] & 0xC0) == 0x80) {
            end--;
            back++;
        }
        if (end > 0 && (bytes[end - 1] & 0x80) != 0) {
            end--; // the lead byte of the cut character
        }
        return java.util.Arrays.copyOf(bytes, end);
    }

    static String human(long bytes) {
        if (bytes < 1024) {
            return bytes + " B";
        }
        String[] units = {"KB", "MB", "GB", "TB"};
        double value = bytes;
        int unit = -1;
        while (value >= 1024 && unit < units.length - 1) {
            value /= 1024;
            unit++;
        }
        return String.format(Locale.ROOT, value >= 100 ? "%.0f %s" : "%.1f %s", value, units[unit]);
    }

    static String text(byte[] bytes) {
        return new String(bytes, StandardCharsets.UTF_8);
    }
}
