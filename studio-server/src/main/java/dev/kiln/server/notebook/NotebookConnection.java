package dev.kiln.server.notebook;

import dev.kiln.collab.CollabConnection;
import dev.kiln.collab.CollabRoom;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.node.ObjectNode;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * One browser's connection to a live notebook, transport-agnostic: the server feeds it text frames, it answers
 * through a {@link CollabRoom.Outbox}. It holds the protocol's rules (notebook PROTOCOL.md): hello first; viewers
 * read everything but may not change sources or cells, nor run; only people who may run code on the machine run
 * cells. Each cell's source is a collab document: this connection is joined to every cell's room by the server and
 * passes that cell's collab messages (wrapped as {@code {"type":"cell","cell":id,"message":...}}) both ways.
 */
final class NotebookConnection {
    private static final int MAX_CLIENT_ID = 64;
    /** Cells one run request may name: a notebook of this many cells is far past what anyone reads. */
    private static final int MAX_RUN = 5_000;

    private final LiveNotebook notebook;
    private final CollabRoom.Participant participant;
    private final boolean mayRun;
    private final CollabRoom.Outbox outbox;
    private final Map<String, CollabConnection> cells = new ConcurrentHashMap<>();
    private volatile String clientId;
    private volatile boolean ended;
    private double tokens = 400;
    private long lastRefill = System.nanoTime();

    NotebookConnection(LiveNotebook notebook, CollabRoom.Participant participant, boolean mayRun, CollabRoom.Outbox outbox) {
        this.notebook = notebook;
        this.participant = participant;
        this.mayRun = mayRun;
        this.outbox = outbox;
    }

    CollabRoom.Participant participant() {
        return participant;
    }

    boolean mayRun() {
        return mayRun && participant.role().canEdit();
    }

    String clientId() {
        return clientId;
    }

    LiveNotebook notebook() {
        return notebook;
    }

    void onMessage(String text) {
        if (ended) {
            return;
        }
        if (!takeToken()) {
            error("flood", "Too many messages; reconnect and slow down.");
            end(null, null);
            outbox.close(CollabConnection.CLOSE_POLICY, "Too many messages");
            return;
        }
        JsonNode message;
        try {
            message = Notebook.JSON.readTree(text);
        } catch (JacksonException e) {
            error("malformed", "Not valid JSON.");
            return;
        }
        if (message == null || !message.isObject() || !message.path("type").isString()) {
            error("malformed", "Every message is a JSON object with a \"type\".");
            return;
        }
        String type = message.get("type").asString();
        if (clientId == null && !type.equals("hello")) {
            error("hello-first", "Say hello first.");
            return;
        }
        try {
            switch (type) {
                case "hello" -> hello(message);
                case "cell" -> cell(message);
                case "structure" -> structure(message);
                case "run" -> run(message);
                case "interrupt" -> {
                    if (requireRun()) {
                        notebook.kernelControl().interrupt(notebook, participant);
                    }
                }
                case "restart" -> {
                    if (requireRun()) {
                        notebook.kernelControl().restart(notebook, participant);
                    }
                }
                case "kernel" -> {
                    if (requireRun()) {
                        String spec = message.path("spec").asString("");
                        if (spec.isEmpty() || spec.length() > 128) {
                            throw new IllegalArgumentException("\"spec\" must name a kernel.");
                        }
                        notebook.kernelControl().select(notebook, spec, participant);
                    }
                }
                case "rebuild" -> {
                    if (requireRun()) {
                        notebook.kernelControl().rebuild(notebook, participant, message.path("dismiss").asBoolean(false));
                    }
                }
                case "clear" -> {
                    if (requireEdit()) {
                        notebook.clearOutputs(cellIds(message));
                    }
                }
                case "complete", "inspect" -> {
                    String request = message.path("request").asString("");
                    String code = message.path("code").asString("");
                    int cursor = message.path("cursor").asInt(-1);
                    if (request.isEmpty() || request.length() > 64 || cursor < 0 || cursor > code.length()
                            || code.length() > StructureOp.MAX_SOURCE) {
                        throw new IllegalArgumentException(type + " needs \"request\", \"code\" and a \"cursor\" in it.");
                    }
                    if (requireRun()) {
                        if (type.equals("complete")) {
                            notebook.kernelControl().complete(notebook, this, request, code, cursor);
                        } else {
                            notebook.kernelControl().inspect(notebook, this, request, code, cursor);
                        }
                    }
                }
                case "focus" -> {
                    var cell = message.get("cell");
                    if (cell != null && !cell.isNull() && !(cell.isString() && cells.containsKey(cell.asString()))) {
                        throw new IllegalArgumentException("\"cell\" must be a cell of this notebook, or null.");
                    }
                    notebook.focus(this, cell == null || cell.isNull() ? null : cell.asString());
                }
                case "ping" -> {
                    cells.values().forEach(c -> c.onMessage("{\"type\":\"ping\"}"));
                    sendText("{\"type\":\"pong\"}");
                }
                default -> error("unknown-type", "Unknown message type \"" + type + "\".");
            }
        } catch (IllegalArgumentException e) {
            error("invalid", e.getMessage());
        }
    }

