package dev.kiln.collab;

import java.util.ArrayList;
import java.util.List;

/**
 * The client side of the protocol, as {@code @codemirror/collab} does it in the browser: local changes wait in
 * {@code unconfirmed} until the client's own updates come back from the authority; other clients' updates are
 * applied after rebasing the unconfirmed ones over them. Used by Java clients and by the convergence tests.
 */
public final class CollabClient {

    private final String clientId;
    // Edited in place: a client takes every update of its document, and copying the whole text for each one (twice)
    // was most of what fifty clients in one JVM spent.
    private final StringBuilder doc;
    /** The document at {@code version} without our unconfirmed changes: the base they apply to. */
    private final StringBuilder confirmedDoc;
    private int version;
    /** How many of our updates the authority has accepted in total (a resync compares it with the server's count). */
    private int confirmedTotal;
    private List<ChangeSet> unconfirmed = new ArrayList<>();

    public CollabClient(String clientId, String doc, int version) {
        this.clientId = clientId;
        this.doc = new StringBuilder(doc);
        this.confirmedDoc = new StringBuilder(doc);
        this.version = version;
    }

    public String clientId() {
        return clientId;
    }

    public String doc() {
        return doc.toString();
    }

    /** The length of {@link #doc()}, without copying it. */
    public int length() {
        return doc.length();
    }

    public int version() {
        return version;
    }

    public int unconfirmedCount() {
        return unconfirmed.size();
    }

    /** Applies a local edit made on the current document. */
    public void edit(ChangeSet changes) {
        if (changes.isEmpty()) {
            return; // as @codemirror/collab: a change that changes nothing is not sent
        }
        changes.applyInPlace(doc);
        unconfirmed.add(changes);
    }

    /** The text the server has confirmed (the document without our pending changes). */
    public String confirmedDoc() {
        return confirmedDoc.toString();
    }

    /** Throws if the pending changes do not lead from the confirmed document to the shown one (for tests). */
    void checkConsistent() {
        var replay = confirmedDoc.toString();
        for (var change : unconfirmed) {
            replay = change.apply(replay);
        }
        if (!replay.contentEquals(doc)) {
            throw new IllegalStateException(clientId + ": pending changes do not lead to the document");
        }
    }

    /** The updates to push, based on {@link #version()}. */
    public List<Update> sendable() {
        return unconfirmed.stream().map(c -> new Update(c, clientId)).toList();
    }

    /**
     * Takes the updates that follow {@link #version()}, one at a time, as {@code @codemirror/collab}'s
     * {@code receiveUpdates} does for a single update. Our own update confirms the oldest pending change (the
     * authority may have rebased it over others' updates, in the same order, so it is the change we hold). Anyone
     * else's change is applied after being moved over our pending changes, which are moved over it in turn (theirs
     * first where both insert at one place).
     *
     * <p>One at a time, not composed: mapping over a composition of changes can place an insertion differently from
     * mapping over the same changes in turn (an insertion inside text that one change deletes and the next replaces),
     * and the authority may receive a push before or after the client has seen some of the same updates. Step by
     * step, client and authority walk the same sequence and cannot disagree.
     */
    public void receive(List<Update> updates) {
        version += updates.size();
        for (var update : updates) {
            update.changes().applyInPlace(confirmedDoc);
            if (!unconfirmed.isEmpty() && update.clientId().equals(clientId)) {
                unconfirmed.remove(0);
                confirmedTotal++;
                continue;
            }
            var theirs = update.changes();
            for (int i = 0; i < unconfirmed.size(); i++) {
                var mine = unconfirmed.get(i);
                unconfirmed.set(i, mine.map(theirs));
                theirs = theirs.map(mine, true);
            }
            theirs.applyInPlace(doc);
        }
    }

    /**
     * Starts over from the server's text when the updates since our version are no longer kept. Pending local
     * changes cannot be rebased update by update, so they are rebased over one change that stands for everything
     * the others did (the smallest replacement from our base to the server's text), and stay unsent.
     */
    public void resync(String text, int newVersion, int acceptedByServer) {
        if (newVersion <= version) {
            return; // an answer that arrived late: we already have this version or a newer one
        }
        // Pending changes the server already accepted are in its text: take them out of the pending list.
        int landed = Math.max(0, Math.min(acceptedByServer - confirmedTotal, unconfirmed.size()));
        for (var change : unconfirmed.subList(0, landed)) {
            change.applyInPlace(confirmedDoc);
        }
        confirmedTotal += landed;
        // Rebase each remaining change, in order, over everything the others did (seen as one replacement), so
        // that each still matches the update the server will echo back once it is accepted.
        var theirs = TextDiff.between(confirmedDoc.toString(), text);
        var rebased = new ArrayList<ChangeSet>();
        var shown = text;
        for (var local : unconfirmed.subList(landed, unconfirmed.size())) {
            var mapped = local.map(theirs);
            theirs = theirs.map(local, true);
            rebased.add(mapped);
            shown = mapped.apply(shown);
        }
        unconfirmed = rebased;
        confirmedDoc.setLength(0);
        confirmedDoc.append(text);
        doc.setLength(0);
        doc.append(shown);
        version = newVersion;
    }
}
