package dev.kiln.server.data;

import org.springframework.stereotype.Component;

import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.function.Function;

/**
 * Known secret values of each studio, replaced by {@value #MASK} in what people read: job logs ({@link #mask}, whole
 * lines) and the shared terminal ({@link #stream}, a stream cut anywhere). The values are the studio's connection
 * secrets and passwords (loaded from {@link DataConnections}) and the temporary keys handed to its jobs until they
 * expire. Values shorter than {@value #MIN_LENGTH} characters are not masked: they would turn every log into
 * asterisks and protect nothing. A private key is masked line by line, as it appears when printed.
 */
@Component
public class SecretMasks implements dev.kiln.server.studio.StudioScoped {
    public static final String MASK = "***";
    static final int MIN_LENGTH = 6;
    /** How long a terminal holds back text that may be the start of a secret, waiting for the rest. */
    static final long HOLD_MILLIS = 150;

    private final Clock clock;
    private final Map<String, List<String>> stored = new ConcurrentHashMap<>();
    private final Map<String, Map<String, Instant>> issued = new ConcurrentHashMap<>();
    private final Map<String, Stream> streams = new ConcurrentHashMap<>();
    private final Map<String, Snapshot> snapshots = new ConcurrentHashMap<>();
    private final ScheduledExecutorService flusher = Executors.newSingleThreadScheduledExecutor(
            Thread.ofPlatform().name("kiln-mask-flush").daemon().factory());
    private volatile Function<String, Collection<String>> source = studioId -> List.of();

    SecretMasks(Clock clock) {
        this.clock = clock;
    }

    @jakarta.annotation.PreDestroy
    void stop() {
        flusher.shutdownNow();
    }

    /** Where the stored secrets of a studio come from (its connections, decrypted). */
    void loadFrom(Function<String, Collection<String>> source) {
        this.source = source;
    }

    /** The studio's connections changed: their secrets are read again on next use. */
    void forget(String studioId) {
        stored.remove(studioId);
        snapshots.remove(studioId);
    }

    @Override
    public java.util.Set<String> liveStudios() {
        var studios = new java.util.HashSet<>(stored.keySet());
        studios.addAll(issued.keySet());
        studios.addAll(snapshots.keySet());
        return studios;
    }

    /** A deleted studio's secrets leave memory (its machine, whose output was masked, is stopping). */
    @Override
    public void release(String studioId) {
        forget(studioId);
        issued.remove(studioId);
    }

    /** Values handed to a job of the studio (temporary keys), masked until {@code expiry}. */
    void issued(String studioId, Collection<String> values, Instant expiry) {
        var map = issued.computeIfAbsent(studioId, s -> new ConcurrentHashMap<>());
        Instant now = clock.instant();
        map.values().removeIf(until -> until.isBefore(now));
        for (String value : values) {
            for (String piece : pieces(value)) {
                map.merge(piece, expiry, (a, b) -> a.isAfter(b) ? a : b);
            }
        }
        snapshots.remove(studioId);
    }

    /** {@code text} with every known secret of the studio replaced by {@value #MASK}. */
    public String mask(String studioId, String text) {
        return mask(values(studioId), text);
    }

    static String mask(List<String> values, String text) {
        if (text == null || text.isEmpty()) {
            return text;
        }
        for (String value : values) {
            if (text.contains(value)) {
                text = text.replace(value, MASK);
            }
        }
        return text;
    }

    /**
     * Masks a stream cut anywhere (a terminal's output): text that may be the start of a secret split across chunks
     * is held back until the next chunk completes or clears it, or for {@value #HOLD_MILLIS} ms when nothing follows,
     * so a prompt is never kept from view. {@code out} receives the masked text, in order.
     */
    public void stream(String studioId, String streamId, String chunk, Consumer<String> out) {
        var stream = streams.computeIfAbsent(streamId, id -> new Stream());
        synchronized (stream) {
            stream.generation++;
            List<String> values = values(studioId);
            String text = mask(values, stream.pending + chunk);
            int hold = heldBack(values, text);
            stream.pending = text.substring(text.length() - hold);
            String now = text.substring(0, text.length() - hold);
            if (!now.isEmpty()) {
                out.accept(now);
            }
            if (hold > 0) {
                long generation = stream.generation;
                flusher.schedule(() -> {
                    synchronized (stream) {
                        if (stream.generation == generation && !stream.pending.isEmpty()) {
                            String late = stream.pending;
                            stream.pending = "";
                            out.accept(late);
                        }
                    }
                }, HOLD_MILLIS, TimeUnit.MILLISECONDS);
            }
        }
    }

    private static final class Stream {
        String pending = "";
        long generation;
    }

    /** The length of the longest end of {@code text} that is the beginning (not the whole) of a secret. */
    static int heldBack(List<String> values, String text) {
        int best = 0;
        for (String value : values) {
            for (int n = Math.min(value.length() - 1, text.length()); n > best; n--) {
                if (text.regionMatches(text.length() - n, value, 0, n)) {
                    best = n;
                    break;
                }
            }
        }
        return best;
    }

    /** Every value to mask for the studio, longest first (so a secret inside another is not masked half). */
    List<String> values(String studioId) {
        Instant now = clock.instant();
        var cached = snapshots.get(studioId);
        if (cached != null && now.isBefore(cached.validUntil())) {
            return cached.values();
        }
        var all = new LinkedHashSet<>(stored.computeIfAbsent(studioId, id -> {
            var pieces = new LinkedHashSet<String>();
            source.apply(id).forEach(value -> pieces.addAll(pieces(value)));
            return List.copyOf(pieces);
        }));
        Instant validUntil = now.plusSeconds(3600);
        var temporary = issued.get(studioId);
        if (temporary != null) {
            for (var entry : temporary.entrySet()) {
                if (!entry.getValue().isBefore(now)) {
                    all.add(entry.getKey());
                    validUntil = entry.getValue().isBefore(validUntil) ? entry.getValue() : validUntil;
                }
            }
        }
        var sorted = new ArrayList<>(all);
        sorted.sort(Comparator.comparingInt(String::length).reversed());
        var snapshot = new Snapshot(List.copyOf(sorted), validUntil);
        snapshots.put(studioId, snapshot);
        return snapshot.values();
    }

    /** The values of a studio as last computed, good until an issued one expires. */
    private record Snapshot(List<String> values, Instant validUntil) {}

    /**
     * What to look for of one secret: the value, its JSON-escaped form (how it looks in the credentials file) and,
     * for a PEM key, each line of its body.
     */
    static Set<String> pieces(String value) {
        var pieces = new LinkedHashSet<String>();
        if (value == null || value.isBlank()) {
            return pieces;
        }
        if (value.contains("-----BEGIN")) {
            for (String line : value.split("\\R")) {
                String body = line.strip();
                if (body.length() >= 16 && !body.startsWith("-----") && !body.contains(":")) {
                    pieces.add(body);
                }
            }
            return pieces;
        }
        if (value.length() >= MIN_LENGTH) {
            pieces.add(value);
            String escaped = tools.jackson.databind.json.JsonMapper.shared().writeValueAsString(value);
            escaped = escaped.substring(1, escaped.length() - 1);
            if (!escaped.equals(value)) {
                pieces.add(escaped);
            }
        }
        return pieces;
    }
}
