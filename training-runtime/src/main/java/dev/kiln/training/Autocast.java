package dev.kiln.training;

import org.bytedeco.pytorch.Device;
import org.bytedeco.pytorch.global.torch;
import org.bytedeco.pytorch.global.torch.DeviceType;
import org.bytedeco.pytorch.global.torch.ScalarType;

/**
 * libtorch's autocast to one dtype on one device type, as a forward context. The dtype is set on every entry
 * because it is per thread and another Trainer in this thread may have changed it.
 */
final class Autocast implements PrecisionPlugin.ForwardContext {
    private final DeviceType type;
    private final ScalarType dtype;

    Autocast(Device device, ScalarType dtype) {
        this.type = device.is_cuda() ? DeviceType.CUDA : DeviceType.CPU;
        this.dtype = dtype;
    }

    Autocast enter() {
        torch.set_autocast_dtype(type, dtype);
        torch.set_autocast_enabled(type, true);
        return this;
    }

    @Override
    public void close() {
        torch.set_autocast_enabled(type, false);
    }
}
