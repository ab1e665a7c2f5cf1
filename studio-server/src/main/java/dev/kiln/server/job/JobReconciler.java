package dev.kiln.server.job;

import java.time.Clock;
import java.time.Instant;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Consumer;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import dev.kiln.machine.catalog.MachineType;
import dev.kiln.server.job.JobStep.Cancel;
import dev.kiln.server.job.JobStep.Follow;
import dev.kiln.server.job.JobStep.Launch;
import dev.kiln.server.job.JobStep.RecordExit;
import dev.kiln.server.job.JobStep.Wait;
import dev.kiln.api.job.JobRequest;
import dev.kiln.api.job.JobSummary;
import dev.kiln.api.job.JobSummary.Status;
import tools.jackson.databind.JsonNode;

/**
 * Follows the jobs that are under way: on every report of their backend (and every couple of seconds) it observes
 * the job, asks the {@link JobPlanner} for the next step and performs it, writing what the user sees (status, log
 * notes) and ending the job when the planner says so. It decides nothing itself; what it keeps per job is the
 * desired state (a cancel, a job found after a restart) and what it has shown already, so a repeated step shows
 * nothing twice.
 */
final class JobReconciler implements JobBackend.Events {
    private static final Logger log = LoggerFactory.getLogger(JobReconciler.class);

    /** Where job records are written (the job repository; a map in tests). */
    interface Records {
        void status(String id, Status status, String detail);

        void started(String id, Instant at);

        void ended(String id, Status status, String detail, Instant at);

        void logPartial(String id);

        void diagnostics(String id, List<JobSummary.Diagnostic> diagnostics);
    }

    /** A job this server follows, on {@code backend}. {@code starterId}: who started it (null: not recorded). */
    static final class Followed {
        final String studioId;
        final String jobId;
        final JobRequest request;
        final MachineType type;
        final Long starterId;
        final JobOutput output;
        final JobBackend backend;
        volatile DesiredJob desired;
        int resumes;
        /** The status this reconciler last wrote, and the last wait it showed (so a repeated step shows nothing). */
        Status shown;
        String waitShown;

        Followed(String studioId, String jobId, JobRequest request, MachineType type, Long starterId, JobOutput output,
                 JobBackend backend, DesiredJob desired) {
            this.studioId = studioId;
            this.jobId = jobId;
            this.request = request;
            this.type = type;
            this.starterId = starterId;
            this.output = output;
            this.backend = backend;
            this.desired = desired;
        }

        boolean cancelling() {
            return desired.cancelRequested();
        }
    }

    /** The studio's data connections for a launch of the job (null: none); their notes go to its log. */
    interface Connections {
        JsonNode forLaunch(Followed job);
    }

    private final Records records;
    private final JobPlanner planner;
    private final Clock clock;
    private final Connections connections;
    private final Consumer<Followed> onEnded;
    private final Consumer<String> activity;
    private final Map<String, Followed> followed = new ConcurrentHashMap<>();

    /** {@code onEnded}: after a job's record says it ended; {@code activity}: a studio's job did something. */
    JobReconciler(Records records, JobPlanner planner, Clock clock, Connections connections,
                  Consumer<Followed> onEnded, Consumer<String> activity) {
        this.records = records;
        this.planner = planner;
        this.clock = clock;
        this.connections = connections;
        this.onEnded = onEnded;
        this.activity = activity;
    }

    /** Starts following a job (new, or found after a restart) and plans its first step. */
    void follow(Followed job) {
        followed.put(job.jobId, job);
        reconcile(job.jobId);
    }

    Collection<Followed> followed() {
        return followed.values();
    }

    boolean follows(String jobId) {
        return followed.containsKey(jobId);
    }

    /** Someone asked to stop the job: the planner cancels it on its backend. */
    void cancel(String jobId, String by) {
        var job = followed.get(jobId);
        if (job == null || job.cancelling()) {
            return;
        }
        synchronized (job) {
            job.desired = job.desired.cancelBy(by);
            job.shown = Status.CANCELLING;
            records.status(jobId, Status.CANCELLING, "Stopping every process (they get 10 s to save a checkpoint)");
            job.output.note("cancel requested by " + by);
        }
        reconcile(jobId);
    }

    /**
     * The studio was deleted: its jobs are no longer followed and what they left on their backend goes (their
     * records went with the studio).
     */
    void release(String studioId) {
        for (Followed job : List.copyOf(followed.values())) {
            if (job.studioId.equals(studioId) && followed.remove(job.jobId) != null) {
                synchronized (job) {
                    job.output.close();
                    try {
                        job.backend.cancel(studioId, job.jobId);
                        job.backend.forget(studioId, job.jobId);
                    } catch (RuntimeException e) {
                        log.warn("Releasing job {} failed: {}", job.jobId,
                                dev.kiln.server.config.LogText.clean(e.getMessage()));
                    }
                }
            }
        }
    }

    /** Every couple of seconds: backends that poll look, and every job is planned again (waits run out). */
    void poll(JobBackend... backends) {
        for (JobBackend backend : backends) {
            if (backend != null) {
                backend.poll();
            }
        }
        followed.keySet().forEach(this::reconcile);
    }

