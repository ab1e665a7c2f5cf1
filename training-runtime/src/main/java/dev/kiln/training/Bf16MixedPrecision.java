package dev.kiln.training;

import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.Device;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorOptions;
import org.bytedeco.pytorch.global.torch;
import org.bytedeco.pytorch.global.torch.ScalarType;

import dev.kiln.training.runtime.NativeErrors;

/**
 * {@code bf16-mixed}: fp32 weights, the forward pass under autocast to bfloat16. bf16 has fp32's exponent range, so
 * gradients need no loss scaling.
 */
record Bf16MixedPrecision(Autocast autocast, GradientClipping clipping) implements PrecisionPlugin {
    /** Checks a GPU can compute in bf16 first: older GPUs fail later, deep inside a step, with a worse message. */
    static Bf16MixedPrecision on(Device device, GradientClipping clipping) {
        if (device.is_cuda()) {
            try (var scope = new PointerScope()) {
                Tensor a = torch.ones(new long[] {8, 8}, new TensorOptions(ScalarType.BFloat16))
                        .to(device, ScalarType.BFloat16);
                a.matmul(a).sum().item_double();
            } catch (RuntimeException e) {
                throw new ConfigurationException("precision=bf16-mixed is not supported on " + device.str().getString()
                        + " (" + NativeErrors.firstLine(e) + "): bf16 needs an Ampere or newer GPU (A100, A10G, L4, "
                        + "H100). Use precision=16-mixed or 32.");
            }
        }
        return new Bf16MixedPrecision(new Autocast(device, ScalarType.BFloat16), clipping);
    }

    @Override
    public ForwardContext forwardContext() {
        return autocast.enter();
    }
}
