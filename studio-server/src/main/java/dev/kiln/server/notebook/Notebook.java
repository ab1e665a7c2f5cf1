package dev.kiln.server.notebook;

import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.node.ObjectNode;

import java.util.List;
import java.util.Locale;

/**
 * A notebook as nbformat 4.5 describes it, read from or written to an {@code .ipynb} file by {@link Nbformat}.
 * Multi-line strings (sources, stream text, text mime types) are held whole here; the file splits them into lines.
 * Outputs are kept in nbformat's own shape (a JSON object with {@code output_type}), so what a kernel sends, what the
 * browser shows and what the file holds are the same object.
 */
public record Notebook(ObjectNode metadata, List<Cell> cells) {
    static final JsonMapper JSON = JsonMapper.shared();

    public Notebook {
        metadata = metadata == null ? JSON.createObjectNode() : metadata;
        cells = List.copyOf(cells);
    }

    /** An empty notebook for a kernel (its kernelspec name, display name and language). */
    public static Notebook empty(String kernelName, String kernelDisplayName, String language) {
        var metadata = JSON.createObjectNode();
        var spec = metadata.putObject("kernelspec");
        spec.put("name", kernelName);
        spec.put("display_name", kernelDisplayName);
        spec.put("language", language);
        metadata.putObject("language_info").put("name", language);
        return new Notebook(metadata, List.of());
    }

    /** The kernelspec name the notebook was last run with, or null. */
    public String kernelName() {
        var name = metadata.path("kernelspec").path("name");
        return name.isString() ? name.asString() : null;
    }

    public enum CellType {
        CODE, MARKDOWN, RAW;

        public String wireName() {
            return name().toLowerCase(Locale.ROOT);
        }

        /** The type named in a file or a message; null for anything else. */
        public static CellType of(String name) {
            for (var type : values()) {
                if (type.wireName().equals(name)) {
                    return type;
                }
            }
            return null;
        }
    }

    /**
     * One cell. {@code outputs} and {@code executionCount} belong to code cells only, {@code attachments} to markdown
     * and raw cells (null: none); {@link Nbformat#write} leaves out what a type does not have.
     */
    public record Cell(String id, CellType type, String source, ObjectNode metadata, List<ObjectNode> outputs,
                       Integer executionCount, ObjectNode attachments) {
        public Cell {
            source = source == null ? "" : source;
            metadata = metadata == null ? JSON.createObjectNode() : metadata;
            outputs = outputs == null ? List.of() : List.copyOf(outputs);
        }

        public static Cell code(String id, String source) {
            return new Cell(id, CellType.CODE, source, null, List.of(), null, null);
        }

        public static Cell markdown(String id, String source) {
            return new Cell(id, CellType.MARKDOWN, source, null, List.of(), null, null);
        }

        public Cell withSource(String text) {
            return new Cell(id, type, text, metadata, outputs, executionCount, attachments);
        }

        public Cell withOutputs(List<ObjectNode> list, Integer count) {
            return new Cell(id, type, source, metadata, list, count, attachments);
        }
    }
}
