package dev.kiln.training.storage;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.NoSuchElementException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.CompletedPart;
import software.amazon.awssdk.services.s3.model.NoSuchBucketException;
import software.amazon.awssdk.services.s3.model.NoSuchKeyException;
import software.amazon.awssdk.services.s3.model.S3Exception;

/**
 * Objects under an {@code s3://} location, for jobs: list them, read them all in order with the next few prefetched
 * (parallel ranged GETs underneath), read one, and upload files (multipart above {@link #MULTIPART_THRESHOLD}).
 */
public final class S3Objects implements AutoCloseable {
    public static final long MULTIPART_THRESHOLD = 16L << 20;
    static final long UPLOAD_PART_SIZE = 8L << 20;

    /** One object: its key relative to the listed prefix, size and ETag. */
    public record Entry(String key, String name, long size, String etag) {}

    /** A downloaded object. */
    public record Blob(Entry entry, byte[] bytes) {
        public InputStream stream() {
            return new java.io.ByteArrayInputStream(bytes);
        }
    }

    private final S3Client s3;
    private final RangedDownloader downloader;
    private final ExecutorService uploads = Executors.newFixedThreadPool(4,
            Thread.ofPlatform().daemon().name("kiln-s3-put-", 0).factory());

    /** " through the connection 'lake'" (or empty): said in every error, so a wrong connection is easy to spot. */
    private final String through;

    public S3Objects(S3Client s3, int concurrency, long partSize) {
        this(s3, concurrency, partSize, null);
    }

    private S3Objects(S3Client s3, int concurrency, long partSize, String via) {
        this.s3 = s3;
        this.downloader = new RangedDownloader(s3, concurrency, partSize);
        this.through = via == null ? "" : " through " + via;
    }

    /** Through the job's connection for {@code location} (see {@link Connections}). */
    public static S3Objects forLocation(S3Uri location) {
        var connections = Connections.current();
        return new S3Objects(connections.s3(location), RangedDownloader.DEFAULT_CONCURRENCY,
                RangedDownloader.DEFAULT_PART_SIZE, connections.describe(location));
    }

    public RangedDownloader downloader() {
        return downloader;
    }

    /** Every object under the location (a prefix), in key order; an exact key lists just that object. */
    public List<Entry> list(S3Uri location) {
        var result = new ArrayList<Entry>();
        String prefix = location.key();
        try {
            for (var page : s3.listObjectsV2Paginator(b -> b.bucket(location.bucket()).prefix(prefix))) {
                for (var object : page.contents()) {
                    if (object.key().endsWith("/")) {
                        continue; // a folder marker
                    }
                    // Relative to the prefix's folder: "shards/" lists "a.bin", "shards/a" lists "a.bin" too.
                    String name = object.key().substring(prefix.lastIndexOf('/') + 1);
                    result.add(new Entry(object.key(), name, object.size(), object.eTag()));
                }
            }
        } catch (NoSuchBucketException e) {
            throw new StorageException("no bucket '" + location.bucket() + "' (" + location + through + ")", e);
        } catch (S3Exception e) {
            throw new StorageException("listing " + location + through + " failed: " + explain(e), e);
        }
        return result;
    }

    /** One object, whole, through parallel ranged GETs. */
    public byte[] read(S3Uri location) {
        Entry entry = head(location);
        var download = downloader.toBytes(location.bucket(), entry.key(), entry.size(), 0);
        return await(download.result());
    }

    /** The object's size and ETag, or a clear error when there is no such object. */
    public Entry head(S3Uri location) {
        try {
            var head = s3.headObject(b -> b.bucket(location.bucket()).key(location.key()));
            String name = location.key().substring(location.key().lastIndexOf('/') + 1);
            return new Entry(location.key(), name, head.contentLength(), head.eTag());
        } catch (NoSuchKeyException e) {
            throw new StorageException("no object " + location + (through.isEmpty() ? "" : " (read" + through + ")"), e);
        } catch (S3Exception e) {
            if (e.statusCode() == 404) {
                throw new StorageException("no object " + location + " (or no bucket '" + location.bucket() + "')"
                        + (through.isEmpty() ? "" : ", read" + through), e);
            }
            throw new StorageException("reading " + location + through + " failed: " + explain(e), e);
        }
    }

    /**
     * The objects in order, each fetched whole into memory while up to {@code prefetch} more download behind it:
     * the reader's work on one object overlaps the network time of the next.
     */
    public Iterator<Blob> readAll(List<Entry> entries, String bucket, int prefetch) {
        return new Iterator<>() {
            private final ArrayDeque<RangedDownloader.Download<byte[]>> inFlight = new ArrayDeque<>();
            private int next;
            private int handed;

            private void fill() {
                while (next < entries.size() && inFlight.size() <= prefetch) {
                    Entry entry = entries.get(next);
                    inFlight.add(downloader.toBytes(bucket, entry.key(), entry.size(), next));
                    next++;
                }
            }

            @Override
            public boolean hasNext() {
                return handed < entries.size();
            }

            @Override
            public Blob next() {
                if (!hasNext()) {
                    throw new NoSuchElementException();
                }
                fill();
                var download = inFlight.poll();
                downloader.hurry(download);
                byte[] bytes = await(download.result());
                Entry entry = entries.get(handed++);
                fill();
                return new Blob(entry, bytes);
            }
        };
    }

