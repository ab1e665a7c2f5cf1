package dev.kiln.training;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.file.Path;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import dev.kiln.training.examples.CharLm;
import dev.kiln.training.examples.ImageData;
import dev.kiln.training.examples.MlpClassifier;
import dev.kiln.training.examples.SmallCnn;

/** The examples really learn, on CPU, in seconds: the figures a user would check first. */
class ExamplesLearnTest {
    @TempDir
    Path dir;

    static TrainerConfig.Builder quiet(Path dir) {
        return Trainer.builder().accelerator(Accelerator.CPU).rootDir(dir).progressBar(false)
                .metricsChannel(dir.resolve("metrics.jsonl").toString()).verbose(false);
    }

    @Test
    void mlpClassifierReachesNinetyThreePercent() {
        var model = new MlpClassifier();
        try (var trainer = quiet(dir).maxEpochs(4).seed(1).build()) {
            trainer.fit(model, new ImageData());
            System.out.println("MLP: " + trainer.callbackMetrics());
            assertThat(trainer.callbackMetrics().get("val_acc")).isGreaterThan(0.93);
            var test = trainer.test(model, new ImageData());
            assertThat(test.get("test_acc")).isGreaterThan(0.93);
        }
    }

    @Test
    void smallCnnReachesNinetyFivePercent() {
        try (var trainer = quiet(dir).maxEpochs(3).seed(1).build()) {
            trainer.fit(new SmallCnn(), new ImageData());
            System.out.println("CNN: " + trainer.callbackMetrics());
            assertThat(trainer.callbackMetrics().get("val_acc")).isGreaterThan(0.95);
        }
    }

    @Test
    void characterLanguageModelGetsBelowHalfANat() throws Exception {
        Path corpus = CharLm.writeCorpus(dir.resolve("corpus.txt"), 1500, 5);
        var data = new CharLm.Data(corpus);
        // A uniform guess over the 25 characters costs ln(25) = 3.2 nats; inside words the next character is
        // certain, so only word choices cost anything once the model has learned the grammar.
        try (var trainer = quiet(dir).maxEpochs(3).seed(1).build()) {
            trainer.fit(new CharLm(data.vocabularySize()), data);
            System.out.println("CharLm: " + trainer.callbackMetrics() + " vocabulary " + data.vocabularySize());
            assertThat(trainer.callbackMetrics().get("val_loss")).isLessThan(0.5);
        }
    }
}
