package dev.kiln.training;

import java.util.ArrayList;
import java.util.List;

import org.bytedeco.pytorch.Device;
import org.bytedeco.pytorch.Tensor;

/**
 * One batch from a {@link dev.kiln.training.data.DataLoader}: the dataset's tensors, each with the batch as its first
 * dimension. By convention the first is the input and the second the target, as in PyTorch's
 * {@code x, y = batch}.
 */
public record Batch(List<Tensor> tensors) {
    public Batch {
        tensors = List.copyOf(tensors);
        if (tensors.isEmpty()) {
            throw new IllegalArgumentException("a batch needs at least one tensor");
        }
    }

    public static Batch of(Tensor... tensors) {
        return new Batch(List.of(tensors));
    }

    public Tensor x() {
        return tensors.getFirst();
    }

    public Tensor y() {
        if (tensors.size() < 2) {
            throw new IllegalStateException("this batch has only one tensor, so it has no target (y)");
        }
        return tensors.get(1);
    }

    public Tensor get(int index) {
        return tensors.get(index);
    }

    /** The number of samples: the first dimension of the first tensor. */
    public long size() {
        return tensors.getFirst().size(0);
    }

    public Batch to(Device device) {
        var moved = new ArrayList<Tensor>(tensors.size());
        for (Tensor tensor : tensors) {
            moved.add(tensor.device().type().intern() == device.type().intern() && tensor.device().index() == device.index()
                    ? tensor : tensor.to(device, tensor.scalar_type()));
        }
        return new Batch(moved);
    }
}
