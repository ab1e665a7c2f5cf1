package dev.kiln.server.notebook;

import dev.kiln.server.notebook.Notebook.CellType;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.node.ObjectNode;

/**
 * A change to a notebook's list of cells. Every op names cells by id, never by position, so it means the same thing
 * whatever was applied before it: that is what lets the server apply ops in the order they arrive and every client
 * replay them to the same list (see {@link CellList} and notebook PROTOCOL.md). An op that no longer fits (its cell
 * is gone) does nothing.
 */
public sealed interface StructureOp {

    /** A new cell {@code cell} after {@code after} (null: first), with its initial source. */
    record Insert(String cell, CellType type, String after, String source) implements StructureOp {}

    record Delete(String cell) implements StructureOp {}

    /** {@code cell} moves to just after {@code after} (null: first). */
    record Move(String cell, String after) implements StructureOp {}

    record SetType(String cell, CellType type) implements StructureOp {}

    /** The cell an op is about. */
    String cell();

    /** Largest initial source an insert may carry: the same bound as one collab change. */
    int MAX_SOURCE = 1 << 20;

    static StructureOp fromJson(JsonNode node) {
        String op = node.path("op").asString("");
        String cell = node.path("cell").asString("");
        if (!Nbformat.CELL_ID.matcher(cell).matches()) {
            throw new IllegalArgumentException("\"cell\" must be a cell id: 1-64 letters, digits, - or _.");
        }
        return switch (op) {
            case "insert" -> {
                var source = node.path("source").asString("");
                if (source.length() > MAX_SOURCE) {
                    throw new IllegalArgumentException("A new cell's source may be at most " + MAX_SOURCE + " characters.");
                }
                yield new Insert(cell, type(node), after(node), source);
            }
            case "delete" -> new Delete(cell);
            case "move" -> new Move(cell, after(node));
            case "type" -> new SetType(cell, type(node));
            default -> throw new IllegalArgumentException("\"op\" must be insert, delete, move or type.");
        };
    }

    private static CellType type(JsonNode node) {
        var type = CellType.of(node.path("type").asString(""));
        if (type == null) {
            throw new IllegalArgumentException("\"type\" must be code, markdown or raw.");
        }
        return type;
    }

    private static String after(JsonNode node) {
        var after = node.get("after");
        if (after == null || after.isNull()) {
            return null;
        }
        if (!after.isString() || !Nbformat.CELL_ID.matcher(after.asString()).matches()) {
            throw new IllegalArgumentException("\"after\" must be a cell id or null.");
        }
        return after.asString();
    }

    default ObjectNode toJson() {
        var node = Notebook.JSON.createObjectNode();
        switch (this) {
            case Insert i -> {
                node.put("op", "insert").put("cell", i.cell()).put("type", i.type().wireName()).put("after", i.after());
                node.put("source", i.source());
            }
            case Delete d -> node.put("op", "delete").put("cell", d.cell());
            case Move m -> node.put("op", "move").put("cell", m.cell()).put("after", m.after());
            case SetType t -> node.put("op", "type").put("cell", t.cell()).put("type", t.type().wireName());
        }
        return node;
    }
}
