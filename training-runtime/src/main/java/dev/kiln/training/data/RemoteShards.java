package dev.kiln.training.data;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;

import dev.kiln.training.storage.RangedDownloader;
import dev.kiln.training.storage.S3Objects;
import dev.kiln.training.storage.S3Uri;
import dev.kiln.training.storage.StorageException;

/**
 * A shard directory on S3, mirrored into a local cache as training goes. Opening reads {@code index.json} and starts
 * downloading every shard in order in the background (parallel ranged GETs); a shard the loader asks for before its
 * turn jumps the queue. Shards already in the cache with the same ETag are not fetched again, so the second epoch
 * (and the next job) read from disk. Ranks on one machine share the cache; each fetches what is missing when it
 * opens, into its own part file, and the finished file is moved into place atomically, so no rank ever reads half a
 * shard (a cold cache with N ranks costs N downloads; warm it with one process first when that matters).
 */
final class RemoteShards implements AutoCloseable {
    private final S3Uri location;
    private final S3Objects objects;
    private final Path cache;
    private final Map<String, S3Objects.Entry> listing = new HashMap<>();
    private final Map<String, Pending> downloads = new HashMap<>();
    private final List<String> order = new ArrayList<>();

    private RemoteShards(S3Uri location, S3Objects objects, Path cache) {
        this.location = location;
        this.objects = objects;
        this.cache = cache;
    }

    static Path defaultCache() {
        String configured = System.getenv("KILN_DATA_CACHE");
        if (configured != null && !configured.isBlank()) {
            return Path.of(configured);
        }
        // $HOME first: the JVM's user.home comes from the password database, not from the machine's home volume.
        String home = System.getenv("HOME");
        return Path.of(home != null && !home.isBlank() ? home : System.getProperty("user.home"), ".cache", "kiln", "s3");
    }

    /** Lists the location, fetches the index into the cache and returns it with the shard downloads started. */
    static RemoteShards open(S3Uri location, Path cacheRoot) {
        S3Uri dir = location.asPrefix();
        var objects = S3Objects.forLocation(dir);
        Path cache = cacheRoot.resolve(dir.bucket()).resolve(dir.key());
        var shards = new RemoteShards(dir, objects, cache);
        try {
            Files.createDirectories(cache);
            for (var entry : objects.list(dir)) {
                shards.listing.put(entry.name(), entry);
            }
            if (!shards.listing.containsKey(ShardWriter.INDEX)) {
                throw new DataFormatException(dir + " has no " + ShardWriter.INDEX + ": it is not a shard directory, "
                        + "or the data-prep step that writes it did not finish");
            }
            // The index is small and always re-read: it is what says which shards make up the dataset now.
            Files.write(cache.resolve(ShardWriter.INDEX), objects.read(dir.resolve(ShardWriter.INDEX)));
        } catch (IOException e) {
            objects.close();
            throw new UncheckedIOException(e);
        } catch (RuntimeException e) {
            objects.close();
            throw e;
        }
        return shards;
    }

    Path indexFile() {
        return cache.resolve(ShardWriter.INDEX);
    }

    /** Starts the background downloads of these shard files, in this order. */
    synchronized void prefetch(List<String> files) {
        for (String file : files) {
            S3Objects.Entry entry = listing.get(file);
            if (entry == null) {
                throw new DataFormatException(location + ShardWriter.INDEX + " lists " + file + " but it is missing");
            }
            order.add(file);
            if (!isCached(file, entry)) {
                downloads.put(file, start(file, entry, order.size()));
            }
        }
    }

    /** The shard's local file, waiting for (and hurrying) its download if it is not there yet. */
    Path await(String file) {
        Pending pending;
        synchronized (this) {
            pending = downloads.get(file);
        }
        if (pending != null) {
            objects.downloader().hurry(pending.download());
            try {
                pending.placed().join();
            } catch (java.util.concurrent.CompletionException e) {
                throw e.getCause() instanceof RuntimeException runtime ? runtime : e;
            }
            synchronized (this) {
                downloads.remove(file);
            }
        }
        return cache.resolve(file);
    }

    private boolean isCached(String file, S3Objects.Entry entry) {
        try {
            Path etag = cache.resolve(file + ".etag");
            return Files.isRegularFile(cache.resolve(file)) && Files.isRegularFile(etag)
                    && Files.readString(etag).equals(entry.etag()) && Files.size(cache.resolve(file)) == entry.size();
        } catch (IOException e) {
            return false;
        }
    }

    private Pending start(String file, S3Objects.Entry entry, long priority) {
        Path part = cache.resolve(file + ".part-" + ProcessHandle.current().pid());
        var download = objects.downloader().toFile(location.bucket(), entry.key(), entry.size(), part, priority);
        return new Pending(download, download.result().thenApply(done -> publish(file, entry, part)));
    }

    /** A shard on its way: the download (to hurry it) and the file once it is in place. */
    private record Pending(RangedDownloader.Download<Path> download, CompletableFuture<Path> placed) {}

    /** Moves a finished part file into place with its ETag; a rank that finishes later replaces it with the same bytes. */
    private Path publish(String file, S3Objects.Entry entry, Path part) {
        Path target = cache.resolve(file);
        try {
            Files.move(part, target, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
            Files.writeString(cache.resolve(file + ".etag"), entry.etag());
            return target;
        } catch (IOException e) {
            throw new StorageException("cannot place " + file + " in the data cache " + cache + ": " + e.getMessage(), e);
        }
    }

    @Override
    public void close() {
        objects.close();
    }
}
