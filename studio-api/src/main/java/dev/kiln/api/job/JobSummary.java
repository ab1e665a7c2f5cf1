package dev.kiln.api.job;

import java.time.Duration;
import java.time.Instant;
import java.util.List;

/** One job of a studio as its list and detail show it; {@code name} is the one people gave it, or the default. */
public record JobSummary(String id, int number, String name, JobRequest request, String machineType, Status status, String detail,
                         String startedBy, Instant createdAt, Instant startedAt, Instant endedAt,
                         List<Diagnostic> diagnostics) {

    public enum Status {
        QUEUED, STARTING, RUNNING, SUCCEEDED, FAILED, CANCELLING, CANCELLED;

        public boolean ended() {
            return this == SUCCEEDED || this == FAILED || this == CANCELLED;
        }
    }

    /** A compiler message with where it points in the workspace. */
    public record Diagnostic(String severity, String path, long line, long column, String message) {}

    public JobSummary {
        diagnostics = diagnostics == null ? List.of() : List.copyOf(diagnostics);
    }

    /** How long it ran (so far, if it still runs). */
    public Duration duration(Instant now) {
        if (startedAt == null) {
            return Duration.ZERO;
        }
        return Duration.between(startedAt, endedAt == null ? now : endedAt);
    }
}
