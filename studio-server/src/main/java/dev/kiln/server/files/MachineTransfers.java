package dev.kiln.server.files;

import dev.kiln.machine.protocol.FromMachine;
import dev.kiln.machine.protocol.ToMachine;
import dev.kiln.api.studio.StudioException;
import org.springframework.stereotype.Component;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * Bytes between a browser (or the server itself) and a studio's machine, through a {@link FilePipes} rendezvous:
 * uploads into the machine's home, downloads of files and folders (as zip or tar.gz), and the content of a change
 * the machine reported. Memory is one copy buffer per transfer, whatever the size.
 */
@Component
class MachineTransfers {
    static final Duration START = Duration.ofSeconds(30);
    static final Duration FINISH = Duration.ofMinutes(2);
    private static final int BUFFER = 256 * 1024;

    private final MachineRequests requests;
    private final FilePipes pipes;

    MachineTransfers(MachineRequests requests, FilePipes pipes) {
        this.requests = requests;
        this.pipes = pipes;
    }

    /**
     * Streams {@code size} bytes from {@code body} into the machine's file {@code path} (home-relative). Returns
     * once the machine has the whole file in place; a refusal (the file exists, the disk is too small) or a cut
     * leaves nothing on the machine.
     */
    long upload(String studioId, String path, InputStream body, long size, boolean overwrite) {
        var pipe = pipes.outgoing(studioId, size);
        String id = MachineRequests.newId();
        var done = requests.ask(studioId, id, new ToMachine.FsReceive(id, path, pipe.url(), size, overwrite));
        try {
            OutputStream sink = first(pipe.taken, done, START);
            try {
                long copied = copy(body, sink, size);
                if (copied < size) {
                    throw new IOException("the browser sent " + copied + " of " + size + " bytes");
                }
                sink.flush();
                pipe.finished.complete(null);
            } catch (IOException e) {
                pipe.finished.completeExceptionally(e);
                throw new StudioException(StudioException.Kind.INVALID, "The upload was interrupted ("
                        + e.getMessage() + "); nothing was kept.");
            }
            var result = MachineRequests.done(MachineRequests.await(done, FINISH, FromMachine.FsDone.class));
            return result.bytes() == null ? size : result.bytes();
        } finally {
            pipes.close(pipe, new StudioException(StudioException.Kind.CONFLICT, "The upload ended."));
        }
    }

    /**
     * What a download is about to send: called once the machine has started sending, before the first byte, with the
     * size (-1 for an archive) and the archive format of a folder (null for a file).
     */
    interface Headers {
        OutputStream start(long size, String format) throws IOException;
    }

    /**
     * Streams the machine's file (format "file") or folder (zip, tar.gz) to the output {@code headers} opens once
     * the machine is sending (so a refusal, such as a missing file, can still be answered as a problem).
     */
    long download(String studioId, String path, String format, Headers headers) throws IOException {
        var pipe = pipes.incoming(studioId);
        String id = MachineRequests.newId();
        var done = requests.ask(studioId, id, new ToMachine.FsSend(id, path, pipe.url(), format, null));
        try {
            FilePipes.Delivery delivery = first(pipe.arrived, done, START);
            long copied;
            try {
                OutputStream out = headers.start(delivery.size(), delivery.format());
                copied = copy(delivery.body(), out, Long.MAX_VALUE);
                out.flush();
                pipe.consumed.complete(null);
            } catch (IOException e) {
                pipe.consumed.completeExceptionally(e); // the browser went away: the machine stops sending
                throw e;
            }
            MachineRequests.done(MachineRequests.await(done, FINISH, FromMachine.FsDone.class));
            return copied;
        } finally {
            pipes.close(pipe, new StudioException(StudioException.Kind.CONFLICT, "The download ended."));
        }
    }

    /** The content of a git object the machine reported (a change of a workspace file), at most {@code max} bytes. */
    byte[] fetchObject(String studioId, String blob, long max) {
        var pipe = pipes.incoming(studioId);
        String id = MachineRequests.newId();
        var done = requests.ask(studioId, id, new ToMachine.FsSend(id, null, pipe.url(), "file", blob));
        try {
            FilePipes.Delivery delivery = first(pipe.arrived, done, START);
            var bytes = new ByteArrayOutputStream();
            try (InputStream in = delivery.body()) {
                copy(in, bytes, max + 1);
            } catch (IOException e) {
                pipe.consumed.completeExceptionally(e);
                throw new UncheckedIOException(e);
            }
            pipe.consumed.complete(null);
            if (bytes.size() > max) {
                throw new StudioException(StudioException.Kind.TOO_LARGE, "over the workspace's size limit");
            }
            MachineRequests.done(MachineRequests.await(done, FINISH, FromMachine.FsDone.class));
            return bytes.toByteArray();
        } finally {
            pipes.close(pipe, new StudioException(StudioException.Kind.CONFLICT, "The fetch ended."));
        }
    }

    /** Whichever comes first: the machine at the pipe, or its answer (which, this early, is a refusal). */
    @SuppressWarnings("unchecked")
    private static <T> T first(CompletableFuture<T> arrived, CompletableFuture<FromMachine> done, Duration within) {
        try {
            Object first = CompletableFuture.anyOf(arrived, done).get(within.toMillis(), TimeUnit.MILLISECONDS);
            if (first instanceof FromMachine.FsDone answer) {
                MachineRequests.done(answer);
                throw new StudioException(StudioException.Kind.CONFLICT, "The machine ended the transfer early.");
            }
            return (T) first;
        } catch (TimeoutException e) {
            throw new StudioException(StudioException.Kind.CONFLICT, "The machine did not start the transfer within "
                    + within.toSeconds() + " s.");
        } catch (ExecutionException e) {
            throw e.getCause() instanceof StudioException s ? s : new StudioException(StudioException.Kind.CONFLICT,
                    "The transfer failed: " + e.getCause().getMessage());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new StudioException(StudioException.Kind.CONFLICT, "Interrupted.");
        }
    }

    private static long copy(InputStream in, OutputStream out, long max) throws IOException {
        byte[] buffer = new byte[BUFFER];
        long copied = 0;
        int n;
        while (copied < max && (n = in.read(buffer, 0, (int) Math.min(buffer.length, max - copied))) > 0) {
            out.write(buffer, 0, n);
            copied += n;
        }
        return copied;
    }
}
