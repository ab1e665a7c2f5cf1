package dev.kiln.training.data;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.bytedeco.pytorch.Tensor;

import dev.kiln.training.Batch;
import dev.kiln.training.checkpoint.CheckpointException;
import dev.kiln.training.checkpoint.Safetensors;
import dev.kiln.training.runtime.Tensors;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * Rows from the shards a {@link ShardWriter} wrote, from a local directory or an {@code s3://} location. Shards load
 * on first use and a few stay cached, so a loader that reads block by block (see {@link Dataset#blockSize()}) touches
 * each shard once per epoch. From S3, shards stream into a local cache in the background (see {@link RemoteShards}).
 */
public final class ShardedDataset implements Dataset, AutoCloseable {
    private static final int CACHED_SHARDS = 4;

    private final String dir;
    private final List<String> names;
    private final List<String> files = new ArrayList<>();
    private java.util.function.Function<String, Path> locate;
    private RemoteShards remote;
    private final java.util.BitSet checked = new java.util.BitSet();
    private final long[] starts;
    private final long size;
    private final long typicalShardRows;
    private final Map<Integer, List<Tensor>> cache = new LinkedHashMap<>(8, 0.75f, true);

    private ShardedDataset(String dir, List<String> names, List<Long> rows) {
        this.dir = dir;
        this.names = names;
        this.starts = new long[rows.size() + 1];
        for (int i = 0; i < rows.size(); i++) {
            starts[i + 1] = starts[i] + rows.get(i);
        }
        this.size = starts[rows.size()];
        this.typicalShardRows = rows.isEmpty() ? 0 : rows.getFirst();
    }

    /** Opens a shard directory and checks every shard's header against the index before any training starts. */
    public static ShardedDataset open(Path dir) {
        Path indexFile = dir.resolve(ShardWriter.INDEX);
        if (!Files.isRegularFile(indexFile)) {
            throw new DataFormatException(dir + " has no " + ShardWriter.INDEX
                    + ": it is not a shard directory, or the data-prep step that writes it did not finish");
        }
        var result = fromIndex(dir.toString(), indexFile);
        result.locate = dir::resolve;
        for (int i = 0; i < result.files.size(); i++) {
            result.checkHeader(i);
        }
        return result;
    }

    /**
     * A local directory or an {@code s3://bucket/prefix} location (read with the job's connection for that bucket;
     * see {@link dev.kiln.training.storage.Connections}). Remote shards are checked as they arrive.
     */
    public static ShardedDataset open(String location) {
        return open(location, RemoteShards.defaultCache());
    }

    /** As {@link #open(String)}, with remote shards cached under {@code cache}. */
    public static ShardedDataset open(String location, Path cache) {
        if (!dev.kiln.training.storage.S3Uri.is(location)) {
            return open(Path.of(location));
        }
        var remote = RemoteShards.open(dev.kiln.training.storage.S3Uri.parse(location), cache);
        try {
            var result = fromIndex(location, remote.indexFile());
            remote.prefetch(result.files);
            result.remote = remote;
            result.locate = remote::await;
            return result;
        } catch (RuntimeException e) {
            remote.close();
            throw e;
        }
    }

    private static ShardedDataset fromIndex(String dir, Path indexFile) {
        JsonNode index;
        try {
            index = JsonMapper.shared().readTree(indexFile.toFile());
        } catch (RuntimeException e) {
            throw new DataFormatException(indexFile + " is not valid JSON: " + e.getMessage());
        }
        if (!ShardWriter.FORMAT.equals(index.path("format").asString())) {
            throw new DataFormatException(indexFile + " has format '" + index.path("format").asString()
                    + "', expected '" + ShardWriter.FORMAT + "'");
        }
        var names = new ArrayList<String>();
        index.path("names").forEach(n -> names.add(n.asString()));
        var rows = new ArrayList<Long>();
        var dataset = new ArrayList<String>();
        for (JsonNode shard : index.path("shards")) {
            String file = shard.path("file").asString();
            if (file.contains("/") || file.contains("\\") || file.startsWith(".")) {
                throw new DataFormatException(indexFile + " lists a shard outside its directory: " + file);
            }
            rows.add(shard.path("rows").asLong());
            dataset.add(file);
        }
        var result = new ShardedDataset(dir, List.copyOf(names), rows);
        result.files.addAll(dataset);
        return result;
    }

    private final Map<String, String> firstShapes = new LinkedHashMap<>();

    /** The shard's header against the index: every name present, the row count, the same row shape as the others. */
    private synchronized void checkHeader(int i) {
        if (checked.get(i)) {
            return;
        }
        Path file = locate.apply(files.get(i));
        if (!Files.isRegularFile(file)) {
            throw new DataFormatException(dir + "/" + ShardWriter.INDEX + " lists " + files.get(i)
                    + " but it is missing");
        }
        Safetensors.Header header;
        try {
            header = Safetensors.readHeader(file);
        } catch (CheckpointException e) {
            throw new DataFormatException(e.getMessage());
        }
        long rows = starts[i + 1] - starts[i];
        for (String name : names) {
            var entry = header.entry(name);
            if (entry == null) {
                throw new DataFormatException(file + " has no tensor '" + name + "'; it has "
                        + header.entries());
            }
            if (entry.shape().length == 0 || entry.shape()[0] != rows) {
                throw new DataFormatException(file + ": tensor '" + name + "' has shape "
                        + Arrays.toString(entry.shape()) + " but the index says the shard has " + rows + " rows");
            }
            String rowShape = entry.dtype() + Arrays.toString(Arrays.copyOfRange(entry.shape(), 1, entry.shape().length));
            String first = firstShapes.putIfAbsent(name, rowShape);
            if (first != null && !first.equals(rowShape)) {
                throw new DataFormatException(file + ": tensor '" + name + "' rows are " + rowShape
                        + " but earlier shards have " + first);
            }
        }
        checked.set(i);
    }

    @Override
    public long size() {
        return size;
    }

    @Override
    public long blockSize() {
        return typicalShardRows;
    }

    public List<String> names() {
        return names;
    }

    @Override
    public Batch get(long[] indices) {
        // Group consecutive indices by shard so each shard is gathered with one index_select.
        var parts = new ArrayList<List<Tensor>>();
        int i = 0;
        while (i < indices.length) {
            int shard = shardOf(indices[i]);
            int j = i;
            while (j < indices.length && shardOf(indices[j]) == shard) {
                j++;
            }
            long[] local = new long[j - i];
            for (int k = i; k < j; k++) {
                local[k - i] = indices[k] - starts[shard];
            }
            Tensor index = Tensors.fromLongs(local, local.length);
            var rows = new ArrayList<Tensor>();
            for (Tensor tensor : shard(shard)) {
                rows.add(tensor.index_select(0, index));
            }
            parts.add(rows);
            i = j;
        }
        if (parts.size() == 1) {
            return new Batch(parts.getFirst());
        }
        var joined = new ArrayList<Tensor>();
        for (int t = 0; t < names.size(); t++) {
            var vector = new org.bytedeco.pytorch.TensorVector();
            for (List<Tensor> part : parts) {
                vector.push_back(part.get(t));
            }
            joined.add(org.bytedeco.pytorch.global.torch.cat(vector, 0));
        }
        return new Batch(joined);
    }

    private int shardOf(long row) {
        if (row < 0 || row >= size) {
            throw new IndexOutOfBoundsException("row " + row + " of " + size);
        }
        int found = Arrays.binarySearch(starts, row);
        return found >= 0 ? found : -found - 2;
    }

    private List<Tensor> shard(int shard) {
        synchronized (cache) {
            List<Tensor> cached = cache.get(shard);
            if (cached != null) {
                return cached;
            }
        }
        checkHeader(shard);
        var all = Safetensors.read(locate.apply(files.get(shard)));
        var tensors = new ArrayList<Tensor>();
        for (String name : names) {
            // Loaded inside a training step's PointerScope, the shard would be freed at the step's end while still
            // cached: the cache holds its own reference and drops it on eviction.
            Tensor tensor = all.get(name);
            tensor.retainReference();
            tensors.add(tensor);
        }
        synchronized (cache) {
            List<Tensor> raced = cache.putIfAbsent(shard, tensors);
            if (raced != null) {
                tensors.forEach(Tensor::releaseReference);
                return raced;
            }
            while (cache.size() > CACHED_SHARDS) {
                var eldest = cache.keySet().iterator().next();
                cache.remove(eldest).forEach(Tensor::releaseReference);
            }
        }
        return tensors;
    }

    /** Stops background downloads of a remote dataset; local datasets hold nothing to close. */
    @Override
    public void close() {
        if (remote != null) {
            remote.close();
        }
    }
}
