package dev.kiln.server.notebook;

import dev.kiln.collab.CollabRoom;
import dev.kiln.collab.DocumentStore;
import dev.kiln.collab.FileDocumentStore;
import dev.kiln.server.config.KilnProperties;
import dev.kiln.server.studio.AccessRevoked;
import dev.kiln.server.studio.StudioAccess;
import dev.kiln.server.studio.Workspaces;
import dev.kiln.server.workspace.Workspace;
import dev.kiln.api.studio.StudioException;
import jakarta.annotation.PreDestroy;
import org.eclipse.jgit.lib.PersonIdent;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.context.event.EventListener;
import org.springframework.scheduling.annotation.Scheduled;
import org.springframework.stereotype.Component;
import tools.jackson.databind.node.ObjectNode;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Clock;
import java.time.Instant;
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
 * The notebooks open on the server ({@link LiveNotebook}s), their durability and their write-back. A notebook opens
 * when the first browser joins (or a kernel records into it) and stays open while anyone is connected or its kernel
 * lives, so outputs keep being recorded with every browser closed. Cell sources are collab documents with fsync'd
 * logs under {@code <data-dir>/notebooks/<studio>/<hash>/cells/}; the cells' order, outputs and runs are kept in
 * {@code state.json} beside them (at once for structure changes, within a second for outputs). The notebook is
 * written back to the workspace as an nbformat 4.5 {@code .ipynb} (large outputs beside it, see {@link OutputFiles})
 * two seconds after the last change, at most every 30 s while a cell runs, when the last person leaves, and on
 * "Commit now"; each commit credits everyone who edited.
 */
@Component
public class NotebookDocuments implements dev.kiln.server.studio.StudioScoped {
    private static final Logger log = LoggerFactory.getLogger(NotebookDocuments.class);
    static final long WRITE_BACK_DELAY_MS = 2000;
    static final long MAX_WRITE_BACK_DELAY_MS = 30_000;
    private static final long STATE_DELAY_MS = 1000;

    /** What the kernel service tells the documents about a notebook's kernel. */
    interface Kernels {
        /** A notebook whose kernel lives stays open without browsers (its outputs are still recorded). */
        boolean keepsOpen(LiveNotebook notebook);

        /** A cell runs or waits to: write-backs wait (up to 30 s) so a commit holds a finished run. */
        boolean isRunning(LiveNotebook notebook);

        /** The notebook is going away (deleted, moved, studio deleted): end its kernel. */
        void gone(LiveNotebook notebook, String why);

        /** The notebook was opened (it shows which kernels the machine offers). */
        default void opened(LiveNotebook notebook) {}

        /** The notebook was closed (nobody connected, no kernel). */
        default void closed(LiveNotebook notebook) {}

        Kernels NONE = new Kernels() {
            public boolean keepsOpen(LiveNotebook n) {
                return false;
            }

            public boolean isRunning(LiveNotebook n) {
                return false;
            }

            public void gone(LiveNotebook n, String why) {}
        };
    }

    private final KilnProperties properties;
    private final Workspaces workspaces;
    private final StudioAccess access;
    private final Clock clock;
    private final Map<String, Open> open = new ConcurrentHashMap<>();
    private volatile Kernels kernels = Kernels.NONE;
    private volatile LiveNotebook.KernelControl control = LiveNotebook.KernelControl.NONE;
    private final ScheduledExecutorService writer = Executors.newSingleThreadScheduledExecutor(
            Thread.ofPlatform().name("kiln-notebook-write-back").daemon().factory());
    /** Sends each cell's presence, coalesced, every {@link CollabRoom#PRESENCE_INTERVAL_MS} ms (as files do). */
    private final ScheduledExecutorService presence = Executors.newSingleThreadScheduledExecutor(
            Thread.ofPlatform().name("kiln-notebook-presence").daemon().factory());

