package dev.kiln.training;

import java.util.List;

import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorVector;
import org.bytedeco.pytorch.global.torch;

/** Gradient clipping as configured ({@code gradientClipVal}, {@code gradientClipAlgorithm}); a value of 0 is off. */
record GradientClipping(double value, TrainerConfig.ClipAlgorithm algorithm) {
    static GradientClipping of(TrainerConfig config) {
        return new GradientClipping(config.gradientClipVal(), config.gradientClipAlgorithm());
    }

    /** Clips the gradients of {@code parameters} in place; they must be unscaled (see {@link PrecisionPlugin}). */
    void apply(List<Tensor> parameters) {
        if (value <= 0) {
            return;
        }
        var vector = new TensorVector(parameters.toArray(new Tensor[0]));
        if (algorithm == TrainerConfig.ClipAlgorithm.VALUE) {
            torch.clip_grad_value_(vector, value);
        } else {
            torch.clip_grad_norm_(vector, value);
        }
    }
}
