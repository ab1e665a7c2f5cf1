package dev.kiln.server.collab;

import dev.kiln.collab.ChangeSet;
import dev.kiln.collab.CollabRoom;
import dev.kiln.collab.CollabRoom.Participant;
import dev.kiln.collab.DocumentAuthority;
import dev.kiln.collab.DocumentStore;
import dev.kiln.collab.FileDocumentStore;
import dev.kiln.collab.TextDiff;
import dev.kiln.collab.Update;
import dev.kiln.server.config.KilnProperties;
import dev.kiln.server.studio.AccessRevoked;
import dev.kiln.server.studio.LiveDocuments;
import dev.kiln.server.studio.StudioAccess;
import dev.kiln.server.studio.Workspaces;
import dev.kiln.server.workspace.Workspace;
import dev.kiln.api.studio.StudioException;
import jakarta.annotation.PostConstruct;
import jakarta.annotation.PreDestroy;
import org.eclipse.jgit.lib.PersonIdent;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.context.event.EventListener;
import org.springframework.scheduling.annotation.Scheduled;
import org.springframework.stereotype.Component;

import java.nio.file.Path;
import java.time.Clock;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * The documents being edited together: one {@link CollabRoom} per open file, its updates kept durably under
 * {@code <data-dir>/collab/}, and its text written back into the studio's git workspace about two seconds after
 * the last change (and when the last person leaves), crediting everyone who edited.
 */
@Component
public class CollabDocuments implements LiveDocuments, dev.kiln.server.studio.StudioScoped {

    private static final Logger log = LoggerFactory.getLogger(CollabDocuments.class);
    static final long WRITE_BACK_DELAY_MS = 2000;
    private static final String SERVER_CLIENT = "kiln-server";

    private final KilnProperties properties;
    private final Workspaces workspaces;
    private final StudioAccess access;
    private final Clock clock;
    private final CollabStores stores;
    private final Map<String, LiveDocument> open = new ConcurrentHashMap<>();
    private final ScheduledExecutorService writer = Executors.newSingleThreadScheduledExecutor(r -> {
        var thread = new Thread(r, "kiln-write-back");
        thread.setDaemon(true);
        return thread;
    });
    /** Sends each room's coalesced presence every {@link CollabRoom#PRESENCE_INTERVAL_MS} ms. */
    private final ScheduledExecutorService presence = Executors.newSingleThreadScheduledExecutor(r -> {
        var thread = new Thread(r, "kiln-collab-presence");
        thread.setDaemon(true);
        return thread;
    });

    CollabDocuments(KilnProperties properties, Workspaces workspaces, StudioAccess access, Clock clock) {
        this.properties = properties;
        this.workspaces = workspaces;
        this.access = access;
        this.clock = clock;
        this.stores = new CollabStores(properties.dataDir().resolve("collab"));
        presence.scheduleAtFixedRate(this::flushPresence, CollabRoom.PRESENCE_INTERVAL_MS, CollabRoom.PRESENCE_INTERVAL_MS,
                TimeUnit.MILLISECONDS);
    }

    private void flushPresence() {
        for (var document : open.values()) {
            try {
                document.room.flushPresence();
            } catch (RuntimeException e) {
                log.warn("Could not send presence for {}", document.path, e);
            }
        }
    }

    /**
     * One live file: its room, who edited since the last write-back, and the pending write-back.
     *
     * <p>Locks: {@link #edited} runs inside the authority's lock (a listener of every accepted push) and takes only
     * {@code credits}; {@link #writeBack} holds this object while it reads the authority. Taking this object's lock in
     * {@code edited} as well would deadlock a push against a write-back.
     */
    final class LiveDocument {
        final String studioId;
        final String path;
        final CollabRoom room;
        final Map<String, Participant> byClient = new ConcurrentHashMap<>();
        /** Guards {@link #editorsSinceWriteBack}, {@link #lastEditNanos} and {@link #writeBackScheduled}. */
        private final Object credits = new Object();
        final Map<String, PersonIdent> editorsSinceWriteBack = new LinkedHashMap<>();
        private long lastEditNanos;
        private boolean writeBackScheduled;

        LiveDocument(String studioId, String path, CollabRoom room) {
            this.studioId = studioId;
            this.path = path;
            this.room = room;
        }

        /** After every accepted push: remember who edited, and write back once the typing has paused for 2 s. */
        void edited(List<Update> updates) {
            synchronized (credits) {
                for (var update : updates) {
                    var who = byClient.get(update.clientId());
                    if (who != null) {
                        editorsSinceWriteBack.putIfAbsent(who.email(), new PersonIdent(who.name(), who.email()));
                    }
                }
                lastEditNanos = System.nanoTime();
                // One timer per pause, not one per push: fifty typists push hundreds of times a second.
                if (!writeBackScheduled) {
                    writeBackScheduled = true;
                    writer.schedule(this::writeBackWhenIdle, WRITE_BACK_DELAY_MS, TimeUnit.MILLISECONDS);
                }
            }
        }

