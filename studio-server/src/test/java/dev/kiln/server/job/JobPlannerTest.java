package dev.kiln.server.job;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.time.Instant;
import java.util.stream.Stream;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import dev.kiln.server.job.JobStep.Cancel;
import dev.kiln.server.job.JobStep.Follow;
import dev.kiln.server.job.JobStep.Launch;
import dev.kiln.server.job.JobStep.RecordExit;
import dev.kiln.server.job.JobStep.Wait;
import dev.kiln.server.job.ObservedJob.Exit;
import dev.kiln.server.job.ObservedJob.Machine;
import dev.kiln.server.job.ObservedJob.Where;
import dev.kiln.api.job.JobSummary.Status;

/** The planner as a table: what the job's record asks for and what its backend sees, then the one next step. */
class JobPlannerTest {
    static final Instant NOW = Instant.parse("2026-12-01T12:00:00Z");
    static final JobPlanner PLANNER = new JobPlanner(Duration.ofMinutes(5));

    static final DesiredJob SUBMITTED = DesiredJob.submitted("j1");
    static final DesiredJob CANCELLED = SUBMITTED.cancelBy("Ada");
    static final DesiredJob FOUND_AFTER_RESTART = SUBMITTED.foundAfterRestart(NOW.minusSeconds(30));
    static final DesiredJob FOUND_LONG_AGO = SUBMITTED.foundAfterRestart(NOW.minus(Duration.ofMinutes(6)));

    static ObservedJob seen(Where where, Machine machine) {
        return ObservedJob.at(where, machine);
    }

    static ObservedJob exited(int code, String reason) {
        return ObservedJob.exited(new Exit(code, reason, false), Machine.READY);
    }

    static ObservedJob interrupted(Machine machine) {
        return ObservedJob.exited(new Exit(143, null, true), machine);
    }

    static Stream<Arguments> cases() {
        return Stream.of(
                // Starting.
                row("a new job with a ready machine is launched",
                        SUBMITTED, seen(Where.NEW, Machine.READY), new Launch(false)),
                row("a new job whose machine went away fails before it starts",
                        SUBMITTED, seen(Where.NEW, Machine.COMING),
                        new RecordExit(Status.FAILED, JobPlanner.WENT_AWAY_BEFORE_START)),
                row("a job asked to start is followed while the agent prepares it",
                        SUBMITTED, seen(Where.LAUNCHING, Machine.READY), new Follow()),
                row("a job compiling is followed", SUBMITTED, seen(Where.STARTING, Machine.READY), new Follow()),
                row("a running job is followed", SUBMITTED, seen(Where.RUNNING, Machine.READY), new Follow()),

                // Ending.
                row("a job that exits with 0 succeeded",
                        SUBMITTED, exited(0, null), new RecordExit(Status.SUCCEEDED, "Finished")),
                row("a cluster job that finished says on how many nodes",
                        SUBMITTED, exited(0, "finished on 2 nodes"),
                        new RecordExit(Status.SUCCEEDED, "Finished on 2 nodes")),
                row("a job that exits with an error fails in the words of whoever knew",
                        SUBMITTED, exited(1, "rank 1 failed: java.lang.OutOfMemoryError"),
                        new RecordExit(Status.FAILED, "Rank 1 failed: java.lang.OutOfMemoryError")),
                row("a job killed by the out-of-memory killer says so",
                        SUBMITTED, exited(137, null),
                        new RecordExit(Status.FAILED, "Exited with code 137 (killed: often the out-of-memory killer)")),

                // Cancelling.
                row("a running job that someone cancels is cancelled on its backend",
                        CANCELLED, seen(Where.RUNNING, Machine.READY), new Cancel()),
                row("a cancelled job whose cancel was sent waits for the exit",
                        CANCELLED, seen(Where.RUNNING, Machine.READY).withCancelSent(), Wait.quietly()),
                row("a cancelled job that exits is cancelled, whatever its code",
                        CANCELLED, exited(143, null), new RecordExit(Status.CANCELLED, "Cancelled by Ada")),
                row("a cancelled job whose machine is gone is cancelled at once",
                        CANCELLED, seen(Where.LOST, Machine.NONE),
                        new RecordExit(Status.CANCELLED, "Cancelled by Ada (the machine was already gone)")),
                row("a cancelled job waiting for the next machine is cancelled without it",
                        CANCELLED, seen(Where.LOST, Machine.COMING), new RecordExit(Status.CANCELLED, "Cancelled by Ada")),

                // Its machine goes away: it resumes on the next one.
                row("a job whose machine is being replaced waits for the next one",
                        SUBMITTED, interrupted(Machine.COMING), new Wait("The machine is being replaced; the job "
                                + "resumes from its last checkpoint on the next machine")),
                row("a job stopped by a switch resumes once the new machine is ready",
                        SUBMITTED, interrupted(Machine.READY), new Launch(true)),
                row("a job whose machine's connection ended waits while the studio wants a machine",
                        SUBMITTED, seen(Where.LOST, Machine.COMING), new Wait("The machine stopped while the job "
                                + "ran; the job resumes from its last checkpoint on the next machine")),
                row("a job whose machine stopped for good fails saying so",
                        SUBMITTED, seen(Where.LOST, Machine.NONE), new RecordExit(Status.FAILED,
                                "The machine stopped while the job ran (the studio's machine was stopped)")),
                row("a job the replacement machine does not run resumes there",
                        SUBMITTED, seen(Where.MISSING, Machine.READY), new Launch(true)),

                // After a restart.
                row("a job found after a restart waits for its machine to report it",
                        FOUND_AFTER_RESTART, seen(Where.UNKNOWN, Machine.COMING),
                        new Wait("Kiln restarted; waiting for the machine to report the job")),
                row("a job found after a restart that its machine still runs is followed again",
                        FOUND_AFTER_RESTART, seen(Where.RUNNING, Machine.READY), new Follow()),
                row("a job found after a restart that ended meanwhile ends as it did",
                        FOUND_AFTER_RESTART, exited(0, null), new RecordExit(Status.SUCCEEDED, "Finished")),
                row("a job found after a restart that its machine does not know failed with the machine",
                        FOUND_AFTER_RESTART, seen(Where.MISSING, Machine.READY),
                        new RecordExit(Status.FAILED, JobPlanner.RESTARTED)),
                row("a job found after a restart whose studio wants no machine fails saying so",
                        FOUND_AFTER_RESTART, seen(Where.UNKNOWN, Machine.NONE), new RecordExit(Status.FAILED,
                                "Kiln restarted while the job ran and the studio's machine is stopped, so the job "
                                + "ended with it; start the machine and run it again")),
                row("a job found after a restart whose machine never reports it is given up after the patience",
                        FOUND_LONG_AGO, seen(Where.UNKNOWN, Machine.COMING), new RecordExit(Status.FAILED,
                                "Kiln restarted while the job ran and its machine did not report it within 5 min; "
                                + "run it again")),
                row("a job found after a restart and cancelled before its machine reported is cancelled",
                        FOUND_AFTER_RESTART.cancelBy("Ada"), seen(Where.UNKNOWN, Machine.COMING),
                        new RecordExit(Status.CANCELLED, "Cancelled by Ada")));
    }

    static Arguments row(String sentence, DesiredJob desired, ObservedJob observed, JobStep expected) {
        return Arguments.of(sentence, desired, observed, expected);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void plans(String sentence, DesiredJob desired, ObservedJob observed, JobStep expected) {
        assertThat(PLANNER.plan(desired, observed, NOW)).as(sentence).isEqualTo(expected);
    }
}
