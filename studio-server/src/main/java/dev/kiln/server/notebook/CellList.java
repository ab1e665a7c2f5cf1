package dev.kiln.server.notebook;

import dev.kiln.server.notebook.Notebook.CellType;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * The order and types of a notebook's cells, changed only by {@link StructureOp}s. Deleted cells stay in the list as
 * tombstones while the notebook is live, so an op made by someone who had not seen the delete yet ("insert after X",
 * "move after X") still lands where they meant. Applying the same ops in the same order to the same list always gives
 * the same list: the server applies them in arrival order and every client replays the server's order (plus its own
 * ops not yet confirmed, on top), which is why everyone converges. Not thread-safe; its owner locks.
 */
public final class CellList {

    /** One cell's place in the list. */
    public record Entry(String id, CellType type, boolean deleted) {}

    private final List<Entry> entries = new ArrayList<>();

    public CellList() {}

    public CellList(List<Entry> entries) {
        this.entries.addAll(entries);
    }

    public CellList copy() {
        return new CellList(entries);
    }

    /** The cells in order, tombstones left out. */
    public List<Entry> visible() {
        return entries.stream().filter(e -> !e.deleted()).toList();
    }

    /** Every entry, tombstones included (for tests and the server's state file). */
    public List<Entry> all() {
        return List.copyOf(entries);
    }

    public boolean isLive(String id) {
        int i = indexOf(id);
        return i >= 0 && !entries.get(i).deleted();
    }

    public CellType typeOf(String id) {
        int i = indexOf(id);
        return i < 0 ? null : entries.get(i).type();
    }

    /** Applies an op; true when it changed the list (false: it no longer fits, and did nothing). */
    public boolean apply(StructureOp op) {
        return switch (op) {
            case StructureOp.Insert insert -> {
                if (indexOf(insert.cell()) >= 0) {
                    yield false; // the same id twice: a retried op that already landed
                }
                entries.add(position(insert.after()), new Entry(insert.cell(), insert.type(), false));
                yield true;
            }
            case StructureOp.Delete delete -> {
                int i = indexOf(delete.cell());
                if (i < 0 || entries.get(i).deleted()) {
                    yield false;
                }
                entries.set(i, new Entry(delete.cell(), entries.get(i).type(), true));
                yield true;
            }
            case StructureOp.Move move -> {
                int i = indexOf(move.cell());
                if (i < 0 || entries.get(i).deleted() || Objects.equals(move.cell(), move.after())
                        || (move.after() != null && indexOf(move.after()) < 0)) {
                    yield false;
                }
                var entry = entries.remove(i);
                entries.add(position(move.after()), entry);
                yield true;
            }
            case StructureOp.SetType set -> {
                int i = indexOf(set.cell());
                if (i < 0 || entries.get(i).deleted() || entries.get(i).type() == set.type()) {
                    yield false;
                }
                entries.set(i, new Entry(set.cell(), set.type(), false));
                yield true;
            }
        };
    }

    /** Where a cell placed after {@code after} goes: first for null, last when {@code after} is unknown. */
    private int position(String after) {
        if (after == null) {
            return 0;
        }
        int i = indexOf(after);
        return i < 0 ? entries.size() : i + 1;
    }

    private int indexOf(String id) {
        for (int i = 0; i < entries.size(); i++) {
            if (entries.get(i).id().equals(id)) {
                return i;
            }
        }
        return -1;
    }

    @Override
    public boolean equals(Object other) {
        return other instanceof CellList list && list.entries.equals(entries);
    }

    @Override
    public int hashCode() {
        return entries.hashCode();
    }

    @Override
    public String toString() {
        return entries.toString();
    }
}
