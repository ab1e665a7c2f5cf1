package dev.kiln.server.notebook;

/** A file that is not a notebook Kiln can open, with what is wrong in words a person can act on. */
public final class NotebookFormatException extends RuntimeException {
    public NotebookFormatException(String message) {
        super(message);
    }
}
