package dev.kiln.server.notebook;

import dev.kiln.collab.CollabRoom;
import dev.kiln.collab.DocumentAuthority;
import dev.kiln.collab.DocumentStore;
import dev.kiln.server.notebook.Notebook.Cell;
import dev.kiln.server.notebook.Notebook.CellType;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.node.ObjectNode;

import java.time.Clock;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArraySet;

/**
 * One notebook open on the server: the list of cells ({@link CellList}, changed by structure ops from anyone), each
 * cell's source as a document of the collaboration authority (one {@link CollabRoom} per cell, edited with the same
 * protocol as files), and each code cell's outputs, execution count and latest run, which the server records as the
 * kernel produces them whether or not any browser is connected. Everyone connected gets every change, in one order:
 * every change and every broadcast happens under this object's lock, and a newcomer's snapshot is taken under it
 * too, so a browser that opens the notebook mid-run sees what was produced until then and then exactly the rest.
 * Transport-agnostic (see {@link NotebookConnection}); the wire is in notebook PROTOCOL.md.
 */
final class LiveNotebook {
    /**
     * Characters one stream output keeps; the rest is said to be on the machine (its agent kept all of it). A little
     * over the agent's own cap (1,000,000), so that the agent's note saying where the rest is fits in.
     */
    static final int MAX_STREAM_CHARS = 1_001_000;
    /** Outputs one cell keeps (a loop of displays); the first ones stay. */
    static final int MAX_OUTPUTS = 2_000;

    /** Where cell sources are kept: durably on the server, or in memory for tests. */
    interface Stores {
        DocumentStore open(String cellId);

        void delete(String cellId);
    }

    /** Told about changes, under the lock: must only schedule work (write-back, saving state). */
    interface Changes {
        void changed(LiveNotebook notebook, boolean structure);
    }

    /** What the notebook asks of its kernel (the server's kernel service); a connection's requests go here. */
    interface KernelControl {
        void run(LiveNotebook notebook, List<String> cellIds, CollabRoom.Participant who);

        void interrupt(LiveNotebook notebook, CollabRoom.Participant who);

        void restart(LiveNotebook notebook, CollabRoom.Participant who);

        void select(LiveNotebook notebook, String spec, CollabRoom.Participant who);

        void complete(LiveNotebook notebook, NotebookConnection asking, String request, String code, int cursor);

        /** The documentation of what is at {@code cursor}; answered to {@code asking} alone, as documentation. */
        void inspect(LiveNotebook notebook, NotebookConnection asking, String request, String code, int cursor);

        /** Re-runs the cells a lost kernel had run, in order (or, {@code dismiss}, drops that offer). */
        void rebuild(LiveNotebook notebook, CollabRoom.Participant who, boolean dismiss);

        KernelControl NONE = new KernelControl() {
            public void run(LiveNotebook n, List<String> c, CollabRoom.Participant w) {}

            public void interrupt(LiveNotebook n, CollabRoom.Participant w) {}

            public void restart(LiveNotebook n, CollabRoom.Participant w) {}

            public void select(LiveNotebook n, String s, CollabRoom.Participant w) {}

            public void complete(LiveNotebook n, NotebookConnection a, String r, String c, int p) {}

            public void inspect(LiveNotebook n, NotebookConnection a, String r, String c, int p) {}

            public void rebuild(LiveNotebook n, CollabRoom.Participant w, boolean d) {}
        };
    }

    /** One live cell: its source's room, and what its latest run produced. */
    static final class LiveCell {
        final String id;
        final CollabRoom room;
        List<ObjectNode> outputs = new ArrayList<>();
        Integer executionCount;
        ObjectNode metadata;
        ObjectNode attachments;
        RunState run;
        /** clear_output(wait=True): the outputs go when the next one comes. */
        boolean clearOnNext;
        /** Stream characters dropped past the cap, per stream name. */
        final Map<String, Long> capped = new LinkedHashMap<>();

