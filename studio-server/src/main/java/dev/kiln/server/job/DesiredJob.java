package dev.kiln.server.job;

import java.time.Instant;

/**
 * What the job's record asks for: it runs until it ends, unless someone asked to cancel it ({@code cancelledBy}).
 * {@code foundAt}: when a server that restarted found it unfinished in its records and has not yet seen it on any
 * machine (null for a job this server started, or one it has seen again since).
 */
record DesiredJob(String jobId, String cancelledBy, Instant foundAt) {
    static DesiredJob submitted(String jobId) {
        return new DesiredJob(jobId, null, null);
    }

    DesiredJob cancelBy(String who) {
        return new DesiredJob(jobId, who, foundAt);
    }

    DesiredJob foundAfterRestart(Instant at) {
        return new DesiredJob(jobId, cancelledBy, at);
    }

    boolean cancelRequested() {
        return cancelledBy != null;
    }

    boolean foundAfterRestart() {
        return foundAt != null;
    }
}
