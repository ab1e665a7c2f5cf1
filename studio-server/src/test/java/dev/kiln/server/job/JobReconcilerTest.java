package dev.kiln.server.job;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import dev.kiln.server.job.JobBackend.Launch;
import dev.kiln.server.job.ObservedJob.Exit;
import dev.kiln.server.job.ObservedJob.Machine;
import dev.kiln.server.job.ObservedJob.Where;
import dev.kiln.api.job.JobRequest;
import dev.kiln.api.job.JobSummary;
import dev.kiln.api.job.JobSummary.Status;

/**
 * The job logic on a fake backend: jobs launched, followed, cancelled, moved with their machine, and found again
 * after a restart, without any process or socket.
 */
class JobReconcilerTest {
    static final Instant NOW = Instant.parse("2026-12-01T12:00:00Z");
    static final JobRequest REQUEST = new JobRequest("example.SumRegression", List.of(), 1, 1);

    @TempDir
    Path logs;
    final FakeJobBackend backend = new FakeJobBackend();
    final MapRecords records = new MapRecords();
    final List<String> endedJobs = new ArrayList<>();
    JobReconciler reconciler;

    /** Job records in a map: the status and detail each job shows, and what else was written. */
    static final class MapRecords implements JobReconciler.Records {
        final Map<String, Status> status = new ConcurrentHashMap<>();
        final Map<String, String> detail = new ConcurrentHashMap<>();
        final List<String> partial = new ArrayList<>();

        @Override
        public void status(String id, Status status, String detail) {
            this.status.put(id, status);
            this.detail.put(id, detail);
        }

        @Override
        public void started(String id, Instant at) {
            status(id, Status.RUNNING, "Running");
        }

        @Override
        public void ended(String id, Status status, String detail, Instant at) {
            status(id, status, detail);
        }

        @Override
        public void logPartial(String id) {
            partial.add(id);
        }

        @Override
        public void diagnostics(String id, List<JobSummary.Diagnostic> diagnostics) {
        }
    }

    @BeforeEach
    void reconciler() {
        reconciler = new JobReconciler(records, new JobPlanner(JobService.RESTART_PATIENCE),
                Clock.fixed(NOW, ZoneOffset.UTC), job -> null, job -> endedJobs.add(job.jobId), studio -> { });
        backend.listen(reconciler);
    }

    JobReconciler.Followed job(String id, DesiredJob desired) {
        return new JobReconciler.Followed("s1", id, REQUEST, null, 7L,
                new JobOutput(logs.resolve(id + ".log"), json -> { }), backend, desired);
    }

    String log(String id) throws IOException {
        return Files.readString(logs.resolve(id + ".log"));
    }

    @Test
    void aJobIsLaunchedFollowedAndEndsAsItsBackendReports() throws IOException {
        reconciler.follow(job("j1", DesiredJob.submitted("j1")));
        assertThat(backend.launches).extracting(Launch::jobId, Launch::resume).containsExactly(
                org.assertj.core.groups.Tuple.tuple("j1", false));

        backend.report("j1", ObservedJob.at(Where.RUNNING, Machine.READY));
        assertThat(records.status.get("j1")).isEqualTo(Status.RUNNING);
        backend.output("j1", "epoch 1 loss 0.5\n");

        backend.report("j1", ObservedJob.exited(new Exit(0, null, false), Machine.READY));
        assertThat(records.status.get("j1")).isEqualTo(Status.SUCCEEDED);
        assertThat(backend.forgotten).containsExactly("j1");
        assertThat(endedJobs).containsExactly("j1");
        assertThat(reconciler.follows("j1")).isFalse();
        assertThat(log("j1")).contains("epoch 1 loss 0.5", "kiln: succeeded: Finished");
    }

    @Test
    void aCancelGoesToTheBackendOnceAndTheExitThatFollowsIsACancel() {
        reconciler.follow(job("j1", DesiredJob.submitted("j1")));
        backend.report("j1", ObservedJob.at(Where.RUNNING, Machine.READY));

        reconciler.cancel("j1", "Ada");
        assertThat(records.status.get("j1")).isEqualTo(Status.CANCELLING);
        backend.output("j1", "saving a checkpoint\n"); // more reports while it stops: no second cancel
        reconciler.poll();
        assertThat(backend.cancels).containsExactly("j1");

        backend.report("j1", ObservedJob.exited(new Exit(143, null, false), Machine.READY));
        assertThat(records.status.get("j1")).isEqualTo(Status.CANCELLED);
        assertThat(records.detail.get("j1")).isEqualTo("Cancelled by Ada");
    }

