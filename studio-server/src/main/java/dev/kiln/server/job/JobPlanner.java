package dev.kiln.server.job;

import java.time.Duration;
import java.time.Instant;

import dev.kiln.server.job.JobStep.Cancel;
import dev.kiln.server.job.JobStep.Follow;
import dev.kiln.server.job.JobStep.Launch;
import dev.kiln.server.job.JobStep.RecordExit;
import dev.kiln.server.job.JobStep.Wait;
import dev.kiln.server.job.ObservedJob.Machine;
import dev.kiln.api.job.JobSummary.Status;

/**
 * Desired job + what its backend observes = the next step, as a pure function (tested as data, like the machines'
 * {@code MachinePlanner}). The job service runs it whenever the backend reports something and every few seconds, and
 * performs the step; it keeps no lifecycle of its own, so a server that restarted simply plans again from what the
 * machines and the cluster report: a job still running is followed, one that nobody runs any more ends with the
 * reason.
 *
 * <p>A job whose machine goes away (a switch, a crashed machine being replaced) waits for the next machine and
 * resumes there from its last checkpoint; if the studio wants no machine any more, it fails saying so.
 */
final class JobPlanner {
    /** How long a job found after a restart waits for its machine to report it before it is given up. */
    private final Duration patience;

    JobPlanner(Duration patience) {
        this.patience = patience;
    }

    static final String WENT_AWAY_BEFORE_START = "The studio's machine went away before the job could start";
    static final String RESTARTED = "The machine stopped when Kiln restarted and the job ended with it; run it "
            + "again";
    static final String STOPPED_WHILE_RUNNING = "The machine stopped while the job ran";
    static final String BEING_REPLACED = "The machine is being replaced";

    JobStep plan(DesiredJob desired, ObservedJob observed, Instant now) {
        String cancelled = desired.cancelRequested() ? "Cancelled by " + desired.cancelledBy() : null;
        return switch (observed.where()) {
            case EXITED -> {
                var exit = observed.exit();
                if (cancelled != null) {
                    yield new RecordExit(Status.CANCELLED, cancelled);
                }
                if (exit.interrupted()) {
                    yield resumeOnNextMachine(observed.machine(), BEING_REPLACED);
                }
                if (exit.code() == 0) {
                    yield new RecordExit(Status.SUCCEEDED, exit.reason() == null ? "Finished" : capitalize(exit.reason()));
                }
                // Why it never ran, or why it failed in the words of whoever knew (the launcher, for a crashed rank).
                yield new RecordExit(Status.FAILED, exit.reason() != null ? capitalize(exit.reason())
                        : "Exited with code " + exit.code() + describe(exit.code()));
            }
            case NEW -> cancelled != null ? new RecordExit(Status.CANCELLED, cancelled)
                    : observed.machine() == Machine.READY ? new Launch(false)
                    : new RecordExit(Status.FAILED, WENT_AWAY_BEFORE_START);
            case LAUNCHING, STARTING, RUNNING -> cancelled == null ? new Follow()
                    : observed.cancelSent() ? Wait.quietly() : new Cancel();
            case LOST -> cancelled != null ? new RecordExit(Status.CANCELLED, cancelled
                    + (observed.machine() == Machine.NONE ? " (the machine was already gone)" : ""))
                    : resumeOnNextMachine(observed.machine(), STOPPED_WHILE_RUNNING);
            case UNKNOWN -> {
                if (cancelled != null) {
                    yield new RecordExit(Status.CANCELLED, cancelled);
                }
                if (observed.machine() == Machine.NONE) {
                    yield new RecordExit(Status.FAILED, "Kiln restarted while the job ran and the studio's machine "
                            + "is stopped, so the job ended with it; start the machine and run it again");
                }
                if (!desired.foundAt().plus(patience).isAfter(now)) {
                    yield new RecordExit(Status.FAILED, "Kiln restarted while the job ran and its machine did not "
                            + "report it within " + patience.toMinutes() + " min; run it again");
                }
                yield new Wait("Kiln restarted; waiting for the machine to report the job");
            }
            case MISSING -> {
                if (cancelled != null) {
                    yield new RecordExit(Status.CANCELLED, cancelled);
                }
                // The machine there now does not run it. After a restart: the machine did not survive it (a local
                // machine stops with the server). Otherwise its machine was replaced: it resumes on this one.
                yield desired.foundAfterRestart() ? new RecordExit(Status.FAILED, RESTARTED)
                        : resumeOnNextMachine(observed.machine(), STOPPED_WHILE_RUNNING);
            }
        };
    }

    /** The job's machine went away: it resumes from its last checkpoint on the next one, if one is coming. */
    private static JobStep resumeOnNextMachine(Machine machine, String why) {
        return switch (machine) {
            case READY -> new Launch(true);
            case COMING -> new Wait(why + "; the job resumes from its last checkpoint on the next machine");
            case NONE -> new RecordExit(Status.FAILED, why + " (the studio's machine was stopped)");
        };
    }

    private static String describe(int code) {
        return switch (code) {
            case 137 -> " (killed: often the out-of-memory killer)";
            case 143 -> " (terminated)";
            case 139 -> " (a crash in native code)";
            default -> "";
        };
    }

    static String capitalize(String text) {
        return text.isEmpty() ? text : Character.toUpperCase(text.charAt(0)) + text.substring(1);
    }
}
