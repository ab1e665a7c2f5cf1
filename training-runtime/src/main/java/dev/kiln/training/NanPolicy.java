package dev.kiln.training;

/** What to do when the loss is NaN or infinite: stop with an error (default), or skip that batch's update. */
public enum NanPolicy {
    STOP, SKIP_BATCH
}
