package dev.kiln.training.data;

import dev.kiln.training.TrainingException;

/** A data file in the wrong format; the message names the file, the place and what was expected. */
public class DataFormatException extends TrainingException {
    public DataFormatException(String message) {
        super(message);
    }
}
