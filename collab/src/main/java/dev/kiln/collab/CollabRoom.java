package dev.kiln.collab;

import tools.jackson.databind.ObjectMapper;
import tools.jackson.databind.node.ArrayNode;
import tools.jackson.databind.node.ObjectNode;

import java.util.List;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArraySet;
import java.util.function.Predicate;

/**
 * Everyone connected to one document: the authority plus the open connections. Accepted updates are serialized once
 * and sent to every connection, in the authority's order. Presence is sent coalesced: {@link #flushPresence}, which
 * the server calls every {@link #PRESENCE_INTERVAL_MS} ms, sends one message with only what changed. See PROTOCOL.md.
 */
public final class CollabRoom implements AutoCloseable {

    static final ObjectMapper JSON = new ObjectMapper();

    /** How often the server should call {@link #flushPresence}. */
    public static final long PRESENCE_INTERVAL_MS = 50;

    /**
     * Per-connection bounds: a burst of {@code burstMessages}, refilled at {@code messagesPerSecond}; frames up to
     * {@code maxFrameBytes} (the transport enforces it; clients learn it from the welcome).
     */
    public record ConnectionLimits(int messagesPerSecond, int burstMessages, int maxFrameBytes) {
        public static final ConnectionLimits DEFAULT = new ConnectionLimits(200, 400, 4 << 20);

        public ConnectionLimits(int messagesPerSecond, int burstMessages) {
            this(messagesPerSecond, burstMessages, DEFAULT.maxFrameBytes());
        }
    }

    private final DocumentAuthority authority;
    private final ConnectionLimits limits;
    private final Set<CollabConnection> connections = new CopyOnWriteArraySet<>();
    private final DocumentAuthority.Listener broadcaster = this::broadcastUpdates;

    public CollabRoom(DocumentAuthority authority, ConnectionLimits limits) {
        this.authority = authority;
        this.limits = limits;
        authority.addListener(broadcaster);
    }

    public DocumentAuthority authority() {
        return authority;
    }

    int maxFrameBytes() {
        return limits.maxFrameBytes();
    }

    /** A new connection for a person the server has authenticated; it speaks once the client says hello. */
    public CollabConnection connect(Participant who, Outbox outbox) {
        var connection = new CollabConnection(this, who, outbox, limits);
        connections.add(connection);
        return connection;
    }

    public int connectionCount() {
        return connections.size();
    }

    public List<CollabConnection> connections() {
        return List.copyOf(connections);
    }

    /** Ends the connections of participants matching {@code who} (a revoked share link), telling them why. */
    public void disconnect(Predicate<Participant> who, String type, String message) {
        for (var connection : connections) {
            if (who.test(connection.participant())) {
                connection.end(type, message);
            }
        }
    }

    /** Drops participants who stopped pinging (the others hear it in the next presence message). */
    public void expirePresence() {
        authority.presence().expire();
    }

    void left(CollabConnection connection) {
        connections.remove(connection);
        if (connection.clientId() != null) {
            authority.presence().leave(connection.clientId());
        }
    }

    private void broadcastUpdates(int from, List<Update> updates) {
        var message = JSON.createObjectNode();
        message.put("type", "updates");
        message.put("from", from);
        message.set("updates", updatesJson(updates));
        var text = message.toString();
        for (var connection : connections) {
            connection.deliverUpdates(from, updates.size(), text);
        }
    }

    /**
     * Sends everyone what changed in presence since the last call (who joined, whose selection moved, who left), as
     * one message at the current version, or nothing when nothing changed. Under the authority's lock, so it goes out
     * after every update up to that version and the positions fit it. Returns the message's size in bytes times the
     * connections it went to.
     */
    public long flushPresence() {
        synchronized (authority) {
            var delta = authority.presence().drain();
            if (delta.isEmpty()) {
                return 0;
            }
            var message = JSON.createObjectNode();
            message.put("type", "presence");
            message.put("version", authority.version());
            var list = message.putArray("participants");
            delta.joined().forEach(p -> participantJson(list.addObject(), p));
            delta.moved().forEach(p -> list.addObject().put("clientId", p.clientId()).put("anchor", p.anchor()).put("head", p.head()));
            var gone = message.putArray("left");
            delta.left().forEach(gone::add);
            var text = message.toString();
            long sent = 0;
            for (var connection : connections) {
                if (connection.deliver(text)) {
                    sent += text.length();
                }
            }
            return sent;
        }
    }

    /** Everyone here, whole: the first presence message a connection gets, right after its welcome. */
    String fullPresence() {
        var message = JSON.createObjectNode();
        message.put("type", "presence");
        message.put("version", authority.version());
        message.put("full", true);
        var list = message.putArray("participants");
        authority.presence().list().forEach(p -> participantJson(list.addObject(), p));
        message.putArray("left");
        return message.toString();
    }

    private static void participantJson(ObjectNode node, Presence.Participant p) {
        node.put("clientId", p.clientId());
        node.put("name", p.userName());
        node.put("colour", p.colour());
        node.put("role", p.role());
        node.put("anchor", p.anchor());
        node.put("head", p.head());
    }

    static ArrayNode updatesJson(List<Update> updates) {
        var list = JSON.createArrayNode();
        for (var update : updates) {
            ObjectNode node = list.addObject();
            node.put("clientId", update.clientId());
            node.set("changes", JSON.valueToTree(update.changes().toJson()));
        }
        return list;
    }

    /** Ends every connection (the document is closing, moved or deleted) and releases the authority. */
    @Override
    public void close() {
        authority.removeListener(broadcaster);
        for (var connection : connections) {
            connection.end("closed", "The document was closed on the server; reopen it to continue.");
        }
        authority.close();
    }

    /** Who is on the other end, as the server authenticated them. */
    public record Participant(long userId, String name, String email, String colour, Role role) {
    }

    public enum Role {
        VIEWER, EDITOR, OWNER;

        public boolean canEdit() {
            return this != VIEWER;
        }

        public String wireName() {
            return name().toLowerCase(java.util.Locale.ROOT);
        }
    }

    /** Where a connection's messages go. Must not block: the server queues them per connection. */
    public interface Outbox {
        void send(String json);

        void close(int code, String reason);
    }
}