        private void writeBackWhenIdle() {
            long wait;
            synchronized (credits) {
                wait = WRITE_BACK_DELAY_MS - (System.nanoTime() - lastEditNanos) / 1_000_000;
                if (wait > 0) {
                    writer.schedule(this::writeBackWhenIdle, wait, TimeUnit.MILLISECONDS);
                    return;
                }
                writeBackScheduled = false;
            }
            try {
                writeBack();
            } catch (RuntimeException e) {
                log.error("Could not write {} back to studio {}; its text is safe in the collaboration log", path, studioId, e);
            }
        }

        void addEditor(PersonIdent editor) {
            synchronized (credits) {
                editorsSinceWriteBack.putIfAbsent(editor.getEmailAddress(), editor);
            }
        }

        /** Commits the current text to the workspace if it changed since the last write-back. */
        synchronized void writeBack() {
            var authority = room.authority();
            DocumentAuthority.PullResult.Resync now = authority.read();
            var blob = Workspace.versionOf(now.text());
            if (blob.equals(authority.writtenBackBlob())) {
                return;
            }
            stores.writingBack(studioId, path, blob);
            Map<String, PersonIdent> credited;
            synchronized (credits) {
                credited = new LinkedHashMap<>(editorsSinceWriteBack);
            }
            workspace().writeBack(path, now.text(), new ArrayList<>(credited.values()));
            synchronized (credits) {
                credited.keySet().forEach(editorsSinceWriteBack::remove);
            }
            authority.wroteBack(now.version(), blob);
        }

        Workspace workspace() {
            return workspaces.get(studioId);
        }
    }

    /** Joins {@code who} to the live document for {@code path}, opening it (from its log, or from the file) if needed. */
    public synchronized Joined join(String studioId, String path, Participant who, CollabRoom.Outbox outbox) {
        var document = open.computeIfAbsent(key(studioId, path), k -> load(studioId, path));
        var connection = document.room.connect(who, outbox);
        return new Joined(document, connection);
    }

    /** A connection and the document it belongs to. */
    public record Joined(LiveDocument document, dev.kiln.collab.CollabConnection connection) {
    }

    /** Called when a connection ends: the last one out writes back and closes the document. */
    public synchronized void left(Joined joined) {
        joined.connection().onClose();
        var document = joined.document();
        if (document.room.connectionCount() == 0 && open.remove(key(document.studioId, document.path), document)) {
            closeDocument(document);
        }
    }

    /** Remembers which person a client id belongs to, for commit credits (set once the client said hello). */
    public void identify(Joined joined) {
        var id = joined.connection().clientId();
        if (id != null && joined.document().byClient.putIfAbsent(id, joined.connection().participant()) == null) {
            var document = joined.document();
            stores.rememberPerson(document.studioId, document.path, id, joined.connection().participant());
        }
    }

    @Override
    public void commitNow(String studioId, String path) {
        var document = open.get(key(studioId, path));
        if (document != null) {
            document.writeBack();
        }
        // Ctrl+S closes the file's commit: what is typed next goes into a new one.
        workspaces.get(studioId).endEditSession(path);
    }

    @Override
    public Optional<String> replaceIfLive(String studioId, String path, String text, String baseVersion, PersonIdent editor) {
        var document = open.get(key(studioId, path));
        if (document == null) {
            return Optional.empty();
        }
        var authority = document.room.authority();
        synchronized (authority) {
            var current = authority.text();
            if (baseVersion != null && !Workspace.versionOf(current).equals(baseVersion)) {
                throw new StudioException(StudioException.Kind.CONFLICT, path + " changed since you opened it (it is being "
                        + "edited live). Reload it to see the newer version, or save yours over it.");
            }
            var change = TextDiff.between(current, ChangeSet.normalizeLineBreaks(text));
            if (!change.isEmpty()) {
                var clientId = SERVER_CLIENT + "-" + editor.getEmailAddress();
                document.byClient.put(clientId, new Participant(-1, editor.getName(), editor.getEmailAddress(), "#888888", CollabRoom.Role.EDITOR));
                var result = authority.push(authority.version(), List.of(new Update(change, clientId)));
                if (!(result instanceof DocumentAuthority.PushResult.Accepted)) {
                    throw new StudioException(StudioException.Kind.INVALID, "Not saved: " + result);
                }
            }
        }
        document.writeBack();
        return Optional.of(Workspace.versionOf(authority.text()));
    }

