package dev.kiln.training.optim;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;

import org.junit.jupiter.api.Test;

import dev.kiln.training.runtime.Tensors;

class GradScalerTest {
    @Test
    void overflowSkipsTheStepAndHalvesTheScale() {
        var scaler = new GradScaler(1024, 2, 0.5, 3);
        var grad = Tensors.fromFloats(new float[] {2048f, Float.POSITIVE_INFINITY}, 2);
        assertThat(scaler.unscale(List.of(grad))).isFalse();
        scaler.update(false);
        assertThat(scaler.currentScale()).isEqualTo(512);
        assertThat(scaler.skippedSteps()).isEqualTo(1);
    }

    @Test
    void unscalesFiniteGradientsAndGrowsAfterCleanSteps() {
        var scaler = new GradScaler(1024, 2, 0.5, 3);
        var grad = Tensors.fromFloats(new float[] {2048f, -512f}, 2);
        assertThat(scaler.unscale(List.of(grad))).isTrue();
        assertThat(Tensors.toFloats(grad)).containsExactly(2f, -0.5f);
        scaler.update(true);
        scaler.update(true);
        assertThat(scaler.currentScale()).isEqualTo(1024);
        scaler.update(true);
        assertThat(scaler.currentScale()).isEqualTo(2048);
    }
}