    /** An open notebook and its pending work. */
    private final class Open {
        final LiveNotebook notebook;
        final Path dir;
        volatile String writtenBackBlob;
        ScheduledFuture<?> writeBack;
        Instant firstPending;
        ScheduledFuture<?> saveState;

        Open(LiveNotebook notebook, Path dir, String blob) {
            this.notebook = notebook;
            this.dir = dir;
            this.writtenBackBlob = blob;
        }
    }

    NotebookDocuments(KilnProperties properties, Workspaces workspaces, StudioAccess access, Clock clock) {
        this.properties = properties;
        this.workspaces = workspaces;
        this.access = access;
        this.clock = clock;
        presence.scheduleAtFixedRate(this::flushPresence, CollabRoom.PRESENCE_INTERVAL_MS, CollabRoom.PRESENCE_INTERVAL_MS,
                TimeUnit.MILLISECONDS);
    }

    private void flushPresence() {
        for (var entry : open.values()) {
            try {
                entry.notebook.flushPresence();
            } catch (RuntimeException e) {
                log.warn("Could not send the presence of a notebook's cells", e); // the next round tries again
            }
        }
    }

    /** The kernel service registers itself (it depends on this, not the other way round). */
    void kernels(Kernels kernels, LiveNotebook.KernelControl control) {
        this.kernels = kernels;
        this.control = control;
        open.values().forEach(o -> o.notebook.control(control));
    }

    /** A new connection to the notebook at {@code path}, opening it first if needed. */
    public synchronized NotebookConnection join(String studioId, String path, CollabRoom.Participant who, boolean mayRun,
                                                CollabRoom.Outbox outbox) {
        var notebook = notebook(studioId, path);
        return new NotebookConnection(notebook, who, mayRun, outbox);
    }

    /** The live notebook at {@code path}, opened from its state or its file if it is not open yet. */
    synchronized LiveNotebook notebook(String studioId, String path) {
        var existing = open.get(key(studioId, path));
        if (existing != null && !existing.notebook.isClosed()) {
            return existing.notebook;
        }
        var opened = load(studioId, path);
        open.put(key(studioId, path), opened);
        kernels.opened(opened.notebook);
        return opened.notebook;
    }

    /** The live notebook at {@code path} if it is open. */
    Optional<LiveNotebook> ifOpen(String studioId, String path) {
        var existing = open.get(key(studioId, path));
        return existing == null ? Optional.empty() : Optional.of(existing.notebook);
    }

    /** A connection ended: the last one out writes back, and closes the notebook unless its kernel lives. */
    public void left(NotebookConnection connection) {
        connection.onClose();
        closeIfUnused(connection.notebook());
    }

    /** Closes the notebook if nobody is connected and no kernel records into it. */
    synchronized void closeIfUnused(LiveNotebook notebook) {
        var entry = open.get(key(notebook.studioId, notebook.path));
        if (entry == null || entry.notebook != notebook || notebook.connectionCount() > 0 || kernels.keepsOpen(notebook)) {
            return;
        }
        open.remove(key(notebook.studioId, notebook.path));
        writeBackQuietly(entry);
        saveState(entry);
        notebook.close("closed", "This notebook was closed on the server; reopen it to continue.");
        kernels.closed(notebook);
    }

    /** The studio's open notebooks. */
    List<LiveNotebook> openOf(String studioId) {
        return open.values().stream().map(o -> o.notebook).filter(n -> n.studioId.equals(studioId)).toList();
    }

    public boolean isLive(String studioId, String path) {
        return open.containsKey(key(studioId, path));
    }

    public int openNotebooks() {
        return open.size();
    }

    // ---- opening ----

