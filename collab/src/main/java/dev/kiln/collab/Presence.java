package dev.kiln.collab;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Who is in a document and where their cursor is. Selections are mapped through every accepted change, so a
 * cursor stays on the same text while others type; a participant who says nothing for {@link #TIMEOUT} is gone.
 */
public final class Presence {

    public static final Duration TIMEOUT = Duration.ofSeconds(30);

    /** One participant. {@code userName} is stamped by the server from the signed-in user, never by the client. */
    public record Participant(String clientId, String userName, String colour, String role, int anchor, int head, Instant lastSeen) {
    }

    private final Clock clock;
    private final Map<String, Participant> participants = new LinkedHashMap<>();

    Presence(Clock clock) {
        this.clock = clock;
    }

    public synchronized void join(String clientId, String userName, String colour, String role) {
        participants.put(clientId, new Participant(clientId, userName, colour, role, 0, 0, clock.instant()));
    }

    /** Moves a participant's selection; positions are clamped to the document. Unknown clients are ignored. */
    public synchronized void moveCursor(String clientId, int anchor, int head, int documentLength) {
        var p = participants.get(clientId);
        if (p != null) {
            participants.put(clientId, new Participant(clientId, p.userName(), p.colour(), p.role(),
                    clamp(anchor, documentLength), clamp(head, documentLength), clock.instant()));
        }
    }

    public synchronized void seen(String clientId) {
        var p = participants.get(clientId);
        if (p != null) {
            participants.put(clientId, new Participant(clientId, p.userName(), p.colour(), p.role(), p.anchor(), p.head(), clock.instant()));
        }
    }

    public synchronized void leave(String clientId) {
        participants.remove(clientId);
    }

    /** Drops participants not seen for {@link #TIMEOUT}; returns whether anyone was dropped. */
    public synchronized boolean expire() {
        var cutoff = clock.instant().minus(TIMEOUT);
        return participants.values().removeIf(p -> p.lastSeen().isBefore(cutoff));
    }

    public synchronized List<Participant> list() {
        var all = new ArrayList<>(participants.values());
        all.sort(Comparator.comparing(Participant::userName).thenComparing(Participant::clientId));
        return all;
    }

    synchronized void map(ChangeSet changes) {
        for (var entry : participants.entrySet()) {
            var p = entry.getValue();
            entry.setValue(new Participant(p.clientId(), p.userName(), p.colour(), p.role(),
                    changes.mapPos(p.anchor(), 1), changes.mapPos(p.head(), 1), p.lastSeen()));
        }
    }

    private static int clamp(int pos, int length) {
        return Math.max(0, Math.min(pos, length));
    }
}
