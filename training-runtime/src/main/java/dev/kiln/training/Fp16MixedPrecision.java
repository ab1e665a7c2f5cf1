package dev.kiln.training;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import org.bytedeco.pytorch.Device;
import org.bytedeco.pytorch.Optimizer;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch.ScalarType;

import dev.kiln.training.optim.GradScaler;

/**
 * {@code 16-mixed}: fp32 weights, the forward pass under autocast to float16, and dynamic loss scaling by its
 * {@link GradScaler}, because fp16's small range flushes small gradients to zero. A step whose gradients overflowed
 * is skipped and the scale backs off; the scale is saved in checkpoints.
 */
final class Fp16MixedPrecision implements PrecisionPlugin {
    private final Autocast autocast;
    private final GradientClipping clipping;
    private final GradScaler scaler;

    Fp16MixedPrecision(Device device, GradientClipping clipping, GradScaler scaler) {
        this.autocast = new Autocast(device, ScalarType.Half);
        this.clipping = clipping;
        this.scaler = scaler;
    }

    @Override
    public ForwardContext forwardContext() {
        return autocast.enter();
    }

    @Override
    public Tensor backwardLoss(Tensor loss) {
        return scaler.scale(loss);
    }

    /** Unscales first, so clipping and the callbacks see the true gradients, and steps only when all are finite. */
    @Override
    public boolean optimizerStep(Optimizer optimizer, List<Tensor> parameters, Runnable beforeStep) {
        var grads = new ArrayList<Tensor>(parameters.size());
        parameters.forEach(p -> grads.add(p.grad()));
        boolean finite = scaler.unscale(grads);
        if (finite) {
            clipping.apply(parameters);
        }
        beforeStep.run();
        if (finite) {
            optimizer.step();
        }
        scaler.update(finite);
        return finite;
    }

    @Override
    public GradientClipping clipping() {
        return clipping;
    }

    @Override
    public Map<String, Object> state() {
        return scaler.state();
    }

    @Override
    public void loadState(Map<String, Object> state) {
        scaler.loadState(state);
    }

    @Override
    public void addTrainMetrics(Map<String, Double> values) {
        values.put("loss_scale", scaler.currentScale());
    }
}
