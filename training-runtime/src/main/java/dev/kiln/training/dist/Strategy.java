package dev.kiln.training.dist;

import java.util.List;

import org.bytedeco.pytorch.Device;
import org.bytedeco.pytorch.Module;
import org.bytedeco.pytorch.Tensor;

/**
 * How training is spread over devices and processes: a single device, or data parallel over c10d. The Trainer talks
 * only to this seam, so the training loop is the same on a laptop and on 4 nodes x 8 GPUs.
 */
public interface Strategy extends AutoCloseable {
    int rank();

    int worldSize();

    int localRank();

    Device device();

    default boolean isGlobalZero() {
        return rank() == 0;
    }

    /** Moves the model to this rank's device and makes every rank start from rank 0's weights. */
    void setup(Module module);

    /** Averages gradients across ranks (in place) before the optimizer step. */
    void reduceGradients(List<Tensor> parameters);

    /** Element-wise sum of small vectors across ranks (metrics, stop flags). */
    double[] allReduceSum(double[] values);

    void barrier();

    /** Nanoseconds the last {@link #reduceGradients} spent communicating. */
    long lastReduceNanos();

    @Override
    void close();
}