    private Open load(String studioId, String path) {
        Workspace workspace = workspaces.get(studioId);
        var file = workspace.read(path);
        if (file.binary()) {
            throw new StudioException(StudioException.Kind.INVALID, path + " is not a text file, so it is not a notebook.");
        }
        Notebook fromFile;
        try {
            fromFile = file.text().isBlank() ? Notebook.empty("java", "Java (JShell)", "java") : Nbformat.read(file.text());
        } catch (NotebookFormatException e) {
            throw new StudioException(StudioException.Kind.INVALID, path + " cannot be opened as a notebook. "
                    + e.getMessage() + " The file was not changed; open it as text to fix it.");
        }
        Path dir = storeDir(studioId, path);
        var state = readState(dir);
        Notebook notebook;
        int version = 0;
        Map<String, Long> accepted = Map.of();
        Map<String, CollabRoom.Participant> rebuild = Map.of();
        if (state != null && file.version().equals(state.path("blob").asString(null))) {
            // The file is as Kiln last wrote it: what happened since (outputs, unsaved structure) is in the state.
            notebook = Nbformat.read(state.path("notebook").asString());
            version = state.path("version").asInt();
            var map = new LinkedHashMap<String, Long>();
            state.path("accepted").properties().forEach(e -> map.put(e.getKey(), e.getValue().asLong()));
            accepted = map;
            rebuild = readRebuild(state.path("rebuild"));
            // Who lost their access while it was closed is not offered (an automatic re-run would run it for them).
            rebuild.values().removeIf(p -> p.role() != CollabRoom.Role.OWNER && p.userId() >= 0
                    && access.lookup(studioId, p.userId()).isEmpty());
        } else {
            // New, or changed outside Kiln while closed: the file is the truth.
            deleteTree(dir);
            notebook = fromFile;
        }
        notebook = restoreOutputs(workspace, path, notebook);
        Path cellsDir = dir.resolve("cells");
        var stores = new LiveNotebook.Stores() {
            @Override
            public DocumentStore open(String cellId) {
                return new FileDocumentStore(cellsDir.resolve(cellId));
            }

            @Override
            public void delete(String cellId) {
                deleteTree(cellsDir.resolve(cellId));
            }
        };
        var holder = new Open[1];
        var live = LiveNotebook.open(studioId, path, notebook, version, accepted, clock, stores,
                (nb, structure) -> changed(holder[0], structure));
        live.control(control);
        live.restoreRebuildOffer(rebuild);
        holder[0] = new Open(live, dir, file.version());
        saveState(holder[0]);
        return holder[0];
    }

    /** Puts back the large outputs stored beside the file ({@code <notebook>.outputs/}). */
    private static Notebook restoreOutputs(Workspace workspace, String path, Notebook notebook) {
        Path root = workspace.root();
        Path folder = root.resolve(dev.kiln.server.workspace.WorkspacePaths.check(OutputFiles.folder(path)));
        return OutputFiles.restore(notebook, name -> {
            try {
                Path stored = folder.resolve(name).normalize();
                // Only files inside the workspace (a symbolic link out of it is not followed).
                return stored.startsWith(folder) && Files.isRegularFile(stored)
                        && stored.toRealPath().startsWith(root) ? Files.readAllBytes(stored) : null;
            } catch (IOException e) {
                return null;
            }
        });
    }

    // ---- durability and write-back ----

    /** Called under the notebook's lock: schedules, never blocks (structure changes are saved at once). */
    private void changed(Open entry, boolean structure) {
        if (entry == null) {
            return; // while opening
        }
        synchronized (entry) {
            if (structure) {
                saveState(entry);
            } else if (entry.saveState == null || entry.saveState.isDone()) {
                entry.saveState = writer.schedule(() -> saveState(entry), STATE_DELAY_MS, TimeUnit.MILLISECONDS);
            }
            if (entry.firstPending == null) {
                entry.firstPending = clock.instant();
            }
            if (entry.writeBack != null) {
                entry.writeBack.cancel(false);
            }
            entry.writeBack = writer.schedule(() -> writeBackWhenDue(entry), WRITE_BACK_DELAY_MS, TimeUnit.MILLISECONDS);
        }
    }

