package dev.kiln.server.job;

import dev.kiln.api.job.JobSummary.Status;

/**
 * The one thing to do next for a job, as the {@link JobPlanner} decides it. Every step is safe to repeat: the service
 * performs it and plans again on the next report, so the same observation always leads to the same step.
 */
sealed interface JobStep {
    /** Start the job on its backend: the first time, or again from its last checkpoint ({@code resume}). */
    record Launch(boolean resume) implements JobStep {}

    /** It is under way: keep following its output (and say so once when it was found again after a restart). */
    record Follow() implements JobStep {}

    /** Ask the backend to stop it (every process gets 10 s to checkpoint). */
    record Cancel() implements JobStep {}

    /** It is over: store how it ended, in a sentence a person can act on. */
    record RecordExit(Status status, String reason) implements JobStep {}

    /**
     * Nothing to do until the backend reports more. {@code detail}: what the job is waiting for, shown as its status
     * (null: nothing new to show).
     */
    record Wait(String detail) implements JobStep {
        static Wait quietly() {
            return new Wait(null);
        }
    }
}