    /** Removes one object; removing one that is not there is fine. */
    public void delete(S3Uri target) {
        try {
            s3.deleteObject(b -> b.bucket(target.bucket()).key(target.key()));
        } catch (NoSuchBucketException e) {
            throw new StorageException("no bucket '" + target.bucket() + "' (" + target + through + ")", e);
        } catch (S3Exception e) {
            throw new StorageException("deleting " + target + through + " failed: " + explain(e), e);
        }
    }

    /** Uploads a file: one PUT when small, else a multipart upload with parts in parallel. */
    public void upload(Path file, S3Uri target) {
        try {
            long size = Files.size(file);
            if (size < MULTIPART_THRESHOLD) {
                s3.putObject(b -> b.bucket(target.bucket()).key(target.key()), RequestBody.fromFile(file));
                return;
            }
            multipart(file, size, target);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (S3Exception e) {
            throw new StorageException("writing " + target + through + " failed: " + explain(e), e);
        }
    }

    /** {@link #upload} in the background, for writers that go on producing while the last file travels. */
    public CompletableFuture<Void> uploadLater(Path file, S3Uri target) {
        return CompletableFuture.runAsync(() -> upload(file, target), uploads);
    }

    private void multipart(Path file, long size, S3Uri target) throws IOException {
        String uploadId = s3.createMultipartUpload(b -> b.bucket(target.bucket()).key(target.key())).uploadId();
        try {
            var parts = new ArrayList<CompletableFuture<CompletedPart>>();
            int count = (int) ((size + UPLOAD_PART_SIZE - 1) / UPLOAD_PART_SIZE);
            for (int i = 0; i < count; i++) {
                int number = i + 1;
                long offset = i * UPLOAD_PART_SIZE;
                long length = Math.min(UPLOAD_PART_SIZE, size - offset);
                // Parts run on the caller's own pool so that uploadLater's threads never wait on themselves.
                parts.add(CompletableFuture.supplyAsync(() -> {
                    byte[] bytes = new byte[(int) length];
                    try (var channel = java.nio.channels.FileChannel.open(file)) {
                        var buffer = java.nio.ByteBuffer.wrap(bytes);
                        while (buffer.hasRemaining()) {
                            if (channel.read(buffer, offset + buffer.position()) < 0) {
                                throw new IOException(file + " shrank while it was uploaded");
                            }
                        }
                    } catch (IOException e) {
                        throw new UncheckedIOException(e);
                    }
                    String etag = s3.uploadPart(b -> b.bucket(target.bucket()).key(target.key()).uploadId(uploadId)
                            .partNumber(number).contentLength(length), RequestBody.fromBytes(bytes)).eTag();
                    return CompletedPart.builder().partNumber(number).eTag(etag).build();
                }, partPool));
            }
            var completed = new ArrayList<CompletedPart>();
            for (var part : parts) {
                completed.add(await(part));
            }
            s3.completeMultipartUpload(b -> b.bucket(target.bucket()).key(target.key()).uploadId(uploadId)
                    .multipartUpload(m -> m.parts(completed)));
        } catch (RuntimeException e) {
            // Nothing half-written stays behind: the parts are discarded and the object never appears.
            try {
                s3.abortMultipartUpload(b -> b.bucket(target.bucket()).key(target.key()).uploadId(uploadId));
            } catch (RuntimeException abort) {
                e.addSuppressed(abort);
            }
            throw e;
        }
    }

    private final ExecutorService partPool = Executors.newFixedThreadPool(4,
            Thread.ofPlatform().daemon().name("kiln-s3-part-", 0).factory());

    /** The future's value; its failure rethrown as the StorageException it carries (or wrapped in one). */
    public static <T> T await(CompletableFuture<T> future) {
        try {
            return future.get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new StorageException("interrupted while reading", e);
        } catch (ExecutionException | CompletionException e) {
            Throwable cause = e.getCause();
            if (cause instanceof RuntimeException runtime) {
                throw runtime;
            }
            throw new StorageException(RangedDownloader.message(cause), cause);
        }
    }

    static String explain(S3Exception e) {
        return switch (e.statusCode()) {
            case 403 -> "access denied (" + e.awsErrorDetails().errorCode() + "); check the connection's credentials "
                    + "and the bucket's policy";
            case 404 -> "not found";
            default -> e.awsErrorDetails() == null ? e.getMessage() : e.awsErrorDetails().errorMessage();
        };
    }

    @Override
    public void close() {
        downloader.close();
        uploads.shutdown();
        partPool.shutdown();
    }
}
