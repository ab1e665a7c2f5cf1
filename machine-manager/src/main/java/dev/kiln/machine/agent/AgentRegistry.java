package dev.kiln.machine.agent;

import java.security.MessageDigest;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Per-machine agent tokens and which agents are connected. A backend issues a token when it creates a machine and
 * revokes it when the machine goes; the server's agent endpoint accepts only a live token, so a token from a deleted
 * machine (or a stolen one after a switch) is refused. Tokens are random 256-bit values compared in constant time.
 */
public final class AgentRegistry {
    /**
     * Who an agent is: the studio and the machine generation it was started for. A negative generation is a
     * git-read token (a cluster job's nodes fetch the workspace with it): it may never dial in as a machine.
     */
    public record Identity(String studioId, long generation) {
        public boolean isMachine() {
            return generation >= 0;
        }
    }

    private final SecureRandom random = new SecureRandom();
    private final Map<String, Identity> tokens = new ConcurrentHashMap<>();
    private final Map<Identity, Integer> connections = new ConcurrentHashMap<>();
    private final java.util.Set<Identity> synced = ConcurrentHashMap.newKeySet();
    private final java.util.Set<Identity> everConnected = ConcurrentHashMap.newKeySet();
    private final java.util.Set<Identity> stoppedAgents = ConcurrentHashMap.newKeySet();
    private final java.util.List<Runnable> listeners = new java.util.concurrent.CopyOnWriteArrayList<>();
    private final Map<Identity, dev.kiln.machine.plan.ObservedMachine.WorkSave> saves = new ConcurrentHashMap<>();
    private volatile java.util.function.Predicate<Identity> saveRequests = identity -> false;
    private final java.time.Clock clock;

    public AgentRegistry() {
        this(java.time.Clock.systemUTC());
    }

    public AgentRegistry(java.time.Clock clock) {
        this.clock = clock;
    }

    /** How a save request reaches a machine's agent (the server's channel); false when it cannot be sent. */
    public void sendSaveRequestsWith(java.util.function.Predicate<Identity> sender) {
        this.saveRequests = sender;
    }

    /**
     * Asks the machine to save its work (a backend performing SaveWork). A machine that cannot be asked (not
     * connected) has nothing running to save: it counts as saved at once.
     */
    public void requestSave(Identity identity) {
        if (saves.containsKey(identity)) {
            return; // asked already: the step is safe to repeat
        }
        saves.put(identity, new dev.kiln.machine.plan.ObservedMachine.WorkSave(clock.instant(), false));
        if (!saveRequests.test(identity)) {
            workSaved(identity);
        }
    }

    /** The machine's agent answered: its jobs have checkpointed (or it had none). */
    public void workSaved(Identity identity) {
        saves.computeIfPresent(identity, (k, save) -> new dev.kiln.machine.plan.ObservedMachine.WorkSave(save.asked(), true));
        listeners.forEach(Runnable::run);
    }

    /** What the studio's machines said about saving work, by generation (for the observation). */
    public Map<Long, dev.kiln.machine.plan.ObservedMachine.WorkSave> saves(String studioId) {
        var result = new java.util.HashMap<Long, dev.kiln.machine.plan.ObservedMachine.WorkSave>();
        saves.forEach((identity, save) -> {
            if (identity.studioId().equals(studioId)) {
                result.put(identity.generation(), save);
            }
        });
        return result;
    }

    /** Called whenever an agent connects or disconnects, so a reconciler can act at once instead of at its next tick. */
    public void onChange(Runnable listener) {
        listeners.add(listener);
    }

    public String issue(String studioId, long generation) {
        byte[] bytes = new byte[32];
        random.nextBytes(bytes);
        String token = Base64.getUrlEncoder().withoutPadding().encodeToString(bytes);
        tokens.put(token, new Identity(studioId, generation));
        return token;
    }

    /**
     * Accepts a token issued before a server restart (the Kubernetes backend keeps each machine's token in a Secret,
     * so pods that outlive the server can dial home again).
     */
    public void restore(String token, Identity identity) {
        if (token != null && token.length() >= 32) {
            tokens.put(token, identity);
        }
    }

    public Optional<Identity> authenticate(String token) {
        if (token == null) {
            return Optional.empty();
        }
        // Walk every entry and compare in constant time, so timing tells nothing about near-misses.
        Identity found = null;
        for (var entry : tokens.entrySet()) {
            if (MessageDigest.isEqual(entry.getKey().getBytes(), token.getBytes())) {
                found = entry.getValue();
            }
        }
        return Optional.ofNullable(found);
    }

    public void revoke(String studioId, long generation) {
        var identity = new Identity(studioId, generation);
        tokens.values().removeIf(identity::equals);
        everConnected.remove(identity);
        saves.remove(identity);
    }

    /** True once the machine's token was revoked (the machine was deleted or replaced). */
    public boolean isRevoked(Identity identity) {
        return !tokens.containsValue(identity);
    }

    /** The machine's one connection is open (the server refuses a second one with the same token). */
    public void connected(Identity identity) {
        connections.put(identity, 1);
        everConnected.add(identity);
        listeners.forEach(Runnable::run);
    }

    public void disconnected(Identity identity) {
        connections.remove(identity);
        synced.remove(identity);
        listeners.forEach(Runnable::run);
    }

    /** The agent has the studio's files: the machine is ready for work. */
    public void synced(Identity identity) {
        if (connections.containsKey(identity) && synced.add(identity)) {
            listeners.forEach(Runnable::run);
        }
    }

    /** The agent closed its connection saying it has finished stopping (see MachineAgent.STOPPED). */
    public void stoppedCleanly(Identity identity) {
        stoppedAgents.add(identity);
    }

    /** Whether the machine's agent has said it finished stopping (a question: asking changes nothing). */
    public boolean hasStoppedCleanly(String studioId, long generation) {
        return stoppedAgents.contains(new Identity(studioId, generation));
    }

    /** The machine's process is gone: what its agent said about stopping is no longer needed. */
    public void forgetStopped(String studioId, long generation) {
        stoppedAgents.remove(new Identity(studioId, generation));
    }

    /** Whether this machine's agent dialled home at least once (one that never did failed while starting). */
    public boolean everConnected(String studioId, long generation) {
        return everConnected.contains(new Identity(studioId, generation));
    }

    public boolean isConnected(String studioId, long generation) {
        return connections.containsKey(new Identity(studioId, generation));
    }

    /** Connected and synced: what a user means by "the machine is ready". */
    public boolean isReady(String studioId, long generation) {
        var identity = new Identity(studioId, generation);
        return connections.containsKey(identity) && synced.contains(identity);
    }
}