        LiveCell(String id, CollabRoom room) {
            this.id = id;
            this.room = room;
        }

        String source() {
            return room.authority().text();
        }
    }

    final String studioId;
    final String path;
    private final Clock clock;
    private final Stores stores;
    private final Changes changes;
    private volatile KernelControl kernelControl = KernelControl.NONE;
    private final CellList cells;
    private int version;
    private final Map<String, Long> accepted = new LinkedHashMap<>();
    private final Map<String, LiveCell> live = new LinkedHashMap<>();
    private ObjectNode metadata;
    private KernelView kernel = KernelView.none(List.of());
    /**
     * The cells a lost kernel had run and who ran each, offered to run again in that order on the next machine (empty:
     * no offer). Saved with the notebook's state, so it outlives the notebook closing and the server restarting.
     */
    private Map<String, CollabRoom.Participant> rebuild = Map.of();
    private final Set<NotebookConnection> connections = new CopyOnWriteArraySet<>();
    /** Which cell each connected person is in (their cursor shows there), by client id. */
    private final Map<String, ObjectNode> focus = new LinkedHashMap<>();
    /** Who each collab client id is (for commit credits), and who edited since the last write-back. */
    private final Map<String, CollabRoom.Participant> byClient = new ConcurrentHashMap<>();
    private final Set<CollabRoom.Participant> editorsSinceWriteBack = ConcurrentHashMap.newKeySet();
    private boolean closed;

    private LiveNotebook(String studioId, String path, Clock clock, Stores stores, Changes changes, ObjectNode metadata,
                         int version) {
        this.studioId = studioId;
        this.path = path;
        this.clock = clock;
        this.stores = stores;
        this.changes = changes;
        this.metadata = metadata;
        this.version = version;
        this.cells = new CellList();
    }

    /**
     * A live notebook of {@code notebook}'s cells. A cell whose store already holds a document (edits acknowledged
     * before a restart) keeps that text; {@code accepted}: structure ops already applied per client (see PROTOCOL).
     */
    static LiveNotebook open(String studioId, String path, Notebook notebook, int version, Map<String, Long> accepted,
                             Clock clock, Stores stores, Changes changes) {
        var live = new LiveNotebook(studioId, path, clock, stores, changes, notebook.metadata().deepCopy(), version);
        live.accepted.putAll(accepted);
        String after = null;
        for (Cell cell : notebook.cells()) {
            live.cells.apply(new StructureOp.Insert(cell.id(), cell.type(), after, cell.source()));
            var state = live.newCell(cell.id(), cell.source());
            state.outputs = new ArrayList<>(cell.outputs());
            state.executionCount = cell.executionCount();
            state.metadata = cell.metadata().deepCopy();
            state.attachments = cell.attachments();
            after = cell.id();
        }
        return live;
    }

    private LiveCell newCell(String id, String source) {
        var authority = DocumentAuthority.open(stores.open(id), DocumentAuthority.Limits.DEFAULT, clock, source, null);
        authority.addListener((from, updates) -> {
            for (var update : updates) {
                var who = byClient.get(update.clientId());
                if (who != null) {
                    editorsSinceWriteBack.add(who);
                }
            }
            changes.changed(this, false);
        });
        var cell = new LiveCell(id, new CollabRoom(authority, CollabRoom.ConnectionLimits.DEFAULT));
        cell.metadata = Notebook.JSON.createObjectNode();
        live.put(id, cell);
        return cell;
    }

    void control(KernelControl control) {
        this.kernelControl = control;
    }

    KernelControl kernelControl() {
        return kernelControl;
    }

    // ---- connections ----

