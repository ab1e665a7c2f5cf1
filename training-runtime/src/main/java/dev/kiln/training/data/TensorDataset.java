package dev.kiln.training.data;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import org.bytedeco.pytorch.Tensor;

import dev.kiln.training.Batch;
import dev.kiln.training.runtime.Tensors;

/** In-memory tensors that share their first dimension, as PyTorch's {@code TensorDataset}. */
public final class TensorDataset implements Dataset {
    private final List<Tensor> tensors;
    private final long size;

    public TensorDataset(Tensor... tensors) {
        if (tensors.length == 0) {
            throw new IllegalArgumentException("a TensorDataset needs at least one tensor");
        }
        this.size = tensors[0].size(0);
        for (int i = 1; i < tensors.length; i++) {
            if (tensors[i].size(0) != size) {
                throw new IllegalArgumentException("tensor " + i + " has " + tensors[i].size(0)
                        + " rows but tensor 0 has " + size + " (shapes " + Arrays.toString(Tensors.shape(tensors[0]))
                        + " and " + Arrays.toString(Tensors.shape(tensors[i])) + ")");
            }
        }
        this.tensors = List.of(tensors);
    }

    @Override
    public long size() {
        return size;
    }

    @Override
    public Batch get(long[] indices) {
        Tensor index = Tensors.fromLongs(indices, indices.length);
        var rows = new ArrayList<Tensor>(tensors.size());
        for (Tensor tensor : tensors) {
            rows.add(tensor.index_select(0, index));
        }
        return new Batch(rows);
    }

    public List<Tensor> tensors() {
        return tensors;
    }
}
