package dev.kiln.collab;

import dev.kiln.collab.CollabRoom.ConnectionLimits;
import dev.kiln.collab.CollabRoom.Outbox;
import dev.kiln.collab.CollabRoom.Participant;
import dev.kiln.collab.DocumentAuthority.PullResult;
import dev.kiln.collab.DocumentAuthority.PushResult;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.JsonNode;

import java.util.ArrayList;
import java.util.List;

/**
 * One client's connection to a document, transport-agnostic: the server feeds it text frames and it answers
 * through an {@link Outbox}. It enforces the protocol's rules (PROTOCOL.md): hello first, viewers may not push,
 * updates carry the connection's own client id, floods end the connection. Bad input gets an error frame and
 * touches neither the document nor anyone else.
 */
public final class CollabConnection {

    /** WebSocket close codes used by the protocol. */
    public static final int CLOSE_POLICY = 1008;
    public static final int CLOSE_REVOKED = 4403;
    public static final int CLOSE_GONE = 4404;

    private static final int MAX_CLIENT_ID = 64;

    private final CollabRoom room;
    private final Participant participant;
    private final Outbox outbox;
    private final ConnectionLimits limits;
    private volatile String clientId;
    /**
     * Set, under the authority's lock, right after the welcome went out: nothing else is sent before it (an update
     * or presence arriving between hello and welcome would reach a client that does not know the document yet).
     */
    private volatile boolean welcomed;
    /** Updates are delivered only once the client has caught up to this version (set by hello). */
    private int deliveredThrough = -1;
    private double tokens;
    private long lastRefillNanos;
    private volatile boolean ended;

    CollabConnection(CollabRoom room, Participant participant, Outbox outbox, ConnectionLimits limits) {
        this.room = room;
        this.participant = participant;
        this.outbox = outbox;
        this.limits = limits;
        this.tokens = limits.burstMessages();
        this.lastRefillNanos = System.nanoTime();
    }

    public Participant participant() {
        return participant;
    }

    public String clientId() {
        return clientId;
    }

    /** Handles one text frame from the client. */
    public void onMessage(String text) {
        if (ended) {
            return;
        }
        if (!takeToken()) {
            error("flood", "Too many messages; reconnect and slow down.");
            end(null, null);
            outbox.close(CLOSE_POLICY, "Too many messages");
            return;
        }
        JsonNode message;
        try {
            message = CollabRoom.JSON.readTree(text);
        } catch (JacksonException e) {
            error("malformed", "Not valid JSON.");
            return;
        }
        if (message == null || !message.isObject() || !message.path("type").isString()) {
            error("malformed", "Every message is a JSON object with a \"type\".");
            return;
        }
        var type = message.get("type").asString();
        if (clientId == null && !type.equals("hello")) {
            error("hello-first", "Say hello first.");
            return;
        }
        try {
            switch (type) {
                case "hello" -> hello(message);
                case "push" -> push(message);
                case "pull" -> pull(message);
                case "cursor" -> cursor(message);
                case "ping" -> {
                    room.authority().presence().seen(clientId);
                    send("{\"type\":\"pong\"}");
                }
                default -> error("unknown-type", "Unknown message type \"" + type + "\".");
            }
        } catch (IllegalArgumentException e) {
            error("invalid", e.getMessage());
        }
    }

    /** The transport closed. */
    public void onClose() {
        ended = true;
        room.left(this);
    }

    private void hello(JsonNode message) {
        if (clientId != null) {
            error("invalid", "hello was already said on this connection.");
            return;
        }
        var id = message.path("clientId").asString("");
        if (id.isEmpty() || id.length() > MAX_CLIENT_ID || !id.matches("[A-Za-z0-9_.:-]+")) {
            error("invalid", "clientId must be 1-" + MAX_CLIENT_ID + " letters, digits or _.:-");
            return;
        }
        var authority = room.authority();
        var reply = CollabRoom.JSON.createObjectNode();
        reply.put("type", "welcome");
        reply.put("role", participant.role().wireName());
        reply.put("name", participant.name());
        reply.put("colour", participant.colour());
        var limits = reply.putObject("limits");
        limits.put("maxChangeChars", authority.limits().maxChangeChars());
        limits.put("maxDocumentChars", authority.limits().maxDocumentChars());
        limits.put("maxFrameBytes", room.maxFrameBytes());
        // Under the authority's lock: nothing is accepted between reading the state and starting delivery, and
        // nothing reaches this connection before its welcome.
        synchronized (authority) {
            clientId = id;
            int known = message.path("version").asInt(-1);
            var caughtUp = known >= 0 ? authority.pull(known, id) : authority.snapshot(id);
            switch (caughtUp) {
                case PullResult.Updates u -> {
                    reply.put("from", u.fromVersion());
                    reply.set("updates", CollabRoom.updatesJson(u.updates()));
                    deliveredThrough = u.fromVersion() + u.updates().size();
                }
                case PullResult.Resync r -> {
                    reply.put("version", r.version());
                    reply.put("text", r.text());
                    reply.put("accepted", r.yourAccepted());
                    deliveredThrough = r.version();
                }
            }
            send(reply.toString());
            authority.presence().join(id, participant.name(), participant.colour(), participant.role().wireName());
            welcomed = true;
            send(room.fullPresence());
        }
    }

