package dev.kiln.training.dist;

import java.util.List;

import org.bytedeco.pytorch.Device;
import org.bytedeco.pytorch.Module;
import org.bytedeco.pytorch.Tensor;

/** One process, one device: nothing to communicate. */
public final class SingleDeviceStrategy implements Strategy {
    private final Device device;

    public SingleDeviceStrategy(Device device) {
        this.device = device;
    }

    @Override public int rank() { return 0; }
    @Override public int worldSize() { return 1; }
    @Override public int localRank() { return 0; }
    @Override public Device device() { return device; }

    @Override
    public void setup(Module module) {
        if (!device.is_cpu()) {
            module.to(device, false);
        }
    }

    @Override public void reduceGradients(List<Tensor> parameters) {}
    @Override public double[] allReduceSum(double[] values) { return values.clone(); }
    @Override public void barrier() {}
    @Override public long lastReduceNanos() { return 0; }
    @Override public void close() {}
}