    /** Adds a connection and sends it the whole notebook, then the cells' sources (one collab welcome per cell). */
    synchronized void join(NotebookConnection connection, Map<String, Integer> cellVersions) {
        if (closed) {
            connection.end("closed", "This notebook was closed on the server; reopen it to continue.");
            return;
        }
        byClient.put(connection.clientId(), connection.participant());
        var welcome = Notebook.JSON.createObjectNode();
        welcome.put("type", "welcome");
        welcome.put("role", connection.participant().role().wireName());
        welcome.put("mayRun", connection.mayRun());
        welcome.put("name", connection.participant().name());
        welcome.put("colour", connection.participant().colour());
        welcome.put("version", version);
        welcome.put("accepted", accepted.getOrDefault(connection.clientId(), 0L));
        var list = welcome.putArray("cells");
        // Deleted cells too (as tombstones): the client's list must be exactly the server's, so that an op placing a
        // cell after one deleted meanwhile lands in the same place on both.
        for (var entry : cells.all()) {
            var node = list.addObject();
            node.put("id", entry.id());
            node.put("type", entry.type().wireName());
            if (entry.deleted()) {
                node.put("deleted", true);
                continue;
            }
            var cell = live.get(entry.id());
            node.set("outputs", outputsJson(cell));
            if (cell.executionCount != null) {
                node.put("executionCount", cell.executionCount);
            }
            if (cell.run != null) {
                node.set("run", cell.run.toJson());
            }
        }
        welcome.set("kernel", kernel.toJson());
        var offered = welcome.putArray("rebuild");
        rebuild.keySet().forEach(offered::add);
        welcome.set("metadata", metadata.deepCopy());
        var people = welcome.putArray("focus");
        focus.values().forEach(people::add);
        connection.send(welcome);
        connections.add(connection);
        for (var entry : cells.visible()) {
            connection.joinCell(live.get(entry.id()).room, entry.id(), cellVersions.get(entry.id()));
        }
    }

    void left(NotebookConnection connection) {
        connections.remove(connection);
        synchronized (this) {
            if (connection.clientId() != null && focus.containsKey(connection.clientId()) && !closed) {
                focus(connection, null);
            }
        }
    }

    /** Someone moved into a cell (null: out of every cell); everyone sees who is where. */
    synchronized void focus(NotebookConnection connection, String cellId) {
        var node = Notebook.JSON.createObjectNode();
        node.put("clientId", connection.clientId());
        node.put("name", connection.participant().name());
        node.put("colour", connection.participant().colour());
        node.put("cell", cellId);
        if (cellId == null) {
            focus.remove(connection.clientId());
        } else {
            focus.put(connection.clientId(), node);
        }
        var message = node.deepCopy();
        message.put("type", "focus");
        broadcast(message);
    }

    /** Sends what changed in each cell's presence (the rooms coalesce it); outside this lock, as rooms lock alone. */
    void flushPresence() {
        List<CollabRoom> rooms;
        synchronized (this) {
            if (closed) {
                return;
            }
            rooms = live.values().stream().map(c -> c.room).toList();
        }
        rooms.forEach(CollabRoom::flushPresence);
    }

    int connectionCount() {
        return connections.size();
    }

    List<NotebookConnection> connections() {
        return List.copyOf(connections);
    }

    // ---- structure ----

    /**
     * Applies a structure op from {@code from} (its {@code seq}-th; a repeated one is ignored) and tells everyone,
     * the sender included, with the new version. Cells that appear get a source document; cells that go lose theirs.
     */
    synchronized void structure(NotebookConnection from, long seq, StructureOp op) {
        if (closed) {
            return;
        }
        long done = accepted.getOrDefault(from.clientId(), 0L);
        if (seq <= done) {
            return; // sent again after a reconnect; it already landed
        }
        accepted.put(from.clientId(), seq);
        apply(op, from.clientId(), seq);
    }

    /** An op of the server's own (replacing the notebook from a file, a restore). */
    synchronized void structureByServer(StructureOp op) {
        apply(op, "kiln-server", 0);
    }

