package dev.kiln.server.machine;

import dev.kiln.machine.agent.AgentRegistry;
import org.springframework.web.socket.TextMessage;
import org.springframework.web.socket.WebSocketSession;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

import java.io.IOException;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;

/**
 * The server's side of its conversation with studios' machines: sends requests to a studio's current agent and hands
 * the agent's messages (command output, terminal output, syncs) to whoever listens for that studio. The server never
 * reaches into a machine any other way.
 */
public class MachineChannel {
    private static final JsonMapper JSON = JsonMapper.shared();

    private final AgentRegistry registry;
    private final Map<AgentRegistry.Identity, WebSocketSession> sessions = new ConcurrentHashMap<>();
    private final Map<String, List<Consumer<JsonNode>>> listeners = new ConcurrentHashMap<>();
    private final Map<String, JsonNode> health = new ConcurrentHashMap<>();
    private final List<java.util.function.BiConsumer<String, JsonNode>> everything = new CopyOnWriteArrayList<>();

    public MachineChannel(AgentRegistry registry) {
        this.registry = registry;
    }

    /** A handle to stop listening. */
    public interface Subscription extends AutoCloseable {
        @Override
        void close();
    }

    /**
     * Sends a message to the studio's ready machine (the newest generation if two are up during a switch). False
     * when the studio has no ready machine.
     */
    public boolean send(String studioId, Map<String, ?> message) {
        var session = current(studioId);
        if (session.isEmpty()) {
            return false;
        }
        try {
            synchronized (session.get()) {
                session.get().sendMessage(new TextMessage(JSON.writeValueAsString(message)));
            }
            return true;
        } catch (IOException | IllegalStateException e) {
            return false;
        }
    }

    /** True when the studio has a machine ready for work. */
    public boolean isReady(String studioId) {
        return current(studioId).isPresent();
    }

    /** Every message the studio's agents send (and a {@code {"type":"machine.lost"}} when one disconnects). */
    public Subscription listen(String studioId, Consumer<JsonNode> listener) {
        listeners.computeIfAbsent(studioId, id -> new CopyOnWriteArrayList<>()).add(listener);
        return () -> listeners.getOrDefault(studioId, List.of()).remove(listener);
    }

    /** Every message of every studio's agents (for metrics exporters). */
    public void listenAll(java.util.function.BiConsumer<String, JsonNode> listener) {
        everything.add(listener);
    }

    /** The latest health report of the studio's machine: CPU, memory, disk. */
    public Optional<JsonNode> health(String studioId) {
        return Optional.ofNullable(health.get(studioId));
    }

    private Optional<WebSocketSession> current(String studioId) {
        return sessions.entrySet().stream()
                .filter(e -> e.getKey().studioId().equals(studioId) && e.getValue().isOpen()
                        && registry.isReady(studioId, e.getKey().generation()))
                .max(Comparator.comparingLong(e -> e.getKey().generation())).map(Map.Entry::getValue);
    }

    /** Whether this machine has an open connection (a second one with its token is refused). */
    boolean isConnected(AgentRegistry.Identity identity) {
        var session = sessions.get(identity);
        return session != null && session.isOpen();
    }

    /** False when another open connection holds this machine's token: the new one must go. */
    boolean opened(AgentRegistry.Identity identity, WebSocketSession session) {
        var before = sessions.putIfAbsent(identity, session);
        if (before != null && before.isOpen()) {
            return false;
        }
        if (before != null) {
            sessions.replace(identity, before, session); // a dead connection the server had not noticed yet
        }
        registry.connected(identity);
        return true;
    }

    void closed(AgentRegistry.Identity identity, WebSocketSession session) {
        if (sessions.remove(identity, session)) {
            registry.disconnected(identity);
            health.remove(identity.studioId());
            deliver(identity.studioId(), JSON.createObjectNode().put("type", "machine.lost")
                    .put("generation", identity.generation()));
        }
    }

    void received(AgentRegistry.Identity identity, JsonNode message) {
        switch (message.path("type").asString()) {
            case "health" -> health.put(identity.studioId(), message);
            case "synced" -> registry.synced(identity);
            default -> { }
        }
        deliver(identity.studioId(), message);
    }

    private void deliver(String studioId, JsonNode message) {
        everything.forEach(listener -> listener.accept(studioId, message));
        for (var listener : listeners.getOrDefault(studioId, List.of())) {
            try {
                listener.accept(message);
            } catch (RuntimeException e) {
                org.slf4j.LoggerFactory.getLogger(MachineChannel.class).warn("A machine listener failed", e);
            }
        }
    }
}
