package dev.kiln.training.optim;

import java.util.List;
import java.util.Map;

import org.bytedeco.pytorch.Scalar;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;
import org.bytedeco.pytorch.global.torch.ScalarType;

/**
 * Dynamic loss scaling for {@code 16-mixed} precision, as PyTorch's {@code GradScaler} (libtorch's C++ API has none):
 * the loss is multiplied by a large scale so small fp16 gradients do not flush to zero; before the optimizer step the
 * gradients are divided back, and a step whose gradients overflowed is skipped and the scale halved. After
 * {@code growthInterval} clean steps the scale doubles.
 */
public final class GradScaler {
    private double scale;
    private final double growthFactor;
    private final double backoffFactor;
    private final int growthInterval;
    private int cleanSteps;
    private long skippedSteps;

    public GradScaler() {
        this(65536.0, 2.0, 0.5, 2000);
    }

    public GradScaler(double initialScale, double growthFactor, double backoffFactor, int growthInterval) {
        this.scale = initialScale;
        this.growthFactor = growthFactor;
        this.backoffFactor = backoffFactor;
        this.growthInterval = growthInterval;
    }

    public Tensor scale(Tensor loss) {
        return loss.mul(new Scalar(scale));
    }

    /**
     * Divides every gradient by the scale and says whether all of them are finite (one device sync for all).
     * Returns false when the step must be skipped.
     */
    public boolean unscale(List<Tensor> grads) {
        Tensor sumOfSquares = null;
        var inverse = new Scalar(1.0 / scale);
        for (Tensor grad : grads) {
            if (grad == null || !grad.defined()) {
                continue;
            }
            grad.mul_(inverse);
            Tensor squares = grad.to(ScalarType.Float).pow(new Scalar(2)).sum();
            sumOfSquares = sumOfSquares == null ? squares : sumOfSquares.add(squares);
        }
        return sumOfSquares == null || torch.isfinite(sumOfSquares).item_bool();
    }

    /** Adjusts the scale after a step: backs off on overflow, grows after a run of clean steps. */
    public void update(boolean finite) {
        if (!finite) {
            scale *= backoffFactor;
            cleanSteps = 0;
            skippedSteps++;
        } else if (++cleanSteps >= growthInterval) {
            scale *= growthFactor;
            cleanSteps = 0;
        }
    }

    public double currentScale() {
        return scale;
    }

    public long skippedSteps() {
        return skippedSteps;
    }

    public Map<String, Object> state() {
        return Map.of("scale", scale, "cleanSteps", cleanSteps, "skippedSteps", skippedSteps);
    }

    public void loadState(Map<String, Object> state) {
        scale = ((Number) state.get("scale")).doubleValue();
        cleanSteps = ((Number) state.get("cleanSteps")).intValue();
        skippedSteps = ((Number) state.get("skippedSteps")).longValue();
    }
}