    private void apply(StructureOp op, String clientId, long seq) {
        boolean changed = cells.apply(op);
        version++;
        var message = Notebook.JSON.createObjectNode();
        message.put("type", "structure");
        message.put("version", version);
        message.put("clientId", clientId);
        message.put("seq", seq);
        message.set("op", op.toJson());
        broadcast(message);
        if (!changed) {
            changes.changed(this, true);
            return;
        }
        switch (op) {
            case StructureOp.Insert insert -> {
                var cell = newCell(insert.cell(), insert.source());
                for (var connection : connections) {
                    connection.joinCell(cell.room, insert.cell(), null);
                }
            }
            case StructureOp.Delete delete -> {
                var cell = live.remove(delete.cell());
                if (cell != null) {
                    for (var connection : connections) {
                        connection.leaveCell(delete.cell());
                    }
                    cell.room.close();
                    stores.delete(delete.cell());
                }
            }
            case StructureOp.SetType set -> {
                var cell = live.get(set.cell());
                if (cell != null && set.type() != CellType.CODE && (!cell.outputs.isEmpty() || cell.executionCount != null)) {
                    // As Jupyter does: a cell that is no longer code has no outputs.
                    cell.outputs = new ArrayList<>();
                    cell.executionCount = null;
                    sendOutputs(cell);
                }
            }
            case StructureOp.Move ignored -> { }
        }
        changes.changed(this, true);
    }

    synchronized int version() {
        return version;
    }

    synchronized List<CellList.Entry> visibleCells() {
        return cells.visible();
    }

    synchronized CellList cellList() {
        return cells.copy();
    }

    synchronized Map<String, Long> acceptedOps() {
        return Map.copyOf(accepted);
    }

    synchronized boolean isCode(String cellId) {
        return cells.isLive(cellId) && cells.typeOf(cellId) == CellType.CODE;
    }

    /** The cell's source now (what a run sends to the kernel), or null when it is gone. */
    synchronized String source(String cellId) {
        var cell = live.get(cellId);
        return cell == null ? null : cell.source();
    }

    /** The room of a live cell (for a connection's collab messages), or null. */
    synchronized CollabRoom room(String cellId) {
        var cell = live.get(cellId);
        return cell == null ? null : cell.room;
    }

    // ---- outputs, runs and the kernel ----

    /** A run of the cell starts: its old outputs go (as in Jupyter), and the run is shown as running. */
    synchronized void runStarted(String cellId, RunState run) {
        var cell = live.get(cellId);
        if (cell == null) {
            return;
        }
        cell.outputs = new ArrayList<>();
        cell.capped.clear();
        cell.clearOnNext = false;
        cell.run = run;
        sendOutputs(cell);
        sendRun(cell);
        changes.changed(this, false);
    }

    synchronized void runState(String cellId, RunState run) {
        var cell = live.get(cellId);
        if (cell == null) {
            return;
        }
        cell.run = run;
        if (run.state().ended() && run.executionCount() != null) {
            cell.executionCount = run.executionCount();
            for (var output : cell.outputs) {
                if ("execute_result".equals(output.path("output_type").asString())) {
                    output.put("execution_count", run.executionCount());
                }
            }
        }
        if (run.state().ended() && run.startedAt() != null) {
            var execution = Notebook.JSON.createObjectNode();
            execution.put("iopub.execute_input", run.startedAt().toString());
            execution.put("shell.execute_reply", run.endedAt().toString());
            cell.metadata.set("execution", execution);
            cell.metadata.putObject("kiln").put("ranBy", run.by());
        }
        sendRun(cell);
        changes.changed(this, run.state().ended());
    }

    synchronized RunState run(String cellId) {
        var cell = live.get(cellId);
        return cell == null ? null : cell.run;
    }

