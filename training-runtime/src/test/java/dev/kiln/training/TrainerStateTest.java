package dev.kiln.training;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

import org.bytedeco.pytorch.LinearImpl;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import dev.kiln.training.checkpoint.CheckpointException;
import dev.kiln.training.checkpoint.CheckpointIO;

/** The checkpoint's trainer state survives its trip through trainer.json, and the loop's position moves as it should. */
class TrainerStateTest {
    @TempDir
    Path dir;

    private TrainerState roundTrip(TrainerState state) {
        Path checkpoint = dir.resolve("checkpoint");
        try {
            CheckpointIO.save(checkpoint, new LinearImpl(2, 1), null, state.toMap());
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
        return TrainerState.fromMap(CheckpointIO.readTrainerState(checkpoint));
    }

    @Test
    void everyPartComesBackFromTrainerJson() {
        var callbacks = new LinkedHashMap<String, Map<String, Object>>();
        callbacks.put("EarlyStopping[val_loss]", Map.of("best", 0.25, "wait", 1));
        var state = new TrainerState(new LoopProgress(45, 1, 13), 32, 2, "16-mixed", 3L,
                Map.of("lastStep", 45, "lr", 0.0025), Map.of("scale", 32768.0, "cleanSteps", 7, "skippedSteps", 2),
                callbacks, Map.of("val_loss", 0.25, "loss", 0.5));

        assertThat(roundTrip(state)).isEqualTo(state);
    }

    @Test
    void absentPartsStayAbsent() {
        var state = new TrainerState(new LoopProgress(3, 0, 3), 8, 1, "32", null, null, null, Map.of(), Map.of());
        assertThat(state.toMap()).doesNotContainKeys("scheduler", "grad_scaler").containsEntry("batch_in_epoch", 3L);

        assertThat(roundTrip(state)).isEqualTo(state);
    }

    @Test
    void aTrainerJsonWithoutItsPositionIsRefusedByName() {
        var written = new LinkedHashMap<>(new TrainerState(LoopProgress.START, 8, 1, "32", null, null, null, Map.of(),
                Map.of()).toMap());
        written.remove("batch_in_epoch");
        assertThatThrownBy(() -> TrainerState.fromMap(written)).isInstanceOf(CheckpointException.class)
                .hasMessageContaining("no number 'batch_in_epoch'");
    }

    @Test
    void progressCountsBatchesAndStepsAndMovesToTheNextEpochOnlyWhenOneIsDone() {
        var progress = LoopProgress.START.batchDone(0).stepped().batchDone(1).batchDone(2).stepped();
        assertThat(progress).isEqualTo(new LoopProgress(2, 0, 3));
        assertThat(progress.epochDone(4)).isFalse();
        assertThat(progress.nextEpochIfDone(4)).isSameAs(progress);
        assertThat(progress.batchDone(3).nextEpochIfDone(4)).isEqualTo(new LoopProgress(2, 1, 0));
    }
}
