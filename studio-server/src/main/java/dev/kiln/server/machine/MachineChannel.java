package dev.kiln.server.machine;

import dev.kiln.machine.agent.AgentRegistry;
import org.springframework.web.socket.TextMessage;
import org.springframework.web.socket.WebSocketSession;
import dev.kiln.machine.protocol.FromMachine;
import dev.kiln.machine.protocol.MachineCodec;
import dev.kiln.machine.protocol.ToMachine;

import java.io.IOException;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.BiConsumer;

/**
 * The server's side of its conversation with studios' machines, in the typed messages of the machine protocol
 * ({@code machine-manager/PROTOCOL.md}): sends requests to a studio's current agent, and hands each message a machine
 * sends to the handlers registered for its type (once, at start, for every studio). The server never reaches into a
 * machine any other way.
 */
public class MachineChannel {
    private static final org.slf4j.Logger log = org.slf4j.LoggerFactory.getLogger(MachineChannel.class);

    private final AgentRegistry registry;
    private final Map<AgentRegistry.Identity, WebSocketSession> sessions = new ConcurrentHashMap<>();
    private final Map<String, FromMachine.Health> health = new ConcurrentHashMap<>();
    private final List<Handler<?>> handlers = new CopyOnWriteArrayList<>();

    private record Handler<T extends FromMachine>(Class<T> type, BiConsumer<String, T> action) {
        void offer(String studioId, FromMachine message) {
            if (type.isInstance(message)) {
                action.accept(studioId, type.cast(message));
            }
        }
    }

    public MachineChannel(AgentRegistry registry) {
        this.registry = registry;
        registry.sendSaveRequestsWith(identity -> send(identity, new ToMachine.SaveWork(null)));
    }

    /** Sends to one machine of a studio (a save request goes to the machine that is about to stop). */
    private boolean send(AgentRegistry.Identity identity, ToMachine message) {
        var session = sessions.get(identity);
        if (session == null || !session.isOpen()) {
            return false;
        }
        try {
            synchronized (session) {
                session.sendMessage(new TextMessage(MachineCodec.encode(message)));
            }
            return true;
        } catch (IOException | IllegalStateException e) {
            return false;
        }
    }

    /**
     * Sends a message to the studio's ready machine (the newest generation if two are up during a switch). False
     * when the studio has no ready machine.
     */
    public boolean send(String studioId, ToMachine message) {
        return current(studioId).map(identity -> send(identity, message)).orElse(false);
    }

    /**
     * Sends like {@link #send(String, ToMachine)} and says which machine got it: the generation of the studio's ready
     * machine, or empty when none has. For state that lives on one machine (a notebook's kernel), so that the end of
     * another generation (the old machine of a switch) is not taken for its own.
     */
    public OptionalLong sendSaying(String studioId, ToMachine message) {
        return current(studioId).filter(identity -> send(identity, message))
                .map(identity -> OptionalLong.of(identity.generation())).orElse(OptionalLong.empty());
    }

    /**
     * Sends to the studio's machine of this generation, ready or not (state that lives on one machine: a notebook's
     * kernel, which a newer machine of a switch does not have). False when that machine's connection is gone.
     */
    public boolean send(String studioId, long generation, ToMachine message) {
        return send(new AgentRegistry.Identity(studioId, generation), message);
    }

    /** True when the studio has a machine ready for work. */
    public boolean isReady(String studioId) {
        return current(studioId).isPresent();
    }

    /**
     * Calls {@code action} with the studio and the message for every message of {@code type} any machine sends (and
     * for {@link FromMachine.MachineLost}, which the server makes when a machine's connection ends). Register once.
     */
    public <T extends FromMachine> Subscription on(Class<T> type, BiConsumer<String, T> action) {
        var handler = new Handler<>(type, action);
        handlers.add(handler);
        return () -> handlers.remove(handler);
    }

    /** A handle to stop listening (services listen for good; tests stop). */
    public interface Subscription extends AutoCloseable {
        @Override
        void close();
    }

    /** The latest health report of the studio's machine: CPU, memory, disk, GPUs. */
    public Optional<FromMachine.Health> health(String studioId) {
        return Optional.ofNullable(health.get(studioId));
    }

    private Optional<AgentRegistry.Identity> current(String studioId) {
        return sessions.entrySet().stream()
                .filter(e -> e.getKey().studioId().equals(studioId) && e.getValue().isOpen()
                        && registry.isReady(studioId, e.getKey().generation()))
                .max(Comparator.comparingLong(e -> e.getKey().generation())).map(Map.Entry::getKey);
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
            deliver(identity.studioId(), new FromMachine.MachineLost(identity.generation()));
        }
    }

    void received(AgentRegistry.Identity identity, FromMachine message) {
        if (message instanceof FromMachine.Hello hello) {
            // The token says which machine this is: code on the machine cannot claim another studio or generation.
            message = new FromMachine.Hello(identity.studioId(), hello.machineType(), identity.generation(),
                    hello.cpus(), hello.pid(), hello.jobs());
        }
        switch (message) {
            case FromMachine.Health report -> health.put(identity.studioId(), report);
            case FromMachine.Synced ignored -> registry.synced(identity);
            case FromMachine.WorkSaved ignored -> registry.workSaved(identity);
            default -> { }
        }
        deliver(identity.studioId(), message);
    }

    private void deliver(String studioId, FromMachine message) {
        for (var handler : handlers) {
            try {
                handler.offer(studioId, message);
            } catch (RuntimeException e) {
                log.warn("Handling a machine's {} failed", message.getClass().getSimpleName(), e);
            }
        }
    }
}
