package dev.kiln.training.data;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import java.util.concurrent.CompletableFuture;

import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorVector;
import org.bytedeco.pytorch.global.torch;

import dev.kiln.training.checkpoint.Safetensors;
import dev.kiln.training.storage.S3Objects;
import dev.kiln.training.storage.S3Uri;

/**
 * Writes a data-prep step's output as shards: {@code shard-00000.safetensors}, ... each holding up to
 * {@code rowsPerShard} rows of every named tensor, and {@code index.json} naming them. The index is written last, by
 * {@link #finish()} (temporary file, then rename), so a prep step that fails or is killed half-way leaves no dataset
 * that looks complete; closing without finishing also removes the shards it wrote.
 * Shards are plain safetensors, so Python can read them too.
 */
public final class ShardWriter implements AutoCloseable {
    static final String INDEX = "index.json";
    static final String FORMAT = "kiln-shards-1";

    private final Path dir;
    private final List<String> names;
    private final long rowsPerShard;
    private final List<List<Tensor>> pending = new ArrayList<>();
    private long pendingRows;
    private final List<Map<String, Object>> shards = new ArrayList<>();
    private long totalRows;
    private boolean closed;

    private ShardWriter(Path dir, List<String> names, long rowsPerShard) {
        this.dir = dir;
        this.names = List.copyOf(names);
        this.rowsPerShard = rowsPerShard;
    }

    private S3Uri remote;
    private S3Objects objects;
    private final List<CompletableFuture<Void>> uploads = new ArrayList<>();

    /**
     * Shards under a local directory or an {@code s3://bucket/prefix} location. To S3, each shard is uploaded (in
     * the background, multipart when large) as soon as it is complete and the index goes up last, once every shard
     * has arrived: readers never see a dataset that is not whole.
     */
    public static ShardWriter create(String location, long rowsPerShard, String... names) throws IOException {
        if (!S3Uri.is(location)) {
            return create(Path.of(location), rowsPerShard, names);
        }
        S3Uri remote = S3Uri.parse(location).asPrefix();
        var objects = S3Objects.forLocation(remote);
        try {
            objects.delete(remote.resolve(INDEX));
        } catch (RuntimeException e) {
            objects.close();
            throw e;
        }
        var writer = create(Files.createTempDirectory("kiln-shards-"), rowsPerShard, names);
        writer.remote = remote;
        writer.objects = objects;
        return writer;
    }

    /** Tensor names in the order {@link #add} receives them, e.g. {@code "x", "y"}. */
    public static ShardWriter create(Path dir, long rowsPerShard, String... names) throws IOException {
        if (rowsPerShard <= 0) {
            throw new IllegalArgumentException("rowsPerShard must be positive");
        }
        Files.createDirectories(dir);
        Files.deleteIfExists(dir.resolve(INDEX));
        return new ShardWriter(dir, Arrays.asList(names), rowsPerShard);
    }

    /** Rows to append: one tensor per name, sharing the first dimension. */
    public void add(Tensor... rows) throws IOException {
        if (rows.length != names.size()) {
            throw new IllegalArgumentException("expected " + names.size() + " tensors " + names + ", got " + rows.length);
        }
        long count = rows[0].size(0);
        var copies = new ArrayList<Tensor>();
        for (Tensor row : rows) {
            if (row.size(0) != count) {
                throw new IllegalArgumentException("all tensors must share the first dimension");
            }
            copies.add(row.detach().cpu().contiguous().clone());
        }
        pending.add(copies);
        pendingRows += count;
        while (pendingRows >= rowsPerShard) {
            flush(rowsPerShard);
        }
    }

    private void flush(long rows) throws IOException {
        try (var scope = new PointerScope()) {
            var joined = new ArrayList<Tensor>();
            for (int t = 0; t < names.size(); t++) {
                var parts = new TensorVector();
                for (List<Tensor> chunk : pending) {
                    parts.push_back(chunk.get(t));
                }
                joined.add(torch.cat(parts, 0));
            }
            var tensors = new LinkedHashMap<String, Tensor>();
            for (int t = 0; t < names.size(); t++) {
                tensors.put(names.get(t), joined.get(t).narrow(0, 0, rows));
            }
            String file = String.format("shard-%05d.safetensors", shards.size());
            Path tmp = dir.resolve(file + ".tmp");
            Safetensors.write(tmp, tensors, Map.of("format", FORMAT));
            Files.move(tmp, dir.resolve(file), StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
            if (remote != null) {
                Path written = dir.resolve(file);
                uploads.add(objects.uploadLater(written, remote.resolve(file)).thenRun(() -> {
                    try {
                        Files.deleteIfExists(written);
                    } catch (IOException ignored) {
                        // a leftover in the temporary directory, removed with it
                    }
                }));
            }
            shards.add(Map.of("file", file, "rows", rows));
            totalRows += rows;
            long rest = pendingRows - rows;
            pending.clear();
            if (rest > 0) {
                var remainder = new ArrayList<Tensor>();
                for (Tensor all : joined) {
                    Tensor tail = all.narrow(0, rows, rest).clone();
                    // detach() drops the scope's reference; retain first so the tail outlives the scope.
                    tail.retainReference();
                    scope.detach(tail);
                    remainder.add(tail);
                }
                pending.add(remainder);
            }
            pendingRows = rest;
        }
    }

    /**
     * Writes the last shard and then the index, which makes the dataset visible to readers. Call it once everything
     * is added; a writer closed without it (the prep step threw half-way) publishes nothing.
     */
    public void finish() throws IOException {
        if (closed) {
            throw new IllegalStateException("this shard writer is already closed");
        }
        closed = true;
        try {
            if (pendingRows > 0) {
                flush(pendingRows);
            }
            var index = new LinkedHashMap<String, Object>();
            index.put("format", FORMAT);
            index.put("names", names);
            index.put("rows", totalRows);
            index.put("shards", shards);
            Path tmp = dir.resolve(INDEX + ".tmp");
            try {
                Files.write(tmp, tools.jackson.databind.json.JsonMapper.shared().writerWithDefaultPrettyPrinter()
                        .writeValueAsBytes(index));
            } catch (RuntimeException e) {
                throw new UncheckedIOException(new IOException(e));
            }
            if (remote != null) {
                for (var upload : uploads) {
                    S3Objects.await(upload);
                }
                objects.upload(tmp, remote.resolve(INDEX));
            } else {
                Files.move(tmp, dir.resolve(INDEX), StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
            }
        } finally {
            releaseRemote();
        }
    }

    /** Without {@link #finish()}: nothing is published, and the shards written so far are removed. */
    @Override
    public void close() throws IOException {
        if (closed) {
            return;
        }
        closed = true;
        pending.clear();
        try {
            if (remote != null) {
                for (var upload : uploads) {
                    upload.exceptionally(e -> null).join();
                }
                for (var shard : shards) {
                    objects.delete(remote.resolve((String) shard.get("file")));
                }
            } else {
                for (var shard : shards) {
                    Files.deleteIfExists(dir.resolve((String) shard.get("file")));
                }
            }
        } finally {
            releaseRemote();
        }
    }

    private void releaseRemote() throws IOException {
        if (remote == null) {
            return;
        }
        objects.close();
        try (var left = Files.list(dir)) {
            for (Path path : left.toList()) {
                Files.deleteIfExists(path);
            }
        }
        Files.deleteIfExists(dir);
    }

    /** Where the shards go: the directory, or the s3:// location they are uploaded to. */
    public String location() {
        return remote != null ? remote.toString() : dir.toString();
    }
}
