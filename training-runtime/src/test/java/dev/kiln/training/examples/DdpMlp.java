package dev.kiln.training.examples;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

import org.bytedeco.pytorch.Tensor;

import dev.kiln.training.Batch;
import dev.kiln.training.Trainer;
import dev.kiln.training.TrainingModule;
import dev.kiln.training.callbacks.Callback;
import dev.kiln.training.checkpoint.CheckpointIO;
import dev.kiln.training.checkpoint.Safetensors;

/**
 * The MLP as a `kiln-train` worker in the DDP tests: at the end every rank writes its own weights and metrics under
 * {@code KILN_TEST_OUT}, so the test can compare ranks. {@code KILN_TEST_STEP_DELAY_MS} slows steps down so a test can
 * kill a rank mid-run.
 */
public class DdpMlp extends MlpClassifier implements Callback {
    private final long delayMillis = Long.parseLong(System.getenv().getOrDefault("KILN_TEST_STEP_DELAY_MS", "0"));

    @Override
    public Tensor trainingStep(Batch batch, long batchIdx) {
        if (delayMillis > 0) {
            try {
                Thread.sleep(delayMillis);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        return super.trainingStep(batch, batchIdx);
    }

    @Override
    public void onFitEnd(Trainer trainer, TrainingModule module) {
        Path out = Path.of(System.getenv("KILN_TEST_OUT"));
        try {
            Files.createDirectories(out);
            Safetensors.write(out.resolve("rank-" + trainer.rank() + ".safetensors"), CheckpointIO.stateDict(this),
                    Map.of("val_acc", String.valueOf(trainer.callbackMetrics().get("val_acc")),
                            "steps", String.valueOf(trainer.globalStep())));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
