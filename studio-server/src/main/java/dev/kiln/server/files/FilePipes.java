package dev.kiln.server.files;

import dev.kiln.api.studio.StudioException;
import org.springframework.scheduling.annotation.Scheduled;
import org.springframework.stereotype.Component;

import java.io.InputStream;
import java.io.OutputStream;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.HexFormat;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Rendezvous points between a browser's request and a machine's: bytes are never stored on the server. For an
 * upload, the browser's request body is copied straight into the response of the machine's {@code GET
 * /agent-files/<token>}; for a download, the body of the machine's {@code PUT /agent-files/<token>} straight into
 * the browser's response. Each side blocks while the other is slow (TCP's own backpressure), so a transfer of any
 * size holds one copy buffer. A token is random (256 bits), used once, and void after a minute unclaimed; it is the
 * machine's only credential for it, as for query exports.
 */
@Component
class FilePipes implements dev.kiln.server.studio.StudioScoped {
    static final Duration CLAIM_WITHIN = Duration.ofMinutes(1);
    private static final SecureRandom RANDOM = new SecureRandom();

    private final Map<String, Pipe> open = new ConcurrentHashMap<>();

    /** One rendezvous, for one studio. */
    abstract static sealed class Pipe permits Outgoing, Incoming {
        final String studioId;
        final String token = token();
        final long created = System.currentTimeMillis();

        Pipe(String studioId) {
            this.studioId = studioId;
        }

        String url() {
            return "/agent-files/" + token;
        }

        abstract void abandon(Throwable why);
    }

    /** Bytes the machine fetches: {@code size} of them, written by whoever holds the other end. */
    static final class Outgoing extends Pipe {
        final long size;
        /** The machine's response stream, once it came for the bytes. */
        final CompletableFuture<OutputStream> taken = new CompletableFuture<>();
        /** Done when every byte was written (or failed: the machine's response is then cut short). */
        final CompletableFuture<Void> finished = new CompletableFuture<>();

        Outgoing(String studioId, long size) {
            super(studioId);
            this.size = size;
        }

        @Override
        void abandon(Throwable why) {
            taken.completeExceptionally(why);
            finished.completeExceptionally(why);
        }
    }

    /** Bytes the machine sends: its request body, read by whoever waits for it. */
    static final class Incoming extends Pipe {
        final CompletableFuture<Delivery> arrived = new CompletableFuture<>();
        /** Done when the reader has read what it wanted (or failed). */
        final CompletableFuture<Void> consumed = new CompletableFuture<>();

        Incoming(String studioId) {
            super(studioId);
        }

        @Override
        void abandon(Throwable why) {
            arrived.completeExceptionally(why);
            consumed.completeExceptionally(why);
        }
    }

    /**
     * The machine's body, the size it announced (-1: an archive, whose size nobody knows beforehand), and the archive
     * format it chose for a folder (null for a file as it is).
     */
    record Delivery(InputStream body, long size, String format) {}

    Outgoing outgoing(String studioId, long size) {
        var pipe = new Outgoing(studioId, size);
        open.put(pipe.token, pipe);
        return pipe;
    }

    Incoming incoming(String studioId) {
        var pipe = new Incoming(studioId);
        open.put(pipe.token, pipe);
        return pipe;
    }

    /** The pipe of a token, once: null for an unknown, used or expired one. */
    <T extends Pipe> T claim(String token, Class<T> type) {
        if (token == null) {
            return null;
        }
        var pipe = open.get(token);
        if (!type.isInstance(pipe) || expired(pipe) || !open.remove(token, pipe)) {
            return null;
        }
        return type.cast(pipe);
    }

    /** The waiting side gave up: a machine that comes later finds nothing. */
    void close(Pipe pipe, Throwable why) {
        open.remove(pipe.token, pipe);
        pipe.abandon(why);
    }

    @Override
    public java.util.Set<String> liveStudios() {
        return open.values().stream().map(pipe -> pipe.studioId).collect(java.util.stream.Collectors.toSet());
    }

    @Override
    public void release(String studioId) {
        for (var pipe : open.values()) {
            if (pipe.studioId.equals(studioId)) {
                close(pipe, new StudioException(StudioException.Kind.NOT_FOUND, "The studio was deleted."));
            }
        }
    }

    @Scheduled(fixedDelay = 30_000)
    void sweep() {
        for (var pipe : open.values()) {
            if (expired(pipe) && open.remove(pipe.token, pipe)) {
                pipe.abandon(new StudioException(StudioException.Kind.CONFLICT, "The machine did not come for the file."));
            }
        }
    }

    private static boolean expired(Pipe pipe) {
        return System.currentTimeMillis() - pipe.created > CLAIM_WITHIN.toMillis();
    }

    private static String token() {
        byte[] bytes = new byte[32];
        RANDOM.nextBytes(bytes);
        return HexFormat.of().formatHex(bytes);
    }
}