    private void writeBackWhenDue(Open entry) {
        synchronized (entry) {
            boolean overdue = entry.firstPending != null
                    && clock.instant().isAfter(entry.firstPending.plusMillis(MAX_WRITE_BACK_DELAY_MS));
            if (kernels.isRunning(entry.notebook) && !overdue) {
                entry.writeBack = writer.schedule(() -> writeBackWhenDue(entry), WRITE_BACK_DELAY_MS, TimeUnit.MILLISECONDS);
                return;
            }
        }
        writeBackQuietly(entry);
    }

    private void writeBackQuietly(Open entry) {
        try {
            writeBack(entry);
        } catch (RuntimeException e) {
            log.error("Could not write notebook {} back to studio {}; it is safe in Kiln's notebook state", entry.notebook.path,
                    entry.notebook.studioId, e);
        }
    }

    /** Writes the notebook (and its large outputs beside it) into the workspace and commits, if anything changed. */
    private void writeBack(Open entry) {
        synchronized (entry) {
            if (entry.writeBack != null) {
                entry.writeBack.cancel(false);
                entry.writeBack = null;
            }
            entry.firstPending = null;
        }
        var notebook = entry.notebook;
        var written = OutputFiles.forFile(notebook.snapshot(), notebook.path);
        String text = Nbformat.write(written.notebook());
        if (Workspace.versionOf(text).equals(entry.writtenBackBlob)) {
            return;
        }
        var editors = notebook.takeEditors().stream().map(p -> new PersonIdent(p.name(), p.email())).distinct().toList();
        entry.writtenBackBlob = workspaces.get(notebook.studioId).writeBack(notebook.path, text,
                OutputFiles.folder(notebook.path), written.files(), editors);
        saveState(entry);
    }

    private void saveState(Open entry) {
        var notebook = entry.notebook;
        var state = Notebook.JSON.createObjectNode();
        state.put("blob", entry.writtenBackBlob);
        state.put("version", notebook.version());
        var accepted = state.putObject("accepted");
        notebook.acceptedOps().forEach(accepted::put);
        state.put("notebook", Nbformat.write(notebook.snapshot()));
        state.set("rebuild", rebuildJson(notebook.rebuildOffer()));
        try {
            Files.createDirectories(entry.dir);
            Path tmp = entry.dir.resolve("state.json.tmp");
            try (var channel = java.nio.channels.FileChannel.open(tmp, StandardOpenOption.CREATE,
                    StandardOpenOption.TRUNCATE_EXISTING, StandardOpenOption.WRITE)) {
                channel.write(java.nio.ByteBuffer.wrap(state.toString().getBytes(StandardCharsets.UTF_8)));
                channel.force(true);
            }
            try {
                Files.move(tmp, entry.dir.resolve("state.json"), StandardCopyOption.REPLACE_EXISTING,
                        StandardCopyOption.ATOMIC_MOVE);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(tmp, entry.dir.resolve("state.json"), StandardCopyOption.REPLACE_EXISTING);
            }
        } catch (IOException e) {
            log.error("Could not save the state of notebook {}", notebook.path, e);
        }
    }

    /** The re-run offer as saved: the cells in order, each with who ran it (an automatic re-run runs it for them). */
    static tools.jackson.databind.node.ArrayNode rebuildJson(Map<String, CollabRoom.Participant> offer) {
        var list = Notebook.JSON.createArrayNode();
        offer.forEach((cell, by) -> {
            var entry = list.addObject();
            entry.put("cell", cell);
            var who = entry.putObject("by");
            who.put("userId", by.userId());
            who.put("name", by.name());
            who.put("email", by.email());
            who.put("colour", by.colour());
            who.put("role", by.role().name());
        });
        return list;
    }

