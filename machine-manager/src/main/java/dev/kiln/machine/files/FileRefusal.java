package dev.kiln.machine.files;

/**
 * A file operation refused with a sentence for a person and a kind the server maps to an HTTP status: NOT_FOUND,
 * INVALID, CONFLICT, TOO_LARGE or FORBIDDEN (the names of the server's refusal kinds).
 */
public final class FileRefusal extends RuntimeException {
    private final String kind;

    public FileRefusal(String kind, String message) {
        super(message, null, false, false);
        this.kind = kind;
    }

    public static FileRefusal invalid(String message) {
        return new FileRefusal("INVALID", message);
    }

    public static FileRefusal forbidden(String message) {
        return new FileRefusal("FORBIDDEN", message);
    }

    public static FileRefusal notFound(String message) {
        return new FileRefusal("NOT_FOUND", message);
    }

    public String kind() {
        return kind;
    }
}