    @Test
    void aJobWhoseMachineIsReplacedWaitsAndResumesOnTheNextOne() throws IOException {
        reconciler.follow(job("j1", DesiredJob.submitted("j1")));
        backend.report("j1", ObservedJob.at(Where.RUNNING, Machine.READY));

        backend.report("j1", ObservedJob.at(Where.LOST, Machine.COMING));
        backend.report("j1", ObservedJob.at(Where.MISSING, Machine.COMING)); // the new machine said hello
        assertThat(records.status.get("j1")).isEqualTo(Status.STARTING);
        assertThat(backend.launches).hasSize(1);

        backend.report("j1", ObservedJob.at(Where.MISSING, Machine.READY)); // ... and has its files
        assertThat(backend.launches).extracting(Launch::resume).containsExactly(false, true);
        backend.report("j1", ObservedJob.at(Where.RUNNING, Machine.READY));
        assertThat(records.status.get("j1")).isEqualTo(Status.RUNNING);
        String log = log("j1");
        assertThat(log).containsOnlyOnce("The machine stopped while the job ran").contains(
                "resuming on the new machine (attempt 2)");
    }

    @Test
    void afterARestartAJobItsMachineStillRunsIsFollowedAgainWithItsLogContinued() throws IOException {
        Files.writeString(logs.resolve("j1.log"), "epoch 1 loss 0.5\n"); // written before the restart
        var found = job("j1", DesiredJob.submitted("j1").foundAfterRestart(NOW));
        backend.adopt("s1", summary("j1"), null);
        reconciler.follow(found);
        assertThat(records.detail.get("j1")).isEqualTo("Kiln restarted; waiting for the machine to report the job");
        assertThat(backend.launches).as("never started twice").isEmpty();

        // The pod outlived the server; its agent reconnects and lists the job as running in its hello.
        backend.report("j1", ObservedJob.at(Where.RUNNING, Machine.READY));
        backend.output("j1", "epoch 2 loss 0.25\n");
        assertThat(records.status.get("j1")).isEqualTo(Status.RUNNING);
        assertThat(records.partial).as("the server's copy of the log has a gap").containsExactly("j1");
        assertThat(log("j1")).startsWith("epoch 1 loss 0.5\n").contains("Kiln restarted while the job ran; "
                + "following it again").endsWith("epoch 2 loss 0.25\n");
        assertThat(backend.launches).isEmpty();

        backend.report("j1", ObservedJob.exited(new Exit(0, null, false), Machine.READY));
        assertThat(records.status.get("j1")).isEqualTo(Status.SUCCEEDED);
    }

    @Test
    void afterARestartAJobTheMachineDoesNotKnowFailsWithTheReason() {
        backend.adopt("s1", summary("j1"), null);
        reconciler.follow(job("j1", DesiredJob.submitted("j1").foundAfterRestart(NOW)));

        // A local machine stops with the server: the new machine's hello lists no such job.
        backend.report("j1", ObservedJob.at(Where.MISSING, Machine.READY));
        assertThat(records.status.get("j1")).isEqualTo(Status.FAILED);
        assertThat(records.detail.get("j1")).isEqualTo("The machine stopped when Kiln restarted and the job ended "
                + "with it; run it again");
        assertThat(backend.launches).as("not resumed").isEmpty();
        assertThat(records.partial).isEmpty();
    }

    @Test
    void aDeletedStudiosJobsAreLetGoAndWhatTheyLeftOnTheirBackendGoes() {
        reconciler.follow(job("j1", DesiredJob.submitted("j1")));
        backend.report("j1", ObservedJob.at(Where.RUNNING, Machine.READY));

        reconciler.release("s1");
        assertThat(reconciler.follows("j1")).isFalse();
        assertThat(backend.cancels).containsExactly("j1");
        assertThat(backend.forgotten).containsExactly("j1");
        backend.report("j1", ObservedJob.exited(new Exit(143, null, false), Machine.READY));
        assertThat(records.status.get("j1")).as("its record went with the studio").isEqualTo(Status.RUNNING);
    }

    static JobSummary summary(String id) {
        return new JobSummary(id, 1, "job", REQUEST, "cpu-2", Status.RUNNING, "Running", "Ada", NOW, NOW, null,
                List.of());
    }
}
