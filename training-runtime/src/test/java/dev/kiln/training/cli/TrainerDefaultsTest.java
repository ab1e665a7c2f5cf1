package dev.kiln.training.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import dev.kiln.training.TrainerDefaults;
import dev.kiln.training.examples.MlpClassifier;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/** A module's {@code @TrainerDefaults} apply under {@code kiln-train fit}; the command line's options win. */
class TrainerDefaultsTest {
    @TempDir
    Path dir;

    /** Trains for one epoch unless told otherwise. */
    @TrainerDefaults({"max-epochs=1", "progress-bar=false"})
    public static class OneEpochMlp extends MlpClassifier {}

    @Test
    void theModulesDefaultsApplyAndTheCommandLineWins() throws Exception {
        assertThat(epochsRun()).isEqualTo(1);
        assertThat(epochsRun("--trainer.max-epochs=2")).isEqualTo(2);
    }

    private int epochsRun(String... extra) throws Exception {
        Path metrics = dir.resolve("metrics-" + extra.length + ".jsonl");
        var args = new ArrayList<>(List.of("fit", "--module", OneEpochMlp.class.getName(), "--data",
                dev.kiln.training.examples.ImageData.class.getName(), "--trainer.root-dir=" + dir,
                "--trainer.checkpointing=false", "--trainer.metrics=file:" + metrics));
        args.addAll(List.of(extra));
        var out = new ByteArrayOutputStream();
        var print = new PrintStream(out, true, StandardCharsets.UTF_8);
        assertThat(KilnTrain.run(args.toArray(String[]::new), print, print)).as(out.toString(StandardCharsets.UTF_8))
                .isZero();
        JsonNode start = null;
        int epochs = 0;
        for (String line : Files.readAllLines(metrics)) {
            JsonNode json = JsonMapper.shared().readTree(line);
            if (json.path("event").asString().equals("fit_start")) {
                start = json.path("data");
            }
            if (json.path("event").asString().equals("epoch_end")) {
                epochs++;
            }
        }
        assertThat(start).isNotNull();
        assertThat(start.path("max_epochs").asInt()).isEqualTo(epochs);
        return epochs;
    }
}
