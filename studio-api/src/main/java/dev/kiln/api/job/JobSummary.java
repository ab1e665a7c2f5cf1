package dev.kiln.api.job;

import java.time.Duration;
import java.time.Instant;
import java.util.List;

/** One job of a studio as its list and detail show it; {@code name} is the one people gave it, or the default. */
public record JobSummary(String id, int number, String name, JobRequest request, String machineType, Status status, String detail,
                         String startedBy, Instant createdAt, Instant startedAt, Instant endedAt,
                         List<Diagnostic> diagnostics) {

    /** A job's status: the one vocabulary of the API, the database, the views and their data-status attributes. */
    public enum Status {
        QUEUED("Queued"), STARTING("Starting"), RUNNING("Running"), SUCCEEDED("Succeeded"), FAILED("Failed"),
        CANCELLING("Cancelling"), CANCELLED("Cancelled");

        private final String label;

        Status(String label) {
            this.label = label;
        }

        /** The status in a word, as the job list and its badge show it. */
        public String label() {
            return label;
        }

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
