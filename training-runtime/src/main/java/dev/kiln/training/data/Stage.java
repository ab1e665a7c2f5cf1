package dev.kiln.training.data;

/** What the Trainer is about to do; passed to {@link DataModule#setup(Stage)}. */
public enum Stage {
    FIT, VALIDATE, TEST
}
