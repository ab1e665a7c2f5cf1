package dev.kiln.training;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.bytedeco.pytorch.global.torch.cross_entropy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.stream.Stream;

import org.bytedeco.pytorch.Scalar;
import org.bytedeco.pytorch.Tensor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import dev.kiln.training.checkpoint.CheckpointException;
import dev.kiln.training.checkpoint.CheckpointIO;
import dev.kiln.training.examples.ImageData;
import dev.kiln.training.examples.MlpClassifier;
import dev.kiln.training.examples.SmallCnn;

/** Broken modules, NaN losses and bad checkpoints give clear errors and never leave a half-written checkpoint. */
class BadInputTest {
    @TempDir
    Path dir;

    private Trainer trainer(int maxSteps) {
        return ExamplesLearnTest.quiet(dir).maxSteps(maxSteps).seed(1).build();
    }

    /** The MLP with its training step replaced. */
    static class Broken extends MlpClassifier {
        private final java.util.function.BiFunction<Broken, dev.kiln.training.Batch, Tensor> step;

        Broken(java.util.function.BiFunction<Broken, dev.kiln.training.Batch, Tensor> step) {
            this.step = step;
        }

        @Override
        public Tensor trainingStep(Batch batch, long batchIdx) {
            return step.apply(this, batch);
        }
    }

    @Test
    void aStepThatReturnsNoLoss() {
        try (var trainer = trainer(5)) {
            assertThatThrownBy(() -> trainer.fit(new Broken((m, b) -> null), new ImageData()))
                    .isInstanceOf(TrainingException.class).hasMessageContaining("trainingStep returned no loss");
        }
        assertNoCheckpoints();
    }

    @Test
    void aLossWithoutGradient() {
        try (var trainer = trainer(5)) {
            assertThatThrownBy(() -> trainer.fit(new Broken((m, b) -> cross_entropy(m.forward(b.x()), b.y()).detach()),
                    new ImageData())).hasMessageContaining("has no gradient");
        }
    }

    @Test
    void aLossThatIsNotAScalar() {
        try (var trainer = trainer(5)) {
            assertThatThrownBy(() -> trainer.fit(new Broken((m, b) -> m.forward(b.x())), new ImageData()))
                    .hasMessageContaining("single-value loss").hasMessageContaining("[64, 4]");
        }
    }

    @Test
    void aNanLossStopsByDefaultAndNothingIsSaved() {
        var nanAtStep3 = new Broken((m, b) -> {
            Tensor loss = cross_entropy(m.forward(b.x()), b.y());
            return m.calls++ == 3 ? loss.mul(new Scalar(Double.NaN)) : loss;
        });
        try (var trainer = trainer(10)) {
            assertThatThrownBy(() -> trainer.fit(nanAtStep3, new ImageData()))
                    .hasMessageContaining("The loss is NaN at epoch 0, step 3").hasMessageContaining("last finite loss")
                    .hasMessageContaining("nanPolicy(SKIP_BATCH)");
        }
        assertNoCheckpoints();
    }

    @Test
    void aNanLossCanBeSkipped() {
        var nanAtStep3 = new Broken((m, b) -> {
            Tensor loss = cross_entropy(m.forward(b.x()), b.y());
            return m.calls++ == 3 ? loss.mul(new Scalar(Double.NaN)) : loss;
        });
        try (var trainer = ExamplesLearnTest.quiet(dir).maxSteps(10).nanPolicy(NanPolicy.SKIP_BATCH).build()) {
            trainer.fit(nanAtStep3, new ImageData());
            assertThat(trainer.skippedNonFinite()).isEqualTo(1);
            assertThat(trainer.globalStep()).isEqualTo(10);
            var weights = CheckpointIO.stateDict(nanAtStep3).get("hidden.weight");
            assertThat(weights.isfinite().all().item_bool()).isTrue();
        }
    }

    @Test
    void aCheckpointOfAnotherModelListsEveryDifference() {
        try (var trainer = trainer(3)) {
            trainer.fit(new MlpClassifier(), new ImageData());
        }
        Path last = dir.resolve("checkpoints/last");
        try (var trainer = trainer(6)) {
            assertThatThrownBy(() -> trainer.fit(new SmallCnn(), new ImageData(), last))
                    .isInstanceOf(CheckpointException.class)
                    .hasMessageContaining("does not fit this model")
                    .hasMessageContaining("missing from the checkpoint: conv1.weight [8, 1, 3, 3]")
                    .hasMessageContaining("in the checkpoint but not the model: hidden.weight")
                    .hasMessageContaining("different shapes: out.weight: checkpoint [4, 64], model [4, 144]");
        }
    }

    @Test
    void aCorruptCheckpointIsNamed() throws IOException {
        try (var trainer = trainer(3)) {
            trainer.fit(new MlpClassifier(), new ImageData());
        }
        Path model = dir.resolve("checkpoints/last/model.safetensors");
        byte[] bytes = Files.readAllBytes(model);
        Files.write(model, java.util.Arrays.copyOf(bytes, bytes.length - 100));
        try (var trainer = trainer(6)) {
            assertThatThrownBy(() -> trainer.fit(new MlpClassifier(), new ImageData(), dir.resolve("checkpoints/last")))
                    .isInstanceOf(CheckpointException.class).hasMessageContaining("model.safetensors")
                    .hasMessageContaining("truncated");
        }
        try (var trainer = trainer(6)) {
            assertThatThrownBy(() -> trainer.fit(new MlpClassifier(), new ImageData(), dir.resolve("nowhere")))
                    .hasMessageContaining("No checkpoint at");
        }
    }

    @Test
    void aFailedSaveLeavesNoHalfWrittenCheckpoint() throws IOException {
        var model = new MlpClassifier();
        Path target = dir.resolve("ckpt/epoch=0-step=1");
        // Fails while writing trainer.json, after the weights and optimizer files were written.
        var state = Map.<String, Object>of("step", 1, "bad", new FailsToSerialize());
        assertThatThrownBy(() -> CheckpointIO.save(target, model, null, state)).isNotNull();
        assertThat(target).doesNotExist();
        try (Stream<Path> files = Files.list(dir.resolve("ckpt"))) {
            assertThat(files.toList()).isEmpty();
        }
    }

    public static final class FailsToSerialize {
        public String getValue() {
            throw new IllegalStateException("simulated failure while writing trainer.json");
        }
    }

    private void assertNoCheckpoints() {
        assertThat(dir.resolve("checkpoints")).doesNotExist();
    }
}
