package dev.kiln.server.notebook;

import dev.kiln.server.notebook.Notebook.Cell;
import dev.kiln.server.notebook.Notebook.CellType;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.node.ArrayNode;
import tools.jackson.databind.node.ObjectNode;

import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.List;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * Reads and writes {@code .ipynb} files in nbformat 4.5, the version Jupyter, VS Code and GitHub read today.
 * Notebooks of 4.0 to 4.4 (no cell ids) are read too and get ids, as Jupyter's own upgrade does; a notebook written
 * by Kiln is always 4.5. Writing follows Jupyter's layout ({@link JupyterJson}). What is not a notebook is refused with
 * where and why ({@link NotebookFormatException}); a refused file is never written over.
 */
public final class Nbformat {
    public static final int MAJOR = 4;
    public static final int MINOR = 5;
    /** nbformat 4.5's rule for cell ids. */
    static final Pattern CELL_ID = Pattern.compile("[a-zA-Z0-9_-]{1,64}");
    private static final SecureRandom RANDOM = new SecureRandom();
    /** Mime types nbformat keeps as JSON rather than as a (multi-line) string. */
    private static final Pattern JSON_MIME = Pattern.compile("application/(.+\\+)?json");

    private Nbformat() {}

    /** A new random cell id (8 hex digits, as Jupyter makes them). */
    public static String newCellId() {
        byte[] bytes = new byte[4];
        RANDOM.nextBytes(bytes);
        return HexFormat.of().formatHex(bytes);
    }

    /**
     * Whether every cell of this notebook text has its own valid id (nbformat 4.5): only then can two versions be
     * matched cell by cell; {@link #read} gives id-less cells new random ids each time.
     */
    static boolean namesEveryCell(String text) {
        try {
            var ids = new HashSet<String>();
            for (JsonNode node : Notebook.JSON.readTree(text).path("cells")) {
                if (!CELL_ID.matcher(node.path("id").asString("")).matches() || !ids.add(node.path("id").asString())) {
                    return false;
                }
            }
            return true;
        } catch (JacksonException e) {
            return false;
        }
    }

    public static Notebook read(String text) {
        JsonNode root;
        try {
            root = Notebook.JSON.readTree(text);
        } catch (JacksonException e) {
            var at = e.getLocation();
            throw new NotebookFormatException("This is not a notebook: its JSON is broken"
                    + (at != null && at.getLineNr() > 0 ? " at line " + at.getLineNr() + ", column " + at.getColumnNr() : "")
                    + " (" + e.getOriginalMessage() + ").");
        }
        if (root == null || !root.isObject()) {
            throw new NotebookFormatException("This is not a notebook: an .ipynb file is a JSON object with \"cells\".");
        }
        var major = root.path("nbformat");
        if (!major.isIntegralNumber()) {
            throw new NotebookFormatException("This is not a notebook: it has no \"nbformat\" version number.");
        }
        if (major.asInt() < MAJOR) {
            throw new NotebookFormatException("This notebook is in nbformat " + major.asInt() + " (IPython 3 or older). "
                    + "Kiln opens version 4: open and save it once in Jupyter (or `jupyter nbconvert --to notebook`) to "
                    + "upgrade it.");
        }
        if (major.asInt() > MAJOR) {
            throw new NotebookFormatException("This notebook is in nbformat " + major.asInt() + ", newer than Kiln knows "
                    + "(version 4).");
        }
        var cellsNode = root.path("cells");
        if (!cellsNode.isArray()) {
            throw new NotebookFormatException("This is not a notebook: \"cells\" is missing or not a list.");
        }
        var metadata = root.path("metadata").isObject() ? (ObjectNode) root.get("metadata").deepCopy()
                : Notebook.JSON.createObjectNode();
        var cells = new ArrayList<Cell>();
        Set<String> ids = new HashSet<>();
        int index = 0;
        for (JsonNode node : cellsNode) {
            index++;
            cells.add(cell(node, index, ids));
        }
        return new Notebook(metadata, cells);
    }

    private static Cell cell(JsonNode node, int index, Set<String> ids) {
        if (!node.isObject()) {
            throw new NotebookFormatException("Cell " + index + " is not a JSON object.");
        }
        var type = CellType.of(node.path("cell_type").asString(""));
        if (type == null) {
            throw new NotebookFormatException("Cell " + index + " has cell_type " + node.path("cell_type")
                    + "; it must be \"code\", \"markdown\" or \"raw\".");
        }
        var sourceNode = node.get("source");
        if (sourceNode == null) {
            throw new NotebookFormatException("Cell " + index + " has no \"source\".");
        }
        String source = multiline(sourceNode, "Cell " + index + "'s source");
        // 4.0-4.4 cells have no id; a broken or repeated one is replaced, as nbformat's upgrade does.
        String id = node.path("id").asString("");
        if (!CELL_ID.matcher(id).matches() || ids.contains(id)) {
            do {
                id = newCellId();
            } while (ids.contains(id));
        }
        ids.add(id);
        var metadata = node.path("metadata").isObject() ? (ObjectNode) node.get("metadata").deepCopy() : null;
        if (type != CellType.CODE) {
            var attachments = node.path("attachments").isObject() ? (ObjectNode) node.get("attachments").deepCopy() : null;
            return new Cell(id, type, source, metadata, List.of(), null, attachments);
        }
        var outputs = new ArrayList<ObjectNode>();
        var list = node.path("outputs");
        if (!list.isMissingNode() && !list.isNull() && !list.isArray()) {
            throw new NotebookFormatException("Cell " + index + "'s outputs are not a list.");
        }
        int n = 0;
        for (JsonNode output : list) {
            n++;
            outputs.add(output(output, "Output " + n + " of cell " + index));
        }
        var count = node.path("execution_count");
        return new Cell(id, type, source, metadata, outputs, count.isIntegralNumber() ? count.asInt() : null, null);
    }

