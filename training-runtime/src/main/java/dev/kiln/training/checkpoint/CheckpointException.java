package dev.kiln.training.checkpoint;

import dev.kiln.training.TrainingException;

/** A checkpoint that cannot be read or does not fit the model; the message names the file and what is wrong. */
public class CheckpointException extends TrainingException {
    public CheckpointException(String message) {
        super(message);
    }

    public CheckpointException(String message, Throwable cause) {
        super(message, cause);
    }
}