    private void hello(JsonNode message) {
        if (clientId != null) {
            error("invalid", "hello was already said on this connection.");
            return;
        }
        String id = message.path("clientId").asString("");
        if (id.isEmpty() || id.length() > MAX_CLIENT_ID || !id.matches("[A-Za-z0-9_.:-]+")) {
            error("invalid", "clientId must be 1-" + MAX_CLIENT_ID + " letters, digits or _.:-");
            return;
        }
        clientId = id;
        // Versions of the cells this client already has (a reconnect): each cell then sends only what it missed.
        var versions = new LinkedHashMap<String, Integer>();
        message.path("cells").properties().forEach(e -> {
            if (e.getValue().isIntegralNumber() && e.getValue().asInt() >= 0) {
                versions.put(e.getKey(), e.getValue().asInt());
            }
        });
        notebook.join(this, versions);
    }

    private void cell(JsonNode message) {
        String id = message.path("cell").asString("");
        var inner = message.get("message");
        if (inner == null || !inner.isObject()) {
            throw new IllegalArgumentException("A cell message carries the collab \"message\" for that cell.");
        }
        var connection = cells.get(id);
        if (connection == null) {
            cellMessage(id, "{\"type\":\"closed\",\"message\":\"This cell was deleted.\"}");
            return;
        }
        connection.onMessage(inner.toString());
    }

    private void structure(JsonNode message) {
        if (!requireEdit()) {
            return;
        }
        var seq = message.get("seq");
        if (seq == null || !seq.isIntegralNumber() || seq.asLong() < 1) {
            throw new IllegalArgumentException("A structure op carries \"seq\": 1, 2, 3... per client.");
        }
        var op = message.get("op");
        if (op == null || !op.isObject()) {
            throw new IllegalArgumentException("A structure message carries an \"op\".");
        }
        notebook.structure(this, seq.asLong(), StructureOp.fromJson(op));
    }

    private void run(JsonNode message) {
        if (!requireRun()) {
            return;
        }
        notebook.kernelControl().run(notebook, cellIds(message), participant);
    }

    private static List<String> cellIds(JsonNode message) {
        var list = message.path("cells");
        if (!list.isArray() || list.size() > MAX_RUN) {
            throw new IllegalArgumentException("\"cells\" must be a list of cell ids.");
        }
        var ids = new ArrayList<String>();
        for (var id : list) {
            if (!id.isString()) {
                throw new IllegalArgumentException("\"cells\" must be a list of cell ids.");
            }
            ids.add(id.asString());
        }
        return ids;
    }

    private boolean requireEdit() {
        if (!participant.role().canEdit()) {
            error("read-only", "You can view this notebook but not change it.");
            return false;
        }
        return true;
    }

    private boolean requireRun() {
        if (!mayRun()) {
            error("read-only", participant.role().canEdit()
                    ? "Cells run on the studio's machine, which is not sandboxed here: only its owner may run them."
                    : "You can view this notebook but not run it.");
            return false;
        }
        return true;
    }

    /** Called by the notebook, under its lock: joins this connection to a cell's source document. */
    void joinCell(CollabRoom room, String cellId, Integer knownVersion) {
        if (ended || clientId == null) {
            return;
        }
        var connection = room.connect(participant, new CollabRoom.Outbox() {
            @Override
            public void send(String json) {
                cellMessage(cellId, json);
            }

            @Override
            public void close(int code, String reason) {
                cells.remove(cellId);
            }
        });
        var previous = cells.put(cellId, connection);
        if (previous != null) {
            previous.onClose();
        }
        var hello = Notebook.JSON.createObjectNode();
        hello.put("type", "hello");
        hello.put("clientId", clientId);
        if (knownVersion != null) {
            hello.put("version", knownVersion);
        }
        connection.onMessage(hello.toString());
    }

    /** The cell went away (deleted): its document is closing. */
    void leaveCell(String cellId) {
        var connection = cells.remove(cellId);
        if (connection != null) {
            connection.onClose();
        }
    }

    private void cellMessage(String cellId, String json) {
        if (json.equals("{\"type\":\"pong\"}")) {
            return; // the notebook's own pong answers the ping that fanned out to every cell
        }
        sendText("{\"type\":\"cell\",\"cell\":" + Notebook.JSON.getNodeFactory().stringNode(cellId) + ",\"message\":"
                + json + "}");
    }

    /** The transport closed. */
    void onClose() {
        ended = true;
        notebook.left(this);
        cells.values().forEach(CollabConnection::onClose);
        cells.clear();
    }

    /** Tells the client why it is being disconnected (revoked, closed), then closes. */
    void end(String type, String message) {
        if (ended) {
            return;
        }
        if (type != null) {
            var node = Notebook.JSON.createObjectNode();
            node.put("type", type);
            node.put("message", message);
            send(node);
            outbox.close(type.equals("revoked") ? CollabConnection.CLOSE_REVOKED : CollabConnection.CLOSE_GONE, message);
        }
        ended = true;
    }

    void send(ObjectNode message) {
        sendText(message.toString());
    }

    void sendText(String text) {
        if (!ended) {
            outbox.send(text);
        }
    }

    private void error(String code, String message) {
        var node = Notebook.JSON.createObjectNode();
        node.put("type", "error");
        node.put("code", code);
        node.put("message", message);
        send(node);
    }

    private synchronized boolean takeToken() {
        long now = System.nanoTime();
        tokens = Math.min(400, tokens + (now - lastRefill) / 1e9 * 200);
        lastRefill = now;
        if (tokens < 1) {
            return false;
        }
        tokens -= 1;
        return true;
    }
}
