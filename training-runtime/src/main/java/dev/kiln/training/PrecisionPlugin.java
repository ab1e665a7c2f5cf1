package dev.kiln.training;

import java.util.List;
import java.util.Map;

import org.bytedeco.pytorch.Device;
import org.bytedeco.pytorch.Optimizer;
import org.bytedeco.pytorch.Tensor;

import dev.kiln.training.optim.GradScaler;

/**
 * What a {@link Precision} changes in a step, as Lightning's precision plugins: the autocast around the forward
 * pass, the tensor backward runs on, and the optimizer step. The loops call only this, so a new precision is a new
 * implementation, not new branches in the loops.
 */
interface PrecisionPlugin {
    /** Entered around every training, validation and test step; closing it ends the step's autocast. */
    ForwardContext forwardContext();

    /** The tensor to call backward on. */
    default Tensor backwardLoss(Tensor loss) {
        return loss;
    }

    /**
     * The optimizer step on gradients that are already reduced across ranks: clipping, then {@code beforeStep} (the
     * callbacks' last look), then the step. Returns whether the optimizer stepped.
     */
    default boolean optimizerStep(Optimizer optimizer, List<Tensor> parameters, Runnable beforeStep) {
        clipping().apply(parameters);
        beforeStep.run();
        optimizer.step();
        return true;
    }

    GradientClipping clipping();

    /** State saved in checkpoints (empty when there is none), and given back on resume. */
    default Map<String, Object> state() {
        return Map.of();
    }

    default void loadState(Map<String, Object> state) {}

    /** Adds this precision's figures to a train metrics line. */
    default void addTrainMetrics(Map<String, Double> values) {}

    static PrecisionPlugin of(Precision precision, Device device, GradientClipping clipping) {
        return switch (precision) {
            case FP32 -> new TruePrecision(clipping);
            case BF16_MIXED -> Bf16MixedPrecision.on(device, clipping);
            case FP16_MIXED -> new Fp16MixedPrecision(device, clipping, new GradScaler());
        };
    }

    /** A try-with-resources scope whose close throws nothing. */
    interface ForwardContext extends AutoCloseable {
        @Override
        void close();
    }
}