    static Map<String, CollabRoom.Participant> readRebuild(tools.jackson.databind.JsonNode saved) {
        var offer = new LinkedHashMap<String, CollabRoom.Participant>();
        for (var entry : saved) {
            var by = entry.path("by");
            try {
                offer.put(entry.path("cell").asString(), new CollabRoom.Participant(by.path("userId").asLong(),
                        by.path("name").asString(""), by.path("email").asString(""), by.path("colour").asString(""),
                        CollabRoom.Role.valueOf(by.path("role").asString("EDITOR"))));
            } catch (RuntimeException e) {
                log.warn("Ignoring an unreadable entry of a notebook's re-run offer: {}",
                        dev.kiln.server.config.LogText.clean(entry.toString()));
            }
        }
        return offer;
    }

    private static ObjectNode readState(Path dir) {
        Path file = dir.resolve("state.json");
        if (!Files.isRegularFile(file)) {
            return null;
        }
        try {
            var node = Notebook.JSON.readTree(Files.readString(file));
            return node != null && node.isObject() ? (ObjectNode) node : null;
        } catch (IOException | RuntimeException e) {
            log.warn("Ignoring an unreadable notebook state in {}", dir, e);
            return null;
        }
    }

    // ---- what the studio's file operations need (see LiveFiles) ----

    /** The notebook's file as it would be written now, and its version (for a save's conflict check). */
    String currentVersion(String studioId, String path) {
        var entry = open.get(key(studioId, path));
        return entry == null ? null
                : Workspace.versionOf(Nbformat.write(OutputFiles.forFile(entry.notebook.snapshot(), path).notebook()));
    }

    /**
     * The file was saved or restored while the notebook is live: its cells, sources and outputs replace the live
     * ones, as changes everyone connected sees. A text that is not a notebook is refused and nothing changes.
     */
    Optional<String> replaceIfLive(String studioId, String path, String text, String baseVersion, PersonIdent editor) {
        var entry = open.get(key(studioId, path));
        if (entry == null) {
            return Optional.empty();
        }
        Notebook replacement;
        try {
            replacement = Nbformat.read(text);
        } catch (NotebookFormatException e) {
            throw new StudioException(StudioException.Kind.INVALID, "Not saved: " + e.getMessage());
        }
        if (baseVersion != null && !baseVersion.equals(currentVersion(studioId, path))) {
            throw new StudioException(StudioException.Kind.CONFLICT, path + " changed since you opened it (it is open "
                    + "as a notebook). Reload it to see the newer version, or save yours over it.");
        }
        entry.notebook.replaceWith(replacement, editor.getName());
        writeBack(entry);
        return Optional.of(entry.writtenBackBlob);
    }

    /**
     * The file was changed on the machine while the notebook is live: the change is merged into it cell by cell (see
     * {@link LiveNotebook#mergeFrom}), then written back. {@code base}: the file as the machine had it before (null:
     * unknown). A text that is not a notebook is refused, and the live notebook stays as it was.
     */
    Optional<String> mergeIfLive(String studioId, String path, String base, String text, PersonIdent author) {
        var entry = open.get(key(studioId, path));
        if (entry == null) {
            return Optional.empty();
        }
        Notebook theirs;
        try {
            theirs = Nbformat.read(text);
        } catch (NotebookFormatException e) {
            throw new StudioException(StudioException.Kind.INVALID, "The machine's change of " + path + " is not a "
                    + "notebook (" + e.getMessage() + "); the notebook open in Kiln was kept as it was.");
        }
        var workspace = workspaces.get(studioId);
        if (!Nbformat.namesEveryCell(text)) {
            // Cells without ids (an nbformat 4.4 file pulled in) cannot be matched to the live ones: taken whole.
            entry.notebook.replaceWith(restoreOutputs(workspace, path, theirs), author.getName());
            writeBack(entry);
            return Optional.of(entry.writtenBackBlob);
        }
        Notebook before = null;
        if (base != null && Nbformat.namesEveryCell(base)) {
            try {
                before = Nbformat.read(base);
            } catch (NotebookFormatException e) {
                before = null; // the machine's earlier version was not a notebook: as if unknown
            }
        }
        entry.notebook.mergeFrom(before == null ? null : restoreOutputs(workspace, path, before),
                restoreOutputs(workspace, path, theirs), author.getName());
        writeBack(entry);
        return Optional.of(entry.writtenBackBlob);
    }

