package dev.kiln.training;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.util.List;

import org.bytedeco.pytorch.Device;
import org.bytedeco.pytorch.SGD;
import org.bytedeco.pytorch.SGDOptions;
import org.bytedeco.pytorch.Scalar;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorVector;
import org.bytedeco.pytorch.global.torch;
import org.bytedeco.pytorch.global.torch.ScalarType;
import org.junit.jupiter.api.Test;

import dev.kiln.training.optim.GradScaler;
import dev.kiln.training.runtime.Tensors;

/** What each precision does to a step, on the CPU (16-mixed's scaler logic does not depend on the device). */
class PrecisionPluginTest {
    private static final Device CPU = new Device("cpu");
    private static final GradientClipping NO_CLIPPING = new GradientClipping(0, TrainerConfig.ClipAlgorithm.NORM);

    private static Tensor weights() {
        return Tensors.fromFloats(new float[] {1f, 1f}, 2).requires_grad_(true);
    }

    @Test
    void sixteenMixedSkipsAStepWhoseGradientsOverflowedAndBacksOff() {
        var plugin = new Fp16MixedPrecision(CPU, NO_CLIPPING, new GradScaler(1024, 2, 0.5, 3));
        Tensor w = weights();
        var sgd = new SGD(new TensorVector(w), new SGDOptions(0.1));
        // Finite loss, but its gradient times the scale (1e36 x 1024) is beyond fp32's range.
        plugin.backwardLoss(w.mul(new Scalar(1e36)).sum()).backward();
        int[] lastLooks = new int[1];

        boolean stepped = plugin.optimizerStep(sgd, List.of(w), () -> lastLooks[0]++);

        assertThat(stepped).isFalse();
        assertThat(Tensors.toFloats(w)).containsExactly(1f, 1f);
        assertThat(lastLooks[0]).as("callbacks still see the skipped step").isEqualTo(1);
        assertThat(plugin.state()).containsEntry("scale", 512.0).containsEntry("skippedSteps", 1L);
        var values = new java.util.LinkedHashMap<String, Double>();
        plugin.addTrainMetrics(values);
        assertThat(values).containsEntry("loss_scale", 512.0);
    }

    @Test
    void sixteenMixedUnscalesBeforeClippingAndStepping() {
        var clipByValue = new GradientClipping(0.5, TrainerConfig.ClipAlgorithm.VALUE);
        var plugin = new Fp16MixedPrecision(CPU, clipByValue, new GradScaler(1024, 2, 0.5, 3));
        Tensor w = weights();
        var sgd = new SGD(new TensorVector(w), new SGDOptions(0.1));
        plugin.backwardLoss(w.sum()).backward(); // gradient 1 per weight, 1024 once scaled
        assertThat(Tensors.toFloats(w.grad())).containsExactly(1024f, 1024f);
        float[][] seenByCallbacks = new float[1][];

        boolean stepped = plugin.optimizerStep(sgd, List.of(w), () -> seenByCallbacks[0] = Tensors.toFloats(w.grad()));

        assertThat(stepped).isTrue();
        // Unscaled to 1, clipped to 0.5, then the step: clipping the scaled gradient would have left w near 1.
        assertThat(seenByCallbacks[0]).containsExactly(0.5f, 0.5f);
        assertThat(Tensors.toFloats(w)[0]).isCloseTo(0.95f, within(1e-6f));
        assertThat(plugin.state()).containsEntry("scale", 1024.0).containsEntry("cleanSteps", 1);
    }

    @Test
    void sixteenMixedStateComesBackOnResume() {
        var plugin = new Fp16MixedPrecision(CPU, NO_CLIPPING, new GradScaler());
        plugin.loadState(java.util.Map.of("scale", 256.0, "cleanSteps", 7, "skippedSteps", 3));
        assertThat(plugin.backwardLoss(Tensors.fromFloats(new float[] {2f}, 1)).item_float()).isEqualTo(512f);
        assertThat(plugin.state()).containsEntry("cleanSteps", 7).containsEntry("skippedSteps", 3L);
    }

    @Test
    void bf16MixedAutocastsTheForwardPassAndOnlyIt() {
        PrecisionPlugin plugin = PrecisionPlugin.of(Precision.BF16_MIXED, CPU, NO_CLIPPING);
        Tensor a = torch.ones(new long[] {4, 4});
        try (var context = plugin.forwardContext()) {
            assertThat(a.matmul(a).scalar_type().intern()).isEqualTo(ScalarType.BFloat16);
        }
        assertThat(a.matmul(a).scalar_type().intern()).isEqualTo(ScalarType.Float);
        assertThat(plugin.state()).isEmpty();
        Tensor loss = a.sum();
        assertThat(plugin.backwardLoss(loss)).isSameAs(loss);
    }

    @Test
    void thirtyTwoChangesNothingButClipsWhenAsked() {
        var clipByValue = new GradientClipping(0.25, TrainerConfig.ClipAlgorithm.VALUE);
        PrecisionPlugin plugin = PrecisionPlugin.of(Precision.FP32, CPU, clipByValue);
        Tensor w = weights();
        var sgd = new SGD(new TensorVector(w), new SGDOptions(1.0));
        Tensor loss = w.sum();
        try (var context = plugin.forwardContext()) {
            assertThat(w.mul(w).scalar_type().intern()).isEqualTo(ScalarType.Float);
        }
        plugin.backwardLoss(loss).backward();

        assertThat(plugin.optimizerStep(sgd, List.of(w), () -> {})).isTrue();

        assertThat(Tensors.toFloats(w)).containsExactly(0.75f, 0.75f);
        assertThat(plugin.state()).isEmpty();
    }
}
