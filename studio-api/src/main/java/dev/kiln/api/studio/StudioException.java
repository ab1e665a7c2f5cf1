package dev.kiln.api.studio;

/**
 * A refusal that the user should read: its message says what happened and what to do. Views show it as it is;
 * the REST API maps {@link Kind} to an HTTP status.
 */
public class StudioException extends RuntimeException {

    public enum Kind {
        /** The studio or file does not exist, or the caller has no access: the two are deliberately not told apart. */
        NOT_FOUND,
        /** A path or name the workspace refuses. */
        INVALID,
        /** The file changed since the caller loaded it. */
        CONFLICT,
        /** Over the configured size limit. */
        TOO_LARGE,
        /** The user may look but not change (a viewer), or may not manage the studio (not the owner). */
        FORBIDDEN
    }

    private final Kind kind;

    public StudioException(Kind kind, String message) {
        super(message);
        this.kind = kind;
    }

    public Kind kind() {
        return kind;
    }

    public static StudioException studioNotFound() {
        return new StudioException(Kind.NOT_FOUND, "Studio not found, or you have no access to it.");
    }
}