    /**
     * Stream text for a cell: appended to its last output when that is the same stream (as Jupyter merges them), up
     * to {@value #MAX_STREAM_CHARS} characters an output; {@code onMachine} says where the rest is.
     */
    synchronized void stream(String cellId, String name, String text, String onMachine) {
        var cell = live.get(cellId);
        if (cell == null || text.isEmpty()) {
            return;
        }
        takeWaitingClear(cell);
        var last = cell.outputs.isEmpty() ? null : cell.outputs.getLast();
        if (last != null && "stream".equals(last.path("output_type").asString()) && name.equals(last.path("name").asString())) {
            String before = last.path("text").asString();
            int room = MAX_STREAM_CHARS - before.length();
            if (room <= 0) {
                cell.capped.merge(name, (long) text.length(), Long::sum);
                return;
            }
            String kept = text.length() > room ? text.substring(0, room) : text;
            if (kept.length() < text.length()) {
                cell.capped.merge(name, (long) (text.length() - kept.length()), Long::sum);
                kept += "\n[Kiln: output capped at " + MAX_STREAM_CHARS + " characters here"
                        + (onMachine == null ? "" : "; all of it is on the machine in " + onMachine) + "]\n";
            }
            last.put("text", before + kept);
            var message = Notebook.JSON.createObjectNode();
            message.put("type", "stream");
            message.put("cell", cellId);
            message.put("index", cell.outputs.size() - 1);
            message.put("text", kept);
            broadcast(message);
        } else {
            var output = Notebook.JSON.createObjectNode();
            output.put("output_type", "stream");
            output.put("name", name);
            output.put("text", "");
            if (!add(cell, output)) {
                return;
            }
            stream(cellId, name, text, onMachine);
            return;
        }
        changes.changed(this, false);
    }

    /**
     * A rich output (display_data, execute_result, error). A display with an id that is already shown somewhere in
     * the notebook is an update when {@code update} (update_display_data): every output with that id changes in
     * place, wherever it is; otherwise it is added to the cell.
     */
    synchronized void output(String cellId, ObjectNode output, boolean update) {
        String displayId = output.path("transient").path("display_id").asString(null);
        if (update) {
            if (displayId == null) {
                return;
            }
            for (var cell : live.values()) {
                for (int i = 0; i < cell.outputs.size(); i++) {
                    var existing = cell.outputs.get(i);
                    if (displayId.equals(existing.path("transient").path("display_id").asString(null))) {
                        var replaced = existing.deepCopy();
                        replaced.set("data", output.path("data").deepCopy());
                        replaced.set("metadata", output.path("metadata").isObject() ? output.get("metadata").deepCopy()
                                : Notebook.JSON.createObjectNode());
                        cell.outputs.set(i, replaced);
                        var message = Notebook.JSON.createObjectNode();
                        message.put("type", "replace");
                        message.put("cell", cell.id);
                        message.put("index", i);
                        message.set("output", replaced);
                        broadcast(message);
                    }
                }
            }
            changes.changed(this, false);
            return;
        }
        var cell = live.get(cellId);
        if (cell == null) {
            return;
        }
        takeWaitingClear(cell);
        add(cell, output);
        changes.changed(this, false);
    }

    /** clear_output: now, or ({@code wait}) when the next output of the cell arrives, so a display does not flicker. */
    synchronized void clear(String cellId, boolean wait) {
        var cell = live.get(cellId);
        if (cell == null) {
            return;
        }
        if (wait) {
            cell.clearOnNext = true;
            return;
        }
        cell.outputs = new ArrayList<>();
        sendOutputs(cell);
        changes.changed(this, false);
    }

    /** Removes the outputs of these cells (the toolbar's "clear outputs"). */
    synchronized void clearOutputs(List<String> cellIds) {
        for (String id : cellIds) {
            var cell = live.get(id);
            if (cell != null && (!cell.outputs.isEmpty() || cell.executionCount != null)) {
                cell.outputs = new ArrayList<>();
                cell.executionCount = null;
                cell.run = null;
                sendOutputs(cell);
                sendRun(cell);
            }
        }
        changes.changed(this, false);
    }