    @Override
    public Optional<String> mergeIfLive(String studioId, String path, String base, String text, PersonIdent author) {
        var document = open.get(key(studioId, path));
        if (document == null) {
            return Optional.empty();
        }
        var authority = document.room.authority();
        synchronized (authority) {
            var live = authority.text();
            var from = base == null ? live : ChangeSet.normalizeLineBreaks(base);
            // The machine's change, rebased over what the editors typed since the version it started from.
            var change = dev.kiln.collab.LineDiff.between(from, ChangeSet.normalizeLineBreaks(text))
                    .map(dev.kiln.collab.LineDiff.between(from, live));
            if (!change.isEmpty()) {
                var clientId = SERVER_CLIENT + "-" + author.getEmailAddress();
                document.byClient.put(clientId, new Participant(-1, author.getName(), author.getEmailAddress(),
                        "#888888", CollabRoom.Role.EDITOR));
                var result = authority.push(authority.version(), List.of(new Update(change, clientId)));
                if (!(result instanceof DocumentAuthority.PushResult.Accepted)) {
                    throw new StudioException(StudioException.Kind.INVALID, "The machine's change of " + path
                            + " was not taken: " + result);
                }
            }
        }
        document.writeBack();
        return Optional.of(Workspace.versionOf(authority.text()));
    }

    @Override
    public Optional<String> liveVersion(String studioId, String path) {
        var document = open.get(key(studioId, path));
        return document == null ? Optional.empty() : Optional.of(Workspace.versionOf(document.room.authority().text()));
    }

    @Override
    public synchronized void closeUnder(String studioId, String path, String why) {
        for (var document : List.copyOf(open.values())) {
            if (document.studioId.equals(studioId) && (document.path.equals(path) || document.path.startsWith(path + "/"))) {
                open.remove(key(studioId, document.path));
                document.room.disconnect(p -> true, "closed", document.path + " was " + why + ".");
                closeDocument(document);
                deleteStore(studioId, document.path);
            }
        }
    }

    @Override
    public java.util.Set<String> liveStudios() {
        return open.values().stream().map(d -> d.studioId).collect(java.util.stream.Collectors.toSet());
    }

    @Override
    public void release(String studioId) {
        closeStudio(studioId);
    }

    /** Closes every live document of a studio (it is being deleted). */
    public synchronized void closeStudio(String studioId) {
        for (var document : List.copyOf(open.values())) {
            if (document.studioId.equals(studioId)) {
                open.remove(key(studioId, document.path));
                document.room.disconnect(p -> true, "closed", "The studio was deleted.");
                closeDocument(document);
            }
        }
    }

    /** A share link was revoked: end its people's connections now, in every live file of the studio. */
    @EventListener
    void revoked(AccessRevoked event) {
        for (var document : open.values()) {
            if (document.studioId.equals(event.studioId())) {
                document.room.disconnect(p -> event.userIds().contains(p.userId()), "revoked",
                        "Your access to this studio was revoked by its owner.");
            }
        }
    }

    /** A user's sessions were ended (account disabled, deleted, password reset): close their connections everywhere. */
    @EventListener
    void sessionsEnded(dev.kiln.server.security.SessionsEnded event) {
        for (var document : open.values()) {
            document.room.disconnect(p -> p.userId() == event.userId(), "revoked", event.message());
        }
    }

    /** Every few seconds: drop silent participants, and end connections whose access lapsed (an expired link). */
    @Scheduled(fixedDelay = 5000)
    void sweep() {
        for (var document : open.values()) {
            document.room.expirePresence();
            document.room.disconnect(p -> p.role() != CollabRoom.Role.OWNER && p.userId() >= 0
                    && access.lookup(document.studioId, p.userId()).isEmpty(), "revoked", "Your access to this studio has ended.");
        }
    }

    /**
     * The limits agree with the file size limit: one change may insert as much as a file may hold (a paste of a
     * whole file works), and a document may grow to it. Counted in characters, which a file's bytes never undercount.
     */
    static DocumentAuthority.Limits documentLimits(long maxFileBytes) {
        int chars = (int) Math.min(Integer.MAX_VALUE / 4, maxFileBytes);
        return new DocumentAuthority.Limits(chars, chars, 20_000, 2_000);
    }

    /**
     * Frames must hold the largest change as JSON: twice the file limit leaves room for escaping, plus 1 MiB for the
     * rest of the message. A larger frame closes the connection (1009); the browser checks before sending.
     */
    int frameLimit() {
        return (int) Math.min(Integer.MAX_VALUE / 2, 2 * Math.max(workspaces.maxFileBytes(), 1 << 20) + (1 << 20));
    }

    public int openDocuments() {
        return open.size();
    }