    /** An output in memory: nbformat's object with its multi-line strings joined. */
    static ObjectNode output(JsonNode node, String where) {
        if (!node.isObject()) {
            throw new NotebookFormatException(where + " is not a JSON object.");
        }
        var output = (ObjectNode) node.deepCopy();
        String type = output.path("output_type").asString("");
        switch (type) {
            case "stream" -> {
                if (!output.has("text")) {
                    throw new NotebookFormatException(where + " is a stream without \"text\".");
                }
                output.put("text", multiline(output.get("text"), where + "'s text"));
                if (!output.path("name").isString()) {
                    output.put("name", "stdout");
                }
            }
            case "display_data", "execute_result", "update_display_data" -> {
                var data = output.path("data");
                if (!data.isObject()) {
                    throw new NotebookFormatException(where + " has no \"data\".");
                }
                var joined = Notebook.JSON.createObjectNode();
                data.properties().forEach(e -> joined.set(e.getKey(), JSON_MIME.matcher(e.getKey()).matches()
                        ? e.getValue() : Notebook.JSON.getNodeFactory().stringNode(multiline(e.getValue(),
                        where + "'s " + e.getKey()))));
                output.set("data", joined);
                if (!output.path("metadata").isObject()) {
                    output.putObject("metadata");
                }
            }
            case "error" -> {
                if (!output.path("traceback").isArray()) {
                    output.putArray("traceback");
                }
                output.put("ename", output.path("ename").asString(""));
                output.put("evalue", output.path("evalue").asString(""));
            }
            default -> throw new NotebookFormatException(where + " has output_type \"" + type + "\"; it must be "
                    + "stream, display_data, execute_result or error.");
        }
        return output;
    }

    private static String multiline(JsonNode node, String what) {
        if (node.isString()) {
            return node.asString();
        }
        if (node.isArray()) {
            var text = new StringBuilder();
            for (JsonNode line : node) {
                if (!line.isString()) {
                    throw new NotebookFormatException(what + " holds something other than text.");
                }
                text.append(line.asString());
            }
            return text.toString();
        }
        throw new NotebookFormatException(what + " is neither text nor a list of lines.");
    }

    /** The notebook as an nbformat 4.5 file, laid out as Jupyter writes it. */
    public static String write(Notebook notebook) {
        var root = Notebook.JSON.createObjectNode();
        var cells = root.putArray("cells");
        for (Cell cell : notebook.cells()) {
            var node = cells.addObject();
            node.put("cell_type", cell.type().wireName());
            node.put("id", cell.id());
            node.set("metadata", cell.metadata().deepCopy());
            node.set("source", lines(cell.source()));
            if (cell.type() == CellType.CODE) {
                if (cell.executionCount() == null) {
                    node.putNull("execution_count");
                } else {
                    node.put("execution_count", cell.executionCount());
                }
                var outputs = node.putArray("outputs");
                cell.outputs().forEach(o -> outputs.add(fileOutput(o)));
            } else if (cell.attachments() != null) {
                node.set("attachments", cell.attachments().deepCopy());
            }
        }
        root.set("metadata", notebook.metadata().deepCopy());
        root.put("nbformat", MAJOR);
        root.put("nbformat_minor", MINOR);
        return JupyterJson.write(root);
    }

    /** An output as the file holds it: lines split, and only the fields nbformat allows for its type. */
    private static ObjectNode fileOutput(ObjectNode output) {
        var node = Notebook.JSON.createObjectNode();
        String type = output.path("output_type").asString();
        node.put("output_type", type);
        switch (type) {
            case "stream" -> {
                node.put("name", output.path("name").asString("stdout"));
                node.set("text", lines(output.path("text").asString("")));
            }
            case "error" -> {
                node.put("ename", output.path("ename").asString(""));
                node.put("evalue", output.path("evalue").asString(""));
                node.set("traceback", output.path("traceback").isArray() ? output.get("traceback").deepCopy()
                        : Notebook.JSON.createArrayNode());
            }
            default -> {
                var data = node.putObject("data");
                output.path("data").properties().forEach(e -> {
                    String mime = e.getKey();
                    JsonNode value = e.getValue();
                    if (value.isString() && (mime.startsWith("text/") || mime.equals("application/javascript")
                            || mime.equals("image/svg+xml"))) {
                        data.set(mime, lines(value.asString()));
                    } else {
                        data.set(mime, value.deepCopy());
                    }
                });
                node.set("metadata", output.path("metadata").isObject() ? output.get("metadata").deepCopy()
                        : Notebook.JSON.createObjectNode());
                if (type.equals("execute_result")) {
                    var count = output.path("execution_count");
                    if (count.isIntegralNumber()) {
                        node.put("execution_count", count.asInt());
                    } else {
                        node.putNull("execution_count");
                    }
                }
            }
        }
        return node;
    }

    private static ArrayNode lines(String text) {
        var array = Notebook.JSON.createArrayNode();
        JupyterJson.splitLines(text).forEach(array::add);
        return array;
    }
}