    private void takeWaitingClear(LiveCell cell) {
        if (cell.clearOnNext) {
            cell.clearOnNext = false;
            cell.outputs = new ArrayList<>();
            sendOutputs(cell);
        }
    }

    private boolean add(LiveCell cell, ObjectNode output) {
        if (cell.outputs.size() >= MAX_OUTPUTS) {
            return false;
        }
        cell.outputs.add(output);
        var message = Notebook.JSON.createObjectNode();
        message.put("type", "output");
        message.put("cell", cell.id);
        message.put("index", cell.outputs.size() - 1);
        message.set("output", output);
        broadcast(message);
        return true;
    }

    synchronized void kernel(KernelView view) {
        this.kernel = view;
        var message = Notebook.JSON.createObjectNode();
        message.put("type", "kernel");
        message.set("kernel", view.toJson());
        broadcast(message);
    }

    synchronized KernelView kernel() {
        return kernel;
    }

    /** Offers everyone to re-run these cells, in order, each for who ran it (empty withdraws the offer); saved at once. */
    synchronized void rebuildOffer(Map<String, CollabRoom.Participant> cells) {
        if (cells.equals(rebuild)) {
            return;
        }
        rebuild = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(cells));
        var message = Notebook.JSON.createObjectNode();
        message.put("type", "rebuild");
        var list = message.putArray("cells");
        rebuild.keySet().forEach(list::add);
        broadcast(message);
        changes.changed(this, true);
    }

    /** The offer saved with the notebook's state, put back as it opens (before anyone is connected). */
    synchronized void restoreRebuildOffer(Map<String, CollabRoom.Participant> cells) {
        rebuild = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(cells));
    }

    synchronized Map<String, CollabRoom.Participant> rebuildOffer() {
        return rebuild;
    }

    /** The kernel the notebook was run with: kept in the file's metadata, as Jupyter does. */
    synchronized void kernelspec(KernelView.Spec spec) {
        var node = metadata.putObject("kernelspec");
        node.put("name", spec.name());
        node.put("display_name", spec.displayName());
        node.put("language", spec.language());
        metadata.putObject("language_info").put("name", spec.language());
        changes.changed(this, false);
    }

    synchronized String kernelspecName() {
        var name = metadata.path("kernelspec").path("name");
        return name.isString() ? name.asString() : null;
    }

    /** Sends a message to one connection under the lock, in order with everything else (a completion reply). */
    synchronized void sendTo(NotebookConnection connection, ObjectNode message) {
        connection.send(message);
    }

    /**
     * Makes the live notebook equal to {@code replacement} (a save of the whole file, a restore) through the same
     * changes people make: structure ops, source edits and new outputs, which everyone connected sees.
     */
    synchronized void replaceWith(Notebook replacement, String by) {
        var wanted = new java.util.LinkedHashSet<String>();
        replacement.cells().forEach(c -> wanted.add(c.id()));
        for (var entry : cells.visible()) {
            if (!wanted.contains(entry.id())) {
                structureByServer(new StructureOp.Delete(entry.id()));
            }
        }
        String after = null;
        for (Cell cell : replacement.cells()) {
            String id = cell.id();
            if (!cells.isLive(id)) {
                if (cells.typeOf(id) != null) {
                    id = Nbformat.newCellId(); // the id of a cell deleted earlier in this session
                }
                structureByServer(new StructureOp.Insert(id, cell.type(), after, cell.source()));
            } else {
                var visible = cells.visible();
                int at = visible.indexOf(visible.stream().filter(e -> e.id().equals(cell.id())).findFirst().orElseThrow());
                String before = at == 0 ? null : visible.get(at - 1).id();
                if (!java.util.Objects.equals(before, after)) {
                    structureByServer(new StructureOp.Move(id, after));
                }
                if (cells.typeOf(id) != cell.type()) {
                    structureByServer(new StructureOp.SetType(id, cell.type()));
                }
                var authority = live.get(id).room.authority();
                synchronized (authority) {
                    String now = authority.text();
                    String target = dev.kiln.collab.ChangeSet.normalizeLineBreaks(cell.source());
                    if (!now.equals(target)) {
                        authority.push(authority.version(), List.of(new dev.kiln.collab.Update(
                                dev.kiln.collab.TextDiff.between(now, target), "kiln-server")));
                    }
                }
            }
            var state = live.get(id);
            state.outputs = new ArrayList<>(cell.outputs());
            state.executionCount = cell.executionCount();
            state.metadata = cell.metadata().deepCopy();
            state.attachments = cell.attachments();
            state.run = null;
            sendOutputs(state);
            sendRun(state);
            after = id;
        }
        metadata = replacement.metadata().deepCopy();
        changes.changed(this, true);
    }

    /**
     * A change made outside Kiln's editors (on the machine: {@code git pull}, {@code sed}, a script) merged into the live
     * notebook cell by cell, by cell id: what the machine changed from {@code base} to {@code theirs} (cells added,
     * deleted, moved or retyped, a source's lines, a cell's outputs) is applied over what people did meanwhile, as
     * changes everyone connected sees, so typing not yet written back stays, and so do cells nobody on the machine
     * touched, with their outputs and runs. {@code base} null (unknown): the machine's version of every cell wins where
     * it differs, as a save of the whole file would.
     */
    synchronized void mergeFrom(Notebook base, Notebook theirs, String by) {
        var before = new LinkedHashMap<String, Cell>();
        if (base != null) {
            base.cells().forEach(c -> before.put(c.id(), c));
        }
        var wanted = new LinkedHashMap<String, Cell>();
        theirs.cells().forEach(c -> wanted.put(c.id(), c));
        for (var entry : cells.visible()) {
            // Deleted on the machine; a cell someone added here since (not in base) stays, unless base is unknown.
            if (!wanted.containsKey(entry.id()) && (base == null || before.containsKey(entry.id()))) {
                structureByServer(new StructureOp.Delete(entry.id()));
            }
        }
        var basePrevious = previousAmong(base == null ? List.of() : base.cells(), wanted.keySet());
        var theirPrevious = previousAmong(theirs.cells(), before.keySet());
        String after = null;
        for (Cell cell : theirs.cells()) {
            Cell was = before.get(cell.id());
            String id = cell.id();
            if (!cells.isLive(id)) {
                if (was != null) {
                    continue; // deleted here since the machine's version: that delete stands
                }
                if (cells.typeOf(id) != null) {
                    id = Nbformat.newCellId(); // the id of a cell deleted earlier in this session
                }
                structureByServer(new StructureOp.Insert(id, cell.type(), after, cell.source()));
                takeOutputs(live.get(id), cell);
                after = id;
                continue;
            }
            boolean moved = was == null || !java.util.Objects.equals(basePrevious.get(id), theirPrevious.get(id));
            if (moved && !java.util.Objects.equals(previousVisible(id), after)) {
                structureByServer(new StructureOp.Move(id, after));
            }
            if (was == null ? cells.typeOf(id) != cell.type() : was.type() != cell.type()) {
                structureByServer(new StructureOp.SetType(id, cell.type()));
            }
            var state = live.get(id);
            var authority = state.room.authority();
            synchronized (authority) {
                String now = authority.text();
                String from = was == null ? now : dev.kiln.collab.ChangeSet.normalizeLineBreaks(was.source());
                // The machine's lines, rebased over what people typed since the version the machine started from.
                var change = dev.kiln.collab.LineDiff.between(from,
                        dev.kiln.collab.ChangeSet.normalizeLineBreaks(cell.source()))
                        .map(dev.kiln.collab.LineDiff.between(from, now));
                if (!change.isEmpty()) {
                    authority.push(authority.version(), List.of(new dev.kiln.collab.Update(change, "kiln-machine")));
                }
            }
            if (was == null ? !state.outputs.equals(cell.outputs()) : !was.outputs().equals(cell.outputs())) {
                takeOutputs(state, cell);
            }
            after = id;
        }
        changes.changed(this, true);
    }

    /** For each cell, the cell before it in {@code order} counting only cells in {@code among} (null: first). */
    private static Map<String, String> previousAmong(List<Cell> order, java.util.Set<String> among) {
        var previous = new java.util.HashMap<String, String>();
        String last = null;
        for (Cell cell : order) {
            if (among.contains(cell.id())) {
                previous.put(cell.id(), last);
                last = cell.id();
            }
        }
        return previous;
    }

    private String previousVisible(String id) {
        String last = null;
        for (var entry : cells.visible()) {
            if (entry.id().equals(id)) {
                return last;
            }
            last = entry.id();
        }
        return last;
    }

    private void takeOutputs(LiveCell state, Cell cell) {
        state.outputs = new ArrayList<>(cell.outputs());
        state.executionCount = cell.executionCount();
        sendOutputs(state);
    }

    // ---- the file ----

    /** The notebook as it is now, for the file: sources from their documents, outputs as recorded. */
    synchronized Notebook snapshot() {
        var list = new ArrayList<Cell>();
        for (var entry : cells.visible()) {
            var cell = live.get(entry.id());
            list.add(new Cell(entry.id(), entry.type(), cell.source(), cell.metadata.deepCopy(),
                    entry.type() == CellType.CODE ? cell.outputs.stream().map(ObjectNode::deepCopy).toList() : List.of(),
                    entry.type() == CellType.CODE ? cell.executionCount : null, cell.attachments));
        }
        return new Notebook(metadata.deepCopy(), list);
    }

    /** Who edited sources since the last write-back (the commit's author and co-authors); clears the list. */
    List<CollabRoom.Participant> takeEditors() {
        var list = new ArrayList<>(editorsSinceWriteBack);
        editorsSinceWriteBack.removeAll(list);
        return list;
    }

    /** Ends every connection with a reason, and closes every cell's document. */
    synchronized void close(String type, String message) {
        if (closed) {
            return;
        }
        closed = true;
        for (var connection : connections) {
            connection.end(type, message);
        }
        connections.clear();
        for (var cell : live.values()) {
            cell.room.close();
        }
    }

    synchronized boolean isClosed() {
        return closed;
    }

    /** Ends the connections of these people (a revoked link, ended sessions). */
    void disconnect(java.util.function.Predicate<CollabRoom.Participant> who, String type, String message) {
        for (var connection : connections) {
            if (who.test(connection.participant())) {
                connection.end(type, message);
            }
        }
    }

    private JsonNode outputsJson(LiveCell cell) {
        var array = Notebook.JSON.createArrayNode();
        cell.outputs.forEach(array::add);
        return array;
    }

    private void sendOutputs(LiveCell cell) {
        var message = Notebook.JSON.createObjectNode();
        message.put("type", "outputs");
        message.put("cell", cell.id);
        message.set("outputs", outputsJson(cell));
        if (cell.executionCount != null) {
            message.put("executionCount", cell.executionCount);
        }
        broadcast(message);
    }

    private void sendRun(LiveCell cell) {
        var message = Notebook.JSON.createObjectNode();
        message.put("type", "run");
        message.put("cell", cell.id);
        if (cell.run != null) {
            message.set("run", cell.run.toJson());
        }
        if (cell.executionCount != null) {
            message.put("executionCount", cell.executionCount);
        }
        broadcast(message);
    }

    private void broadcast(ObjectNode message) {
        String text = message.toString();
        for (var connection : connections) {
            connection.sendText(text);
        }
    }
}
