package dev.kiln.training;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import dev.kiln.training.checkpoint.CheckpointIO;
import dev.kiln.training.examples.ImageData;
import dev.kiln.training.examples.MlpClassifier;

/**
 * Lightning's sanity check: a few validation batches before training, with {@link Trainer#isSanityCheck()} set,
 * leaving no trace in the metrics, the checkpoints or the random stream.
 */
class SanityCheckTest {
    @TempDir
    Path dir;

    /** The MLP, recording each validation call and drawing random numbers in it, as a sampled metric would. */
    static final class Recording extends MlpClassifier {
        final List<String> calls = new ArrayList<>();

        @Override
        public void validationStep(Batch batch, long batchIdx) {
            calls.add((trainer().isSanityCheck() ? "sanity " : "val ") + trainer().globalStep() + ":" + batchIdx);
            torch.rand(new long[] {16});
            super.validationStep(batch, batchIdx);
        }
    }

    private TrainerConfig.Builder trainer() {
        return ExamplesLearnTest.quiet(dir).seed(1);
    }

    @Test
    void twoValidationBatchesRunBeforeTrainingAndNothingTheyLogIsReported() throws Exception {
        var model = new Recording();
        try (var trainer = trainer().maxEpochs(1).build()) {
            assertThat(trainer.isSanityCheck()).isFalse();
            trainer.fit(model, new ImageData(256, 64)); // 4 training batches; 512 / 128 = 4 validation batches
            assertThat(trainer.isSanityCheck()).isFalse();
        }
        assertThat(model.calls).containsExactly("sanity 0:0", "sanity 0:1", "val 4:0", "val 4:1", "val 4:2", "val 4:3");
        var validateLines = Files.readAllLines(dir.resolve("metrics.jsonl")).stream()
                .filter(line -> line.contains("\"stage\":\"validate\"")).toList();
        assertThat(validateLines).hasSize(1).allMatch(line -> line.contains("\"step\":4"));
    }

    @Test
    void offWithZeroTheWholeSetWithMinusOneAndOffInAFastDevRun() {
        assertThat(sanityCalls(trainer().maxSteps(1).numSanityValSteps(0))).isEmpty();
        assertThat(sanityCalls(trainer().maxSteps(1).numSanityValSteps(-1))).hasSize(4);
        assertThat(sanityCalls(trainer().maxSteps(1).set("num-sanity-val-steps", "3"))).hasSize(3);
        assertThat(sanityCalls(trainer().fastDevRun(true))).isEmpty();
        assertThatThrownBy(() -> trainer().numSanityValSteps(-2).build()).isInstanceOf(ConfigurationException.class)
                .hasMessageContaining("numSanityValSteps must be -1");
    }

    private List<String> sanityCalls(TrainerConfig.Builder builder) {
        var model = new Recording();
        try (var trainer = builder.checkpointing(false).build()) {
            trainer.fit(model, new ImageData(256, 64));
        }
        return model.calls.stream().filter(call -> call.startsWith("sanity")).toList();
    }

    @Test
    void aBrokenValidationStepFailsBeforeTheFirstTrainingStep() {
        var broken = new MlpClassifier() {
            @Override
            public void validationStep(Batch batch, long batchIdx) {
                throw new IllegalStateException("validation is broken");
            }
        };
        try (var trainer = trainer().maxEpochs(3).build()) {
            assertThatThrownBy(() -> trainer.fit(broken, new ImageData())).hasMessage("validation is broken");
            assertThat(trainer.globalStep()).isZero();
            assertThat(trainer.isSanityCheck()).isFalse();
        }
    }

    /** Without the generator put back, the sanity check's draws would shift every dropout mask that follows. */
    @Test
    void trainingDrawsTheSameRandomNumbersWithAndWithoutIt() throws Exception {
        Map<String, Tensor> with = weightsAfterTraining("with", 2);
        Map<String, Tensor> without = weightsAfterTraining("without", 0);
        for (String name : with.keySet()) {
            assertThat(ResumeTest.maxDifference(with.get(name), without.get(name))).as(name).isZero();
        }
    }

    private Map<String, Tensor> weightsAfterTraining(String run, int sanitySteps) {
        try (var trainer = ExamplesLearnTest.quiet(dir.resolve(run)).seed(1).maxSteps(10)
                .numSanityValSteps(sanitySteps).checkpointing(false).build()) {
            var model = new Recording();
            trainer.fit(model, new ImageData(256, 64));
            return CheckpointIO.stateDict(model);
        }
    }
}