    private void push(JsonNode message) {
        if (!participant.role().canEdit()) {
            error("read-only", "You can view this document but not edit it.");
            return;
        }
        int version = requiredInt(message, "version");
        var list = message.path("updates");
        if (!list.isArray()) {
            throw new IllegalArgumentException("push needs an \"updates\" array.");
        }
        var updates = new ArrayList<Update>(list.size());
        for (var node : list) {
            var from = node.path("clientId").asString(clientId);
            if (!from.equals(clientId)) {
                throw new IllegalArgumentException("Updates must carry this connection's clientId.");
            }
            updates.add(new Update(ChangeSet.fromJson(CollabRoom.JSON.treeToValue(node.path("changes"), Object.class)), clientId));
        }
        var result = room.authority().push(version, updates);
        var reply = CollabRoom.JSON.createObjectNode();
        reply.put("type", "pushed");
        switch (result) {
            case PushResult.Accepted a -> {
                reply.put("ok", true);
                reply.put("version", a.version());
                if (a.rebased()) {
                    reply.put("rebased", true);
                }
            }
            case PushResult.Stale s -> {
                reply.put("ok", false);
                reply.put("reason", "stale");
                reply.put("version", s.serverVersion());
            }
            case PushResult.Refused r -> {
                reply.put("ok", false);
                reply.put("reason", "refused");
                reply.put("message", r.reason());
            }
        }
        send(reply.toString());
    }

    private void pull(JsonNode message) {
        int version = requiredInt(message, "version");
        var authority = room.authority();
        synchronized (authority) {
            var reply = CollabRoom.JSON.createObjectNode();
            switch (authority.pull(version, clientId)) {
                case PullResult.Updates u -> {
                    reply.put("type", "updates");
                    reply.put("from", u.fromVersion());
                    reply.set("updates", CollabRoom.updatesJson(u.updates()));
                    deliveredThrough = Math.max(deliveredThrough, u.fromVersion() + u.updates().size());
                }
                case PullResult.Resync r -> {
                    reply.put("type", "resync");
                    reply.put("version", r.version());
                    reply.put("text", r.text());
                    reply.put("accepted", r.yourAccepted());
                    deliveredThrough = Math.max(deliveredThrough, r.version());
                }
            }
            send(reply.toString());
        }
    }

    private void cursor(JsonNode message) {
        int version = requiredInt(message, "version");
        int anchor = requiredInt(message, "anchor");
        int head = requiredInt(message, "head");
        var authority = room.authority();
        synchronized (authority) {
            int current = authority.version();
            if (version > current) {
                throw new IllegalArgumentException("cursor version " + version + " is ahead of the document (" + current + ").");
            }
            List<Update> since = List.of();
            if (version < current) {
                if (!(authority.pull(version, clientId) instanceof PullResult.Updates u)) {
                    return; // too old to map; the client will send a fresher one
                }
                since = u.updates();
            }
            int length = since.isEmpty() ? authority.text().length() : since.get(0).changes().length();
            if (anchor < 0 || head < 0 || anchor > length || head > length) {
                throw new IllegalArgumentException("cursor position out of range (document length " + length + ").");
            }
            for (var update : since) {
                anchor = update.changes().mapPos(anchor, 1);
                head = update.changes().mapPos(head, 1);
            }
            authority.presence().moveCursor(clientId, anchor, head, authority.text().length());
        }
    }

    /** Called by the room, in order, for every accepted batch. */
    void deliverUpdates(int from, int count, String json) {
        if (!welcomed || from + count <= deliveredThrough) {
            return; // not joined yet, or already part of what hello/pull sent
        }
        deliveredThrough = from + count;
        send(json);
    }

    /** Sends a room-wide message once this connection has been welcomed; returns whether it was sent. */
    boolean deliver(String json) {
        if (welcomed && !ended) {
            send(json);
            return true;
        }
        return false;
    }

    /** Tells the client why it is being disconnected, then closes. */
    void end(String type, String message) {
        if (ended) {
            return;
        }
        if (type != null) {
            var node = CollabRoom.JSON.createObjectNode();
            node.put("type", type);
            node.put("message", message);
            send(node.toString());
            outbox.close(type.equals("revoked") ? CLOSE_REVOKED : CLOSE_GONE, message);
        }
        ended = true;
    }

    private void error(String code, String message) {
        var node = CollabRoom.JSON.createObjectNode();
        node.put("type", "error");
        node.put("code", code);
        node.put("message", message);
        send(node.toString());
    }

    private void send(String json) {
        if (!ended) {
            outbox.send(json);
        }
    }

    private static int requiredInt(JsonNode message, String field) {
        var node = message.get(field);
        if (node == null || !node.canConvertToInt() || !node.isIntegralNumber()) {
            throw new IllegalArgumentException("\"" + field + "\" must be an integer.");
        }
        return node.asInt();
    }

    private synchronized boolean takeToken() {
        long now = System.nanoTime();
        tokens = Math.min(limits.burstMessages(), tokens + (now - lastRefillNanos) / 1e9 * limits.messagesPerSecond());
        lastRefillNanos = now;
        if (tokens < 1) {
            return false;
        }
        tokens -= 1;
        return true;
    }
}
