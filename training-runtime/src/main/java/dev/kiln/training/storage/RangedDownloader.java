package dev.kiln.training.storage;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.PriorityBlockingQueue;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

import software.amazon.awssdk.core.exception.SdkException;
import software.amazon.awssdk.services.s3.S3Client;

/**
 * Downloads objects as ranged GETs of {@code partSize} bytes, {@code concurrency} at a time, so one large object
 * fills the pipe and many small ones overlap their latency. Work is taken in priority order (lower first): a loader
 * that suddenly needs object 7 calls {@link #hurry} and its parts jump the queue ahead of the prefetch.
 */
public final class RangedDownloader implements AutoCloseable {
    public static final long DEFAULT_PART_SIZE = 8L << 20;
    public static final int DEFAULT_CONCURRENCY = 8;
    private static final int ATTEMPTS = 3;

    private final S3Client s3;
    private final long partSize;
    private final PriorityBlockingQueue<Part> queue = new PriorityBlockingQueue<>();
    private final List<Thread> workers = new ArrayList<>();
    private final AtomicLong sequence = new AtomicLong();
    private final AtomicLong bytes = new AtomicLong();
    private volatile boolean closed;

    public RangedDownloader(S3Client s3, int concurrency, long partSize) {
        this.s3 = s3;
        this.partSize = partSize;
        for (int i = 0; i < concurrency; i++) {
            // Platform threads: the HTTP client blocks in socket reads.
            Thread worker = Thread.ofPlatform().daemon().name("kiln-s3-get-" + i).start(this::work);
            workers.add(worker);
        }
    }

    public RangedDownloader(S3Client s3) {
        this(s3, DEFAULT_CONCURRENCY, DEFAULT_PART_SIZE);
    }

    /** Bytes received so far, for progress lines. */
    public long bytesReceived() {
        return bytes.get();
    }

    /** A download in flight: its result, and its parts so that it can be hurried. */
    public static final class Download<T> {
        private final CompletableFuture<T> result;
        private final List<Part> parts = new ArrayList<>();

        private Download(CompletableFuture<T> result) {
            this.result = result;
        }

        public CompletableFuture<T> result() {
            return result;
        }
    }

    /** The object of {@code size} bytes written into {@code target} (created or truncated). */
    public Download<Path> toFile(String bucket, String key, long size, Path target, long priority) {
        FileChannel channel;
        try {
            channel = FileChannel.open(target, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                    StandardOpenOption.TRUNCATE_EXISTING);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        var download = new Download<Path>(new CompletableFuture<>());
        download.result.whenComplete((path, error) -> {
            try {
                channel.close();
            } catch (IOException ignored) {
                // the result already says what went wrong, if anything
            }
        });
        schedule(download, bucket, key, size, priority, (offset, buffer) -> {
            while (buffer.hasRemaining()) {
                offset += channel.write(buffer, offset);
            }
        }, () -> target);
        return download;
    }

    /** The object of {@code size} bytes in memory (objects up to 2 GiB). */
    public Download<byte[]> toBytes(String bucket, String key, long size, long priority) {
        if (size > Integer.MAX_VALUE - 8) {
            throw new IllegalArgumentException("s3://" + bucket + "/" + key + " is " + size
                    + " bytes, too large to hold in memory; read it to a file");
        }
        byte[] data = new byte[(int) size];
        var download = new Download<byte[]>(new CompletableFuture<>());
        schedule(download, bucket, key, size, priority, (offset, buffer) -> buffer.get(data, (int) offset,
                buffer.remaining()), () -> data);
        return download;
    }

    /** Moves a download's remaining parts to the front of the queue. */
    public void hurry(Download<?> download) {
        for (Part part : download.parts) {
            if (queue.remove(part)) {
                queue.add(part.withPriority(Long.MIN_VALUE));
            }
        }
    }

    private interface Sink {
        void write(long offset, ByteBuffer buffer) throws IOException;
    }

    private <T> void schedule(Download<T> download, String bucket, String key, long size, long priority, Sink sink,
                              java.util.function.Supplier<T> value) {
        long count = Math.max(1, (size + partSize - 1) / partSize);
        var remaining = new AtomicInteger((int) count);
        Runnable onePartDone = () -> {
            if (remaining.decrementAndGet() == 0) {
                download.result.complete(value.get());
            }
        };
        for (long i = 0; i < count; i++) {
            long start = i * partSize;
            long end = Math.min(size, start + partSize) - 1;
            var part = new Part(priority, sequence.getAndIncrement(), bucket, key, start, end, sink, onePartDone,
                    download.result);
            download.parts.add(part);
        }
        if (size == 0) {
            download.result.complete(value.get());
            return;
        }
        queue.addAll(download.parts);
    }

    private void work() {
        while (!closed) {
            Part part;
            try {
                part = queue.take();
            } catch (InterruptedException e) {
                return;
            }
            if (part.failed.isDone() && part.failed.isCompletedExceptionally()) {
                continue; // another part of the same object already failed
            }
            try {
                fetch(part);
                part.done.run();
            } catch (RuntimeException | IOException e) {
                part.failed.completeExceptionally(new StorageException("reading s3://" + part.bucket + "/" + part.key
                        + " (bytes " + part.start + "-" + part.end + ") failed: " + message(e), e));
            }
        }
    }

    private void fetch(Part part) throws IOException {
        for (int attempt = 1; ; attempt++) {
            long written = 0;
            try (InputStream in = s3.getObject(b -> b.bucket(part.bucket).key(part.key)
                    .range("bytes=" + part.start + "-" + part.end))) {
                byte[] chunk = new byte[64 * 1024];
                int n;
                while ((n = in.read(chunk)) > 0) {
                    part.sink.write(part.start + written, ByteBuffer.wrap(chunk, 0, n));
                    written += n;
                    bytes.addAndGet(n);
                }
                long expected = part.end - part.start + 1;
                if (written != expected) {
                    throw new IOException("got " + written + " bytes, expected " + expected
                            + " (the object changed while it was read?)");
                }
                return;
            } catch (IOException | SdkException e) {
                // The SDK retries failed requests, not a body cut off half-way: retry the part.
                bytes.addAndGet(-written);
                if (attempt >= ATTEMPTS || (e instanceof SdkException sdk && !sdk.retryable()
                        && !(e.getCause() instanceof IOException))) {
                    throw e;
                }
            }
        }
    }

    static String message(Throwable e) {
        String message = e.getMessage();
        return message == null ? e.getClass().getSimpleName() : message;
    }

    @Override
    public void close() {
        closed = true;
        workers.forEach(Thread::interrupt);
        for (Part part : queue) {
            part.failed.completeExceptionally(new StorageException("the downloader was closed"));
        }
        queue.clear();
    }

    private record Part(long priority, long sequence, String bucket, String key, long start, long end, Sink sink,
                        Runnable done, CompletableFuture<?> failed) implements Comparable<Part> {
        Part withPriority(long newPriority) {
            return new Part(newPriority, sequence, bucket, key, start, end, sink, done, failed);
        }

        @Override
        public int compareTo(Part other) {
            int byPriority = Long.compare(priority, other.priority);
            return byPriority != 0 ? byPriority : Long.compare(sequence, other.sequence);
        }
    }
}
