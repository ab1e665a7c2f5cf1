package dev.kiln.training.storage;

/** Reading or writing a remote location failed; the message names the location and the cause. */
public class StorageException extends RuntimeException {
    public StorageException(String message) {
        super(message);
    }

    public StorageException(String message, Throwable cause) {
        super(message, cause);
    }
}
