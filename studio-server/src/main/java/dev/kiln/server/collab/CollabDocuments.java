package dev.kiln.server.collab;

import dev.kiln.collab.ChangeSet;
import dev.kiln.collab.CollabRoom;
import dev.kiln.collab.CollabRoom.Participant;
import dev.kiln.collab.DocumentAuthority;
import dev.kiln.collab.FileDocumentStore;
import dev.kiln.collab.TextDiff;
import dev.kiln.collab.Update;
import dev.kiln.server.config.KilnProperties;
import dev.kiln.server.studio.AccessRevoked;
import dev.kiln.server.studio.LiveDocuments;
import dev.kiln.server.studio.StudioAccess;
import dev.kiln.server.studio.Workspaces;
import dev.kiln.server.workspace.Workspace;
import dev.kiln.ui.studio.StudioException;
import jakarta.annotation.PreDestroy;
import org.eclipse.jgit.lib.PersonIdent;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.context.event.EventListener;
import org.springframework.scheduling.annotation.Scheduled;
import org.springframework.stereotype.Component;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Clock;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

/**
 * The documents being edited together: one {@link CollabRoom} per open file, its updates kept durably under
 * {@code <data-dir>/collab/}, and its text written back into the studio's git workspace about two seconds after
 * the last change (and when the last person leaves), crediting everyone who edited.
 */
@Component
public class CollabDocuments implements LiveDocuments {

    private static final Logger log = LoggerFactory.getLogger(CollabDocuments.class);
    static final long WRITE_BACK_DELAY_MS = 2000;
    private static final String SERVER_CLIENT = "kiln-server";

    private final KilnProperties properties;
    private final Workspaces workspaces;
    private final StudioAccess access;
    private final Clock clock;
    private final Map<String, LiveDocument> open = new ConcurrentHashMap<>();
    private final ScheduledExecutorService writer = Executors.newSingleThreadScheduledExecutor(r -> {
        var thread = new Thread(r, "kiln-write-back");
        thread.setDaemon(true);
        return thread;
    });

    CollabDocuments(KilnProperties properties, Workspaces workspaces, StudioAccess access, Clock clock) {
        this.properties = properties;
        this.workspaces = workspaces;
        this.access = access;
        this.clock = clock;
    }

    /** One live file: its room, who edited since the last write-back, and the pending write-back. */
    final class LiveDocument {
        final String studioId;
        final String path;
        final CollabRoom room;
        final Map<String, Participant> byClient = new ConcurrentHashMap<>();
        final Map<String, PersonIdent> editorsSinceWriteBack = new LinkedHashMap<>();
        ScheduledFuture<?> pendingWriteBack;

        LiveDocument(String studioId, String path, CollabRoom room) {
            this.studioId = studioId;
            this.path = path;
            this.room = room;
        }

        synchronized void edited(List<Update> updates) {
            for (var update : updates) {
                var who = byClient.get(update.clientId());
                if (who != null) {
                    editorsSinceWriteBack.putIfAbsent(who.email(), new PersonIdent(who.name(), who.email()));
                }
            }
            if (pendingWriteBack != null) {
                pendingWriteBack.cancel(false);
            }
            pendingWriteBack = writer.schedule(this::writeBackQuietly, WRITE_BACK_DELAY_MS, TimeUnit.MILLISECONDS);
        }

        private void writeBackQuietly() {
            try {
                writeBack();
            } catch (RuntimeException e) {
                log.error("Could not write {} back to studio {}; its text is safe in the collaboration log", path, studioId, e);
            }
        }

        /** Commits the current text to the workspace if it changed since the last write-back. */
        synchronized void writeBack() {
            if (pendingWriteBack != null) {
                pendingWriteBack.cancel(false);
                pendingWriteBack = null;
            }
            var authority = room.authority();
            DocumentAuthority.PullResult.Resync now = authority.snapshot(SERVER_CLIENT);
            if (Workspace.versionOf(now.text()).equals(authority.writtenBackBlob())) {
                return;
            }
            var blob = workspace().writeBack(path, now.text(), new ArrayList<>(editorsSinceWriteBack.values()));
            editorsSinceWriteBack.clear();
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
        if (id != null) {
            joined.document().byClient.put(id, joined.connection().participant());
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

    public int openDocuments() {
        return open.size();
    }

    private LiveDocument load(String studioId, String path) {
        var workspace = workspaces.get(studioId);
        var file = workspace.read(path);
        if (file.binary()) {
            throw new StudioException(StudioException.Kind.INVALID, path + " is a binary file; it can't be edited together.");
        }
        var store = new FileDocumentStore(storeDir(studioId, path));
        var limits = new DocumentAuthority.Limits(1 << 20, (int) Math.min(Integer.MAX_VALUE, workspaces.maxFileBytes()), 20_000, 2_000);
        var authority = DocumentAuthority.open(store, limits, clock, file.text(), file.version());
        catchUpWithOutsideEdits(workspace, authority, file.text(), file.version());
        var room = new CollabRoom(authority, CollabRoom.ConnectionLimits.DEFAULT);
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
        return properties.dataDir().resolve("collab").resolve(studioId).resolve(hash(path));
    }

    private static String key(String studioId, String path) {
        return studioId + "\u0000" + path;
    }

    private static String hash(String path) {
        try {
            var digest = MessageDigest.getInstance("SHA-256").digest(path.getBytes(StandardCharsets.UTF_8));
            return HexFormat.of().formatHex(digest, 0, 16);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    @PreDestroy
    synchronized void shutdown() {
        for (var document : List.copyOf(open.values())) {
            closeDocument(document);
        }
        open.clear();
        writer.shutdown();
    }
}
