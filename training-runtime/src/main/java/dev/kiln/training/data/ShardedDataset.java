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
 * Rows from the shards a {@link ShardWriter} wrote. Shards load on first use and a few stay cached, so a loader that
 * reads block by block (see {@link Dataset#blockSize()}) touches each shard once per epoch.
 */
public final class ShardedDataset implements Dataset {
    private static final int CACHED_SHARDS = 4;

    private final Path dir;
    private final List<String> names;
    private final List<Path> files = new ArrayList<>();
    private final long[] starts;
    private final long size;
    private final long typicalShardRows;
    private final Map<Integer, List<Tensor>> cache = new LinkedHashMap<>(8, 0.75f, true);

    private ShardedDataset(Path dir, List<String> names, List<Long> rows) {
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
        var dataset = new ArrayList<Path>();
        for (JsonNode shard : index.path("shards")) {
            rows.add(shard.path("rows").asLong());
            dataset.add(dir.resolve(shard.path("file").asString()));
        }
        var result = new ShardedDataset(dir, List.copyOf(names), rows);
        result.files.addAll(dataset);
        result.checkHeaders();
        return result;
    }

    private void checkHeaders() {
        Map<String, String> firstShapes = new LinkedHashMap<>();
        for (int i = 0; i < files.size(); i++) {
            Path file = files.get(i);
            if (!Files.isRegularFile(file)) {
                throw new DataFormatException(dir + "/" + ShardWriter.INDEX + " lists " + file.getFileName()
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
        }
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
        var all = Safetensors.read(files.get(shard));
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
}