    void commitNow(String studioId, String path) {
        var entry = open.get(key(studioId, path));
        if (entry != null) {
            writeBack(entry);
        }
    }

    /** Writes back and closes the notebooks at or under {@code path} (moving or going away); their kernels end. */
    synchronized void closeUnder(String studioId, String path, String why) {
        for (var entry : List.copyOf(open.values())) {
            var notebook = entry.notebook;
            if (notebook.studioId.equals(studioId) && (notebook.path.equals(path) || notebook.path.startsWith(path + "/"))) {
                open.remove(key(studioId, notebook.path));
                writeBackQuietly(entry);
                kernels.gone(notebook, notebook.path + " was " + why);
                notebook.close("closed", notebook.path + " was " + why + ".");
                deleteTree(entry.dir);
            }
        }
    }

    @Override
    public java.util.Set<String> liveStudios() {
        return open.values().stream().map(entry -> entry.notebook.studioId)
                .collect(java.util.stream.Collectors.toSet());
    }

    @Override
    public void release(String studioId) {
        closeStudio(studioId);
    }

    synchronized void closeStudio(String studioId) {
        for (var entry : List.copyOf(open.values())) {
            if (entry.notebook.studioId.equals(studioId)) {
                open.remove(key(studioId, entry.notebook.path));
                kernels.gone(entry.notebook, "the studio was deleted");
                entry.notebook.close("closed", "The studio was deleted.");
            }
        }
    }

    /** A share link was revoked: its people's notebook connections end now. */
    @EventListener
    void revoked(AccessRevoked event) {
        for (var entry : open.values()) {
            if (entry.notebook.studioId.equals(event.studioId())) {
                entry.notebook.disconnect(p -> event.userIds().contains(p.userId()), "revoked",
                        "Your access to this studio was revoked by its owner.");
            }
        }
    }

    @EventListener
    void sessionsEnded(dev.kiln.server.security.SessionsEnded event) {
        for (var entry : open.values()) {
            entry.notebook.disconnect(p -> p.userId() == event.userId(), "revoked", event.message());
        }
    }

    /** Every few seconds: drop silent participants, and end connections whose access lapsed (an expired link). */
    @Scheduled(fixedDelay = 5000)
    void sweep() {
        for (var entry : open.values()) {
            var notebook = entry.notebook;
            for (var cell : notebook.visibleCells()) {
                var room = notebook.room(cell.id());
                if (room != null) {
                    room.expirePresence();
                }
            }
            notebook.disconnect(p -> p.role() != CollabRoom.Role.OWNER && p.userId() >= 0
                    && access.lookup(notebook.studioId, p.userId()).isEmpty(), "revoked", "Your access to this studio has ended.");
        }
    }

    @PreDestroy
    synchronized void shutdown() {
        for (var entry : List.copyOf(open.values())) {
            writeBackQuietly(entry);
            saveState(entry);
            entry.notebook.close("closed", "Kiln is restarting; the notebook reconnects by itself.");
        }
        open.clear();
        writer.shutdown();
        presence.shutdown();
    }

    private Path storeDir(String studioId, String path) {
        return properties.dataDir().resolve("notebooks").resolve(studioId).resolve(hash(path));
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

    private static void deleteTree(Path dir) {
        if (!Files.exists(dir)) {
            return;
        }
        try (var walk = Files.walk(dir)) {
            for (var p : walk.sorted(java.util.Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("Could not remove " + dir, e);
        }
    }

    /** For tests: the names of the open notebooks' paths. */
    List<String> openPaths() {
        var list = new ArrayList<String>();
        open.values().forEach(o -> list.add(o.notebook.path));
        return list;
    }
}
