package dev.kiln.collab;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Who is in a document and where their cursor is. Selections are mapped through every accepted change, so a
 * cursor stays on the same text while others type; a participant who says nothing for {@link #TIMEOUT} is gone.
 *
 * <p>It also remembers what changed since it was last {@link #drain drained}: who joined, whose selection moved
 * somewhere other than where mapping put it, and who left. The room sends that, and only that, to everyone a few
 * times a second: with 50 people typing, sending everyone's whole list on every cursor move cost gigabytes.
 * Mapping a selection through an edit is not a change: every client maps it the same way.
 */
public final class Presence {

    public static final Duration TIMEOUT = Duration.ofSeconds(30);

    /** One participant. {@code userName} is stamped by the server from the signed-in user, never by the client. */
    public record Participant(String clientId, String userName, String colour, String role, int anchor, int head, Instant lastSeen) {
    }

    /** What changed since the last drain: new participants (whole), moved selections, and who left. */
    public record Delta(List<Participant> joined, List<Participant> moved, List<String> left) {
        public boolean isEmpty() {
            return joined.isEmpty() && moved.isEmpty() && left.isEmpty();
        }
    }

    private final Clock clock;
    private final Map<String, Participant> participants = new LinkedHashMap<>();
    private final Set<String> joined = new LinkedHashSet<>();
    private final Set<String> moved = new LinkedHashSet<>();
    private final Set<String> left = new LinkedHashSet<>();

    Presence(Clock clock) {
        this.clock = clock;
    }

    public synchronized void join(String clientId, String userName, String colour, String role) {
        participants.put(clientId, new Participant(clientId, userName, colour, role, 0, 0, clock.instant()));
        left.remove(clientId);
        joined.add(clientId);
    }

    /** Moves a participant's selection; positions are clamped to the document. Unknown clients are ignored. */
    public synchronized void moveCursor(String clientId, int anchor, int head, int documentLength) {
        var p = participants.get(clientId);
        if (p != null) {
            int a = clamp(anchor, documentLength), h = clamp(head, documentLength);
            participants.put(clientId, new Participant(clientId, p.userName(), p.colour(), p.role(), a, h, clock.instant()));
            if (a != p.anchor() || h != p.head()) {
                moved.add(clientId);
            }
        }
    }

    public synchronized void seen(String clientId) {
        var p = participants.get(clientId);
        if (p != null) {
            participants.put(clientId, new Participant(clientId, p.userName(), p.colour(), p.role(), p.anchor(), p.head(), clock.instant()));
        }
    }

    public synchronized void leave(String clientId) {
        if (participants.remove(clientId) != null) {
            gone(clientId);
        }
    }

    /** Drops participants not seen for {@link #TIMEOUT}; returns whether anyone was dropped. */
    public synchronized boolean expire() {
        var cutoff = clock.instant().minus(TIMEOUT);
        var silent = participants.values().stream().filter(p -> p.lastSeen().isBefore(cutoff)).map(Participant::clientId).toList();
        silent.forEach(id -> {
            participants.remove(id);
            gone(id);
        });
        return !silent.isEmpty();
    }

    private void gone(String clientId) {
        joined.remove(clientId);
        moved.remove(clientId);
        left.add(clientId);
    }

    public synchronized List<Participant> list() {
        var all = new ArrayList<>(participants.values());
        all.sort(Comparator.comparing(Participant::userName).thenComparing(Participant::clientId));
        return all;
    }

    /** What changed since the last call, with current positions; forgets it. */
    public synchronized Delta drain() {
        if (joined.isEmpty() && moved.isEmpty() && left.isEmpty()) {
            return new Delta(List.of(), List.of(), List.of());
        }
        var delta = new Delta(joined.stream().map(participants::get).toList(),
                moved.stream().filter(id -> !joined.contains(id)).map(participants::get).toList(), List.copyOf(left));
        joined.clear();
        moved.clear();
        left.clear();
        return delta;
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
