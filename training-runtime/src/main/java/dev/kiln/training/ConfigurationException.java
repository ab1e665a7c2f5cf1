package dev.kiln.training;

/** An impossible Trainer configuration, raised before any work starts. */
public class ConfigurationException extends TrainingException {
    public ConfigurationException(String message) {
        super(message);
    }
}
