package dev.kiln.api.files;

import java.time.Instant;

/** One commit that touched a file. */
public record FileRevision(String commitId, String message, String authorName, Instant time) {

    public String shortId() {
        return commitId.substring(0, Math.min(8, commitId.length()));
    }
}
