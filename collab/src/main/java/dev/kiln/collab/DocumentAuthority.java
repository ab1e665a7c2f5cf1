package dev.kiln.collab;

import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * The central authority for one document, as in {@code @codemirror/collab}: it holds the text, its version and
 * the recent accepted updates. A push based on the current version is made durable, applied and announced. A push
 * based on an older version that is still kept is rebased over what was accepted since ({@link #rebase}, the same
 * algorithm as {@code @codemirror/collab}'s {@code rebaseUpdates}) and accepted too, so a busy document does not
 * bounce every typist's push back as stale; only a push older than the kept updates is refused as stale (the client
 * resyncs). The cleverness lives in {@link ChangeSet} and in the clients' rebasing.
 */
public final class DocumentAuthority implements AutoCloseable {

    /** Bounds that keep one client from harming a document or the server. */
    public record Limits(int maxChangeChars, int maxDocumentChars, int retainedUpdates, int snapshotEvery) {
        public static final Limits DEFAULT = new Limits(1 << 20, 16 << 20, 20_000, 2_000);
    }

    /** What a push did. */
    public sealed interface PushResult {
        /**
         * Accepted and durable; the document is now at {@code version}. {@code rebased}: the push was based on an
         * older version and was moved over the updates accepted since (its updates arrive rebased).
         */
        record Accepted(int version, boolean rebased) implements PushResult {
            public Accepted(int version) {
                this(version, false);
            }
        }

        /** Based on a version older than the kept updates (or from the future): resync, then push again. */
        record Stale(int clientVersion, int serverVersion) implements PushResult {
        }

        /** Malformed or too large; nothing was applied. */
        record Refused(String reason) implements PushResult {
        }
    }

    /** What a pull returns: the updates since a version, or the whole text when they are no longer kept. */
    public sealed interface PullResult {
        record Updates(int fromVersion, List<Update> updates) implements PullResult {
        }

        /**
         * The whole text. {@code yourAccepted} is how many updates the asking client has had accepted in total,
         * so it can tell which of its pending changes are already in {@code text}.
         */
        record Resync(String text, int version, int yourAccepted) implements PullResult {
        }
    }

    /** Told, under the authority's lock and in order, about every accepted batch. Must not block. */
    public interface Listener {
        void accepted(int fromVersion, List<Update> updates);
    }

    private static final int TRIM_CHUNK = 4096;

    private final DocumentStore store;
    private final Limits limits;
    private final StringBuilder doc;
    private final List<Update> recent = new ArrayList<>();
    private final List<Listener> listeners = new CopyOnWriteArrayList<>();
    private final Presence presence;
    /** Updates accepted per client, ever: lets a resyncing client drop pending changes that already landed. */
    private final java.util.Map<String, Integer> acceptedByClient = new java.util.LinkedHashMap<>();
    /**
     * Per client, the version it last started over from (whole text): its older pushes are stale. Memory only: after
     * a restart no push from before can arrive. Bounded, oldest first out.
     */
    private final java.util.Map<String, Integer> resyncedAt = new java.util.LinkedHashMap<>(16, 0.75f, false) {
        @Override
        protected boolean removeEldestEntry(java.util.Map.Entry<String, Integer> eldest) {
            return size() > 10_000;
        }
    };
    private int version;
    private int sinceSnapshot;
    private String writtenBackBlob;

    private DocumentAuthority(DocumentStore store, Limits limits, Clock clock, String text, int version, String writtenBackBlob) {
        this.store = store;
        this.limits = limits;
        this.doc = new StringBuilder(text);
        this.version = version;
        this.writtenBackBlob = writtenBackBlob;
        this.presence = new Presence(clock);
    }

    /**
     * Opens a document from its store, or, when the store is empty, starts it from {@code initialText} (for
     * example the file in the studio's workspace, whose git blob id is {@code initialBlob}).
     */
    public static DocumentAuthority open(DocumentStore store, Limits limits, Clock clock, String initialText, String initialBlob) {
        var stored = store.load();
        if (stored == null) {
            var text = ChangeSet.normalizeLineBreaks(initialText);
            store.snapshot(0, text, java.util.Map.of(), initialBlob);
            return new DocumentAuthority(store, limits, clock, text, 0, initialBlob);
        }
        var authority = new DocumentAuthority(store, limits, clock, stored.text(), stored.version(), stored.writtenBackBlob());
        authority.acceptedByClient.putAll(stored.acceptedByClient());
        var history = stored.history();
        authority.recent.addAll(history.subList(Math.max(0, history.size() - limits.retainedUpdates()), history.size()));
        for (var update : stored.updatesAfterSnapshot()) {
            update.changes().applyInPlace(authority.doc);
            authority.recent.add(update);
            authority.acceptedByClient.merge(update.clientId(), 1, Integer::sum);
            authority.version++;
        }
        authority.sinceSnapshot = stored.updatesAfterSnapshot().size();
        if (authority.recent.size() > limits.retainedUpdates()) {
            authority.recent.subList(0, authority.recent.size() - limits.retainedUpdates()).clear();
        }
        return authority;
    }

    public Limits limits() {
        return limits;
    }

    public synchronized int version() {
        return version;
    }

    public synchronized String text() {
        return doc.toString();
    }

    /** The text and its version, read together (for the server's own use: write-back, saves). */
    public synchronized PullResult.Resync read() {
        return new PullResult.Resync(doc.toString(), version, 0);
    }

    /**
     * The text and its version, read together, for a client that starts over from it (a welcome with the whole text,
     * or a resync): pushes that client sent before, based on older versions, are refused as stale from now on.
     */
    public synchronized PullResult.Resync snapshot(String clientId) {
        resyncedAt.put(clientId, version);
        return new PullResult.Resync(doc.toString(), version, acceptedByClient.getOrDefault(clientId, 0));
    }

    public Presence presence() {
        return presence;
    }

    public void addListener(Listener listener) {
        listeners.add(listener);
    }

    public void removeListener(Listener listener) {
        listeners.remove(listener);
    }

    public synchronized PushResult push(int baseVersion, List<Update> updates) {
        int floor = version - recent.size();
        if (baseVersion > version || baseVersion < floor) {
            return new PushResult.Stale(baseVersion, version);
        }
        if (!updates.isEmpty() && baseVersion < resyncedAt.getOrDefault(updates.get(0).clientId(), 0)) {
            // Sent before this client started over from the whole text: it rebased these changes its own way since
            // (over a diff of the texts), so accepting the old push too would make its copy differ from ours.
            return new PushResult.Stale(baseVersion, version);
        }
        boolean rebased = baseVersion < version;
        if (rebased) {
            var over = recent.subList(baseVersion - floor, recent.size());
            var refusal = fits(updates, over.get(0).changes().length(), baseVersion);
            if (refusal != null) {
                return refusal;
            }
            updates = rebase(updates, over);
        }
        if (updates.isEmpty()) {
            return new PushResult.Accepted(version, rebased);
        }
        var refusal = fits(updates, doc.length(), version);
        if (refusal != null) {
            return refusal;
        }
        // Durable before it is applied, announced or acknowledged.
        store.append(version, updates);
        int from = version;
        for (var update : updates) {
            update.changes().applyInPlace(doc);
            presence.map(update.changes());
            acceptedByClient.merge(update.clientId(), 1, Integer::sum);
        }
        recent.addAll(updates);
        version += updates.size();
        sinceSnapshot += updates.size();
        // Trim in chunks: dropping the oldest update one push at a time would shift the whole list every push.
        if (recent.size() > limits.retainedUpdates() + Math.min(TRIM_CHUNK, limits.retainedUpdates() / 4)) {
            recent.subList(0, recent.size() - limits.retainedUpdates()).clear();
        }
        if (sinceSnapshot >= limits.snapshotEvery()) {
            snapshotNow();
        }
        for (var listener : listeners) {
            listener.accepted(from, updates);
        }
        return new PushResult.Accepted(version, rebased);
    }

    /**
     * Moves a push based on an older version over {@code over}, the updates accepted since, as the client's own
     * {@link CollabClient#receive} would have, one update at a time: the pushing client's own updates among them are
     * earlier copies of its leading updates (a push sent again), which are dropped; every other update moves the
     * remaining ones over it (its insertions first at the same place). This is {@code @codemirror/collab}'s
     * {@code rebaseUpdates} without composing {@code over} first: mapping over a composition can differ from mapping
     * step by step where a change deletes text another inserts beside, and a client that saw some of {@code over}
     * before pushing mapped step by step.
     */
    static List<Update> rebase(List<Update> updates, List<Update> over) {
        if (over.isEmpty() || updates.isEmpty()) {
            return updates;
        }
        var client = updates.get(0).clientId();
        var pending = new ArrayList<ChangeSet>(updates.size());
        updates.forEach(u -> pending.add(u.changes()));
        for (var update : over) {
            if (update.clientId().equals(client)) {
                if (!pending.isEmpty()) {
                    pending.remove(0);
                }
                continue;
            }
            var theirs = update.changes();
            for (int i = 0; i < pending.size(); i++) {
                var mine = pending.get(i);
                pending.set(i, mine.map(theirs));
                theirs = theirs.map(mine, true);
            }
        }
        return pending.stream().map(c -> new Update(c, client)).toList();
    }

    /** Why {@code updates}, starting from a text of {@code length} at {@code atVersion}, cannot be accepted; or null. */
    private PushResult.Refused fits(List<Update> updates, int length, int atVersion) {
        for (var update : updates) {
            var changes = update.changes();
            if (changes.length() != length) {
                return new PushResult.Refused("A change does not fit the document: it expects " + changes.length()
                        + " characters, the document has " + length + " at version " + atVersion + ".");
            }
            if (changes.insertedLength() > limits.maxChangeChars()) {
                return new PushResult.Refused("A change inserts " + changes.insertedLength() + " characters; the limit is "
                        + limits.maxChangeChars() + ".");
            }
            length = changes.newLength();
            if (length > limits.maxDocumentChars()) {
                return new PushResult.Refused("The document would grow to " + length + " characters; the limit is "
                        + limits.maxDocumentChars() + ".");
            }
        }
        return null;
    }

    /** The updates after {@code sinceVersion}, or the whole text for {@code clientId} when they are not kept. */
    public synchronized PullResult pull(int sinceVersion, String clientId) {
        int floor = version - recent.size();
        if (sinceVersion < floor || sinceVersion > version) {
            return snapshot(clientId);
        }
        return new PullResult.Updates(sinceVersion, List.copyOf(recent.subList(sinceVersion - floor, recent.size())));
    }

    /** The git blob id of the text last written back to the workspace (so a reopen can tell outside edits). */
    public synchronized String writtenBackBlob() {
        return writtenBackBlob;
    }

    /**
     * Records that the text at {@code atVersion} was written back to the workspace as {@code blob}. The blob is made
     * durable at once (with a snapshot of the current text): after a crash, a reopen must tell the text it wrote
     * from an edit made outside, or it would merge its own text in a second time.
     */
    public synchronized void wroteBack(int atVersion, String blob) {
        writtenBackBlob = blob;
        snapshotNow();
    }

    private void snapshotNow() {
        store.snapshot(version, doc.toString(), acceptedByClient, writtenBackBlob);
        sinceSnapshot = 0;
    }

    @Override
    public synchronized void close() {
        snapshotNow();
        store.close();
    }
}