    /** Observe, plan, perform; again after a launch or a cancel, whose effect may be known at once. */
    void reconcile(String jobId) {
        var job = followed.get(jobId);
        if (job == null) {
            return;
        }
        synchronized (job) {
            try {
                for (int i = 0; i < 3 && followed.containsKey(jobId); i++) {
                    var observed = job.backend.observe(job.studioId, jobId);
                    JobStep step = planner.plan(job.desired, observed, clock.instant());
                    if (!perform(job, step, observed)) {
                        return;
                    }
                }
            } catch (RuntimeException e) {
                // A backend that cannot answer now (the cluster's API): the next report or poll plans again.
                log.warn("Following job {} failed: {}", jobId, dev.kiln.server.config.LogText.clean(e.getMessage()));
            }
        }
    }

    /** True when the step may have changed what the backend observes (plan again). */
    private boolean perform(Followed job, JobStep step, ObservedJob observed) {
        switch (step) {
            case Launch launch -> {
                if (launch.resume()) {
                    job.resumes++;
                    job.output.note("resuming on the new machine (attempt " + (job.resumes + 1) + ")");
                }
                job.waitShown = null;
                job.backend.launch(new JobBackend.Launch(job.studioId, job.jobId, job.request, job.type,
                        launch.resume(), connections.forLaunch(job)));
                return true;
            }
            case Cancel ignored -> {
                job.backend.cancel(job.studioId, job.jobId);
                return true;
            }
            case Follow ignored -> {
                foundAgain(job, observed);
                if (observed.where() == ObservedJob.Where.RUNNING && job.shown != Status.RUNNING) {
                    job.shown = Status.RUNNING;
                    records.started(job.jobId, clock.instant());
                }
                return false;
            }
            case Wait wait -> {
                if (wait.detail() != null && !wait.detail().equals(job.waitShown)) {
                    job.waitShown = wait.detail();
                    show(job, Status.STARTING, wait.detail());
                    job.output.note(wait.detail());
                }
                return false;
            }
            case RecordExit exit -> {
                foundAgain(job, observed);
                finish(job, exit.status(), exit.reason());
                return false;
            }
        }
    }

    /** The first news of a job found after a restart: say so in its log, whose server copy has a gap now. */
    private void foundAgain(Followed job, ObservedJob observed) {
        if (!job.desired.foundAfterRestart()) {
            return;
        }
        job.desired = new DesiredJob(job.jobId, job.desired.cancelledBy(), null);
        if (observed.where() == ObservedJob.Where.MISSING) {
            return; // it ended with its machine: nothing came after the restart
        }
        records.logPartial(job.jobId);
        job.output.note("Kiln restarted while the job ran; following it again (what it wrote meanwhile is in the "
                + "machine's copy of the log: download the log for all of it)");
    }

    private void show(Followed job, Status status, String detail) {
        if (!job.cancelling()) {
            job.shown = status;
            records.status(job.jobId, status, detail);
        }
    }

    private void finish(Followed job, Status status, String detail) {
        if (followed.remove(job.jobId) == null) {
            return;
        }
        job.output.note(status.name().toLowerCase() + ": " + detail);
        job.output.close();
        // What the job left (a cluster's objects) goes before its record says it ended, so nothing of an ended job
        // is still around when someone looks.
        try {
            job.backend.forget(job.studioId, job.jobId);
        } catch (RuntimeException e) {
            log.warn("Cleaning up after job {} failed: {}", job.jobId,
                    dev.kiln.server.config.LogText.clean(e.getMessage()));
        }
        records.ended(job.jobId, status, detail, clock.instant());
        onEnded.accept(job);
        log.info("Job {} of studio {}: {} ({})", job.jobId, job.studioId, status,
                dev.kiln.server.config.LogText.clean(detail)); // the detail may be the machine's words
    }

    // ---- what backends hear

    @Override
    public void changed(String jobId) {
        reconcile(jobId);
    }

    @Override
    public void output(String jobId, String text) {
        var job = followed.get(jobId);
        if (job != null) {
            activity.accept(job.studioId); // a running job keeps its machine from being stopped as idle
            job.output.append(text);
        }
    }

    @Override
    public void phase(String jobId, String detail) {
        var job = followed.get(jobId);
        if (job != null) {
            show(job, Status.STARTING, detail);
            job.output.note(detail);
        }
    }

    @Override
    public void diagnostics(String jobId, List<JobSummary.Diagnostic> diagnostics) {
        var job = followed.get(jobId);
        if (job != null) {
            records.diagnostics(jobId, diagnostics);
            diagnostics.forEach(d -> job.output.note(d.path() + ":" + d.line() + ":" + d.column() + ": "
                    + d.severity() + ": " + d.message()));
        }
    }

    @Override
    public void note(String jobId, String text) {
        var job = followed.get(jobId);
        if (job != null) {
            job.output.note(text);
        }
    }

    @Override
    public void logPartial(String jobId, long droppedChars) {
        var job = followed.get(jobId);
        if (job != null) {
            records.logPartial(jobId);
            job.output.note(String.format("%,d characters of output came faster than they could be streamed "
                    + "and are missing here; the machine kept all of it in ~/jobs/%s/output.log", droppedChars, jobId));
        }
    }
}
