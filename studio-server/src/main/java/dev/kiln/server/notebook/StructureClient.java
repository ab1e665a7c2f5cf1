package dev.kiln.server.notebook;

import java.util.ArrayList;
import java.util.List;

/**
 * A client's view of a notebook's cell list, as the browser keeps it (frontend/src/notebook-structure.ts does the
 * same): the list the server confirmed at {@link #version()}, plus this client's own ops the server has not confirmed
 * yet, replayed on top. Ops the server sends are applied to the confirmed list in the server's order; a confirmed
 * own op leaves the pending list. Because ops name cells by id, replaying the pending ones over any newer confirmed
 * list is always defined, and once nothing is pending every client shows exactly the server's list.
 */
public final class StructureClient {
    /** An op of ours not yet confirmed, with its number (1, 2, 3... per client, so a resend is recognised). */
    public record Pending(long seq, StructureOp op) {}

    private final String clientId;
    private CellList confirmed;
    private int version;
    private final List<Pending> pending = new ArrayList<>();
    private long nextSeq = 1;

    public StructureClient(String clientId) {
        this.clientId = clientId;
        this.confirmed = new CellList();
    }

    /** The server's list on connecting: ops it already has ({@code accepted} of ours) leave the pending list. */
    public void welcome(CellList list, int serverVersion, long accepted) {
        confirmed = list.copy();
        version = serverVersion;
        pending.removeIf(p -> p.seq() <= accepted);
        nextSeq = Math.max(nextSeq, accepted + 1);
    }

    /** An op made here: shown at once, sent to the server. */
    public Pending local(StructureOp op) {
        var p = new Pending(nextSeq++, op);
        pending.add(p);
        return p;
    }

    /**
     * An op from the server. False when it does not follow our version (a gap: the connection lost something and
     * must start over with a new hello); one we already have is ignored.
     */
    public boolean receive(int opVersion, StructureOp op, String from, long seq) {
        if (opVersion <= version) {
            return true;
        }
        if (opVersion != version + 1) {
            return false;
        }
        confirmed.apply(op);
        version = opVersion;
        if (clientId.equals(from)) {
            pending.removeIf(p -> p.seq() <= seq);
        }
        return true;
    }

    /** The list to show: the confirmed one with our pending ops on top. */
    public CellList shown() {
        var shown = confirmed.copy();
        pending.forEach(p -> shown.apply(p.op()));
        return shown;
    }

    public List<Pending> pending() {
        return List.copyOf(pending);
    }

    public int version() {
        return version;
    }

    public CellList confirmed() {
        return confirmed.copy();
    }
}
