package dev.kiln.training;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

import org.bytedeco.pytorch.Tensor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import dev.kiln.training.checkpoint.CheckpointIO;
import dev.kiln.training.checkpoint.Safetensors;
import dev.kiln.training.examples.ImageData;
import dev.kiln.training.examples.MlpClassifier;
import dev.kiln.training.runtime.Tensors;

/**
 * Resume continues exactly: 2N steps straight and N steps, a checkpoint, a fresh process state and N more steps give
 * bit-identical weights. N falls mid-epoch, and the model uses dropout (RNG), Adam (optimizer state) and a step LR
 * schedule, so every part of the checkpoint matters.
 */
class ResumeTest {
    @TempDir
    Path dir;

    @Test
    void twoNStepsEqualNStepsResumeNSteps() throws Exception {
        int n = 45; // 2048 / 64 = 32 batches per epoch: step 45 is inside epoch 1
        Map<String, Tensor> straight = train(dir.resolve("straight"), 2 * n, null);

        train(dir.resolve("first"), n, null);
        Path last = dir.resolve("first/checkpoints/last");
        assertThat(last.resolve(CheckpointIO.MODEL)).exists();
        var state = CheckpointIO.readTrainerState(last);
        assertThat(state).containsEntry("step", n).containsEntry("epoch", 1).containsEntry("batch_in_epoch", 13);

        Map<String, Tensor> resumed = train(dir.resolve("second"), 2 * n, last);

        assertThat(resumed.keySet()).isEqualTo(straight.keySet());
        for (String name : straight.keySet()) {
            assertThat(maxDifference(resumed.get(name), straight.get(name))).as(name).isZero();
        }
        // And the weights really moved: a model that did not train would also be "identical".
        Map<String, Tensor> afterN = Safetensors.read(last.resolve(CheckpointIO.MODEL));
        assertThat(maxDifference(afterN.get("hidden.weight"), straight.get("hidden.weight"))).isGreaterThan(1e-4);
    }

    static double maxDifference(Tensor a, Tensor b) {
        float[] x = Tensors.toFloats(a);
        float[] y = Tensors.toFloats(b);
        assertThat(x.length).isEqualTo(y.length);
        double max = 0;
        for (int i = 0; i < x.length; i++) {
            max = Math.max(max, Math.abs(x[i] - y[i]));
        }
        return max;
    }

    private Map<String, Tensor> train(Path root, int maxSteps, Path resumeFrom) throws Exception {
        MlpClassifier model;
        try (var trainer = ExamplesLearnTest.quiet(root).maxSteps(maxSteps).deterministic(true).seed(3)
                .valCheckInterval(20).build()) {
            model = new MlpClassifier();
            trainer.fit(model, new ImageData(), resumeFrom);
            assertThat(trainer.globalStep()).isEqualTo(maxSteps);
        }
        Path out = root.resolve("final.safetensors");
        Files.createDirectories(root);
        Safetensors.write(out, CheckpointIO.stateDict(model), Map.of());
        return Safetensors.read(out);
    }
}
