package dev.kiln.server.config;

import java.io.IOException;

/**
 * A request body over {@code kiln.max-request-size}: thrown by the capped stream of {@link RequestBodyLimit} while
 * a body of undeclared size (chunked) is read, so that whatever reads it (Jackson, git) stops there.
 */
public final class RequestTooLarge extends IOException {

    private final long limitBytes;

    RequestTooLarge(long limitBytes) {
        super(message(limitBytes));
        this.limitBytes = limitBytes;
    }

    public long limitBytes() {
        return limitBytes;
    }

    static String message(long limitBytes) {
        return "The request body is larger than the " + megabytes(limitBytes) + " this server accepts "
                + "(kiln.max-request-size).";
    }

    private static String megabytes(long bytes) {
        long mb = bytes / (1024 * 1024);
        return mb >= 1 ? mb + " MB" : bytes + " bytes";
    }
}