    private LiveDocument load(String studioId, String path) {
        var workspace = workspaces.get(studioId);
        var file = workspace.read(path);
        if (file.binary()) {
            throw new StudioException(StudioException.Kind.INVALID, path + " is a binary file; it can't be edited together.");
        }
        stores.rememberPath(studioId, path);
        var store = new FileDocumentStore(stores.dir(studioId, path));
        var limits = documentLimits(workspaces.maxFileBytes());
        var authority = DocumentAuthority.open(store, limits, clock, file.text(), file.version());
        if (stores.lastWritingBack(studioId, path).filter(file.version()::equals).isPresent()) {
            // The file holds text we wrote back just before a crash cut the log's snapshot short: ours, not an
            // outside edit.
            authority.wroteBack(authority.version(), file.version());
        }
        catchUpWithOutsideEdits(workspace, authority, file.text(), file.version());
        var room = new CollabRoom(authority, new CollabRoom.ConnectionLimits(200, 400, frameLimit()));
        var document = new LiveDocument(studioId, path, room);
        authority.addListener((from, updates) -> document.edited(updates));
        return document;
    }

    /**
     * The file may have changed in the workspace while nobody had it open (a save through the API, a restore).
     * Those changes are merged into the live text as one edit, rebased over live edits not yet written back, so
     * neither side is lost.
     */
    private static void catchUpWithOutsideEdits(Workspace workspace, DocumentAuthority authority, String fileText, String fileBlob) {
        if (fileBlob.equals(authority.writtenBackBlob())) {
            return;
        }
        var live = authority.text();
        if (live.equals(fileText)) {
            authority.wroteBack(authority.version(), fileBlob);
            return;
        }
        var base = workspace.blobText(authority.writtenBackBlob()).orElse(live);
        var outside = TextDiff.between(base, fileText).map(TextDiff.between(base, live));
        var result = authority.push(authority.version(), List.of(new Update(outside, SERVER_CLIENT)));
        if (result instanceof DocumentAuthority.PushResult.Accepted) {
            authority.wroteBack(authority.version(), fileBlob);
        }
    }

    private void closeDocument(LiveDocument document) {
        try {
            document.writeBack();
        } catch (RuntimeException e) {
            log.error("Could not write {} back on close; its text stays in the collaboration log", document.path, e);
        }
        document.room.close();
    }

    private void deleteStore(String studioId, String path) {
        var dir = storeDir(studioId, path);
        try (var files = java.nio.file.Files.walk(dir)) {
            for (var p : files.sorted(java.util.Comparator.reverseOrder()).toList()) {
                java.nio.file.Files.deleteIfExists(p);
            }
        } catch (java.io.IOException e) {
            log.warn("Could not remove the collaboration log of {}", path, e);
        }
    }

    private Path storeDir(String studioId, String path) {
        return stores.dir(studioId, path);
    }

    private static String key(String studioId, String path) {
        return studioId + "\u0000" + path;
    }

    /**
     * Before the server takes requests: every document whose log holds edits that never reached the workspace (the
     * server died before the write-back) is written back now, crediting the people recorded for its client ids, so
     * the REST API, git and the machines see every acknowledged edit without anyone reopening the file.
     */
    @PostConstruct
    void writeBackWhatACrashLeft() {
        long started = System.nanoTime();
        int written = 0;
        for (var found : stores.all(this::existingWorkspace)) {
            if (existingWorkspace(found.studioId()).isEmpty()) {
                continue;
            }
            DocumentStore.Stored stored;
            try (var store = new FileDocumentStore(found.dir())) {
                stored = store.load();
            } catch (RuntimeException e) {
                log.error("Could not read the collaboration log of {} in studio {}", found.path(), found.studioId(), e);
                continue;
            }
            if (!CollabStores.aheadOfWriteBack(stored)) {
                continue;
            }
            try {
                var document = load(found.studioId(), found.path());
                var people = stores.people(found.studioId(), found.path());
                for (var update : stored.updatesAfterSnapshot()) {
                    var who = people.get(update.clientId());
                    if (who != null) {
                        document.addEditor(new PersonIdent(who[0], who[1]));
                    }
                }
                closeDocument(document);
                written++;
            } catch (RuntimeException e) {
                log.error("Could not write {} back to studio {} after the restart; its text stays in the collaboration log",
                        found.path(), found.studioId(), e);
            }
        }
        if (written > 0) {
            log.info("Wrote back {} document(s) with edits from before the restart in {} ms", written,
                    (System.nanoTime() - started) / 1_000_000);
        }
    }

    private Optional<Workspace> existingWorkspace(String studioId) {
        if (!java.nio.file.Files.isDirectory(properties.workspacesDir().resolve(studioId).resolve(".git"))) {
            return Optional.empty();
        }
        return Optional.of(workspaces.get(studioId));
    }

    @PreDestroy
    synchronized void shutdown() {
        for (var document : List.copyOf(open.values())) {
            closeDocument(document);
        }
        open.clear();
        writer.shutdown();
        presence.shutdown();
    }
}
