package dev.kiln.server.notebook;

import dev.kiln.server.notebook.Notebook.Cell;
import tools.jackson.databind.node.ObjectNode;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;

/**
 * Large outputs kept beside a notebook instead of in it: a mime value over {@link #INLINE_LIMIT} characters (a big
 * image, a huge HTML table) is written to {@code <notebook>.outputs/<hash>.<ext>} in the workspace, and the
 * notebook holds a short text in its place plus {@code metadata.kiln.stored} naming the file, so the {@code .ipynb}
 * stays small enough for git, GitHub and Jupyter, and Kiln puts the output back when it opens the notebook.
 */
final class OutputFiles {
    /** The most characters one mime value of an output may have inside the .ipynb. */
    static final int INLINE_LIMIT = 512 * 1024;

    private OutputFiles() {}

    /** The notebook as the file holds it, and the files to keep beside it (names inside the folder). */
    record Written(Notebook notebook, Map<String, byte[]> files) {}

    /** The folder beside {@code path} (a workspace path) that holds its large outputs. */
    static String folder(String path) {
        return path + ".outputs";
    }

    static Written forFile(Notebook notebook, String path) {
        String folder = folder(path);
        String folderName = folder.substring(folder.lastIndexOf('/') + 1);
        var files = new LinkedHashMap<String, byte[]>();
        var cells = new ArrayList<Cell>();
        for (Cell cell : notebook.cells()) {
            var outputs = new ArrayList<ObjectNode>();
            for (ObjectNode output : cell.outputs()) {
                outputs.add(stored(output, folderName, files));
            }
            cells.add(cell.withOutputs(outputs, cell.executionCount()));
        }
        return new Written(new Notebook(notebook.metadata(), cells), files);
    }

    private static ObjectNode stored(ObjectNode output, String folderName, Map<String, byte[]> files) {
        var data = output.path("data");
        if (!data.isObject()) {
            return output;
        }
        var large = new ArrayList<String>();
        data.properties().forEach(e -> {
            if (e.getValue().isString() && e.getValue().asString().length() > INLINE_LIMIT) {
                large.add(e.getKey());
            }
        });
        if (large.isEmpty()) {
            return output;
        }
        var copy = output.deepCopy();
        var newData = (ObjectNode) copy.get("data");
        if (!copy.path("metadata").isObject()) {
            copy.putObject("metadata");
        }
        var stored = ((ObjectNode) copy.get("metadata")).putObject("kiln").putObject("stored");
        var notes = new ArrayList<String>();
        for (String mime : large) {
            String value = newData.get(mime).asString();
            byte[] bytes = mime.startsWith("image/") && !mime.equals("image/svg+xml")
                    ? Base64.getMimeDecoder().decode(value) : value.getBytes(StandardCharsets.UTF_8);
            String name = hash(bytes) + "." + extension(mime);
            files.put(name, bytes);
            stored.put(mime, folderName + "/" + name);
            newData.remove(mime);
            notes.add(mime + ", " + human(bytes.length) + ", stored beside the notebook in " + folderName + "/" + name);
        }
        if (!newData.has("text/plain")) {
            newData.put("text/plain", "[" + String.join("; ", notes) + "]");
        }
        return copy;
    }

    /** Puts stored outputs back from the files beside the notebook ({@code read}: a name in the folder, or null). */
    static Notebook restore(Notebook notebook, Function<String, byte[]> read) {
        var cells = new ArrayList<Cell>();
        for (Cell cell : notebook.cells()) {
            List<ObjectNode> outputs = new ArrayList<>();
            for (ObjectNode output : cell.outputs()) {
                var stored = output.path("metadata").path("kiln").path("stored");
                if (!stored.isObject() || stored.isEmpty()) {
                    outputs.add(output);
                    continue;
                }
                var copy = output.deepCopy();
                var data = (ObjectNode) copy.get("data");
                stored.properties().forEach(e -> {
                    String file = e.getValue().asString("");
                    byte[] bytes = read.apply(file.substring(file.indexOf('/') + 1));
                    if (bytes != null) {
                        String mime = e.getKey();
                        data.put(mime, mime.startsWith("image/") && !mime.equals("image/svg+xml")
                                ? Base64.getEncoder().encodeToString(bytes) : new String(bytes, StandardCharsets.UTF_8));
                    }
                });
                outputs.add(copy);
            }
            cells.add(cell.withOutputs(outputs, cell.executionCount()));
        }
        return new Notebook(notebook.metadata(), cells);
    }

    private static String extension(String mime) {
        return switch (mime) {
            case "image/png" -> "png";
            case "image/jpeg" -> "jpg";
            case "image/gif" -> "gif";
            case "image/svg+xml" -> "svg";
            case "text/html" -> "html";
            case "text/markdown" -> "md";
            case "text/latex" -> "tex";
            case "application/javascript" -> "js";
            default -> mime.startsWith("application/") && mime.endsWith("json") ? "json" : "txt";
        };
    }

    private static String hash(byte[] bytes) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes), 0, 8);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    private static String human(long bytes) {
        return bytes >= 1 << 20 ? String.format("%.1f MB", bytes / 1048576.0) : (bytes / 1024) + " KB";
    }
}
