package dev.kiln.training;

/** A failure during training that the user can act on; the message says what happened and what to change. */
public class TrainingException extends RuntimeException {
    public TrainingException(String message) {
        super(message);
    }

    public TrainingException(String message, Throwable cause) {
        super(message, cause);
    }
}
