package dev.kiln.server.job;

import dev.kiln.machine.catalog.MachineType;
import dev.kiln.machine.kubernetes.IndexedJobs;
import dev.kiln.machine.kubernetes.KubernetesStudioMachines;
import dev.kiln.machine.kubernetes.TrainingJobSpec;
import dev.kiln.server.job.ObservedJob.Machine;
import dev.kiln.server.job.ObservedJob.Where;
import dev.kiln.api.job.JobRequest;
import dev.kiln.api.job.JobSummary;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Clock;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Multi-node jobs on the Kubernetes backend: one Indexed Job per job ({@link IndexedJobs}, which keeps fabric8 in
 * machine-manager's Kubernetes package), owned by the studio's anchor and expiring {@code ttlSecondsAfterFinished}
 * after it ends, labelled with its studio and job. Observed every two seconds until it ends, its pods' logs streamed
 * into the job's log as they start, and every object removed once its record says it ended, whatever the outcome.
 *
 * <p>After a server restart the job service adopts the jobs its records say were under way: each is observed again
 * through its Job (by name), its pods' logs followed from the moment it was found; Kiln's Indexed Jobs whose record
 * has ended (or is gone) are removed ({@link #removeOrphans}).
 */
final class ClusterJobs implements JobBackend {
    private static final Logger log = LoggerFactory.getLogger(ClusterJobs.class);
    private static final tools.jackson.databind.json.JsonMapper JSON = tools.jackson.databind.json.JsonMapper.shared();

    /** A job this server follows; {@code exit}: how it ended when that was decided here (a refusal, a cancel). */
    private static final class Tracked {
        final TrainingJobSpec spec;
        final IndexedJobs.Logs logs;
        volatile ObservedJob.Exit exit;

        Tracked(TrainingJobSpec spec, IndexedJobs.Logs logs) {
            this.spec = spec;
            this.logs = logs;
        }
    }

    private final IndexedJobs cluster;
    private final KubernetesStudioMachines.Settings settings;
    private final Clock clock;
    private final Map<String, Tracked> tracked = new ConcurrentHashMap<>();
    private volatile Events events;

    ClusterJobs(IndexedJobs cluster, KubernetesStudioMachines.Settings settings, Clock clock) {
        this.cluster = cluster;
        this.settings = settings;
        this.clock = clock;
    }

    @Override
    public void listen(Events events) {
        this.events = events;
    }

    @Override
    public void launch(Launch launch) {
        var job = track(spec(launch.studioId(), launch.jobId(), launch.type(), launch.request()), null);
        events.phase(launch.jobId(), "Waiting for all " + launch.request().nodes() + " nodes to be scheduled");
        try {
            cluster.submit(job.spec, launch.connections() == null ? null
                    : JSON.writeValueAsString(launch.connections()));
        } catch (RuntimeException e) {
            job.exit = new ObservedJob.Exit(-1, "the cluster refused the job: " + e.getMessage(), false);
        }
    }

    private Tracked track(TrainingJobSpec spec, Instant logsSince) {
        var job = new Tracked(spec, cluster.logs(spec, logsSince, text -> events.output(spec.jobId(), text)));
        tracked.put(spec.jobId(), job);
        return job;
    }

    private TrainingJobSpec spec(String studioId, String jobId, MachineType type, JobRequest request) {
        return new TrainingJobSpec(jobId, studioId, settings.namespace(), settings.image(), settings.serverUrl(),
                type, request.entryPoint(), request.args(), request.nodes(), request.devices());
    }

    @Override
    public void cancel(String studioId, String jobId) {
        Tracked job = tracked.get(jobId);
        if (job != null && job.exit == null) {
            job.exit = new ObservedJob.Exit(-1, "cancelled", false);
            cleanUp(job);
        }
    }

    @Override
    public ObservedJob observe(String studioId, String jobId) {
        Tracked job = tracked.get(jobId);
        if (job == null) {
            return ObservedJob.at(Where.NEW, Machine.READY); // never launched nor adopted
        }
        if (job.exit != null) {
            return ObservedJob.exited(job.exit, Machine.READY);
        }
        var observed = cluster.observe(job.spec);
        return switch (observed.phase()) {
            case STARTING -> ObservedJob.at(Where.STARTING, Machine.READY);
            case RUNNING -> ObservedJob.at(Where.RUNNING, Machine.READY);
            case SUCCEEDED -> ObservedJob.exited(new ObservedJob.Exit(0, "finished on " + job.spec.nodes()
                    + " nodes", false), Machine.READY);
            case FAILED -> ObservedJob.exited(new ObservedJob.Exit(1, observed.reason() == null ? "failed"
                    : observed.reason(), false), Machine.READY);
        };
    }

    @Override
    public void adopt(String studioId, JobSummary job, MachineType type) {
        var spec = spec(studioId, job.id(), type, job.request());
        try {
            cluster.restoreToken(spec);
        } catch (RuntimeException e) {
            log.warn("Cannot read the token of job {}: {}", job.id(), dev.kiln.server.config.LogText.clean(
                    e.getMessage()));
        }
        // What its pods wrote before is in the log already, or was missed while the server was down.
        track(spec, clock.instant());
    }

    @Override
    public void forget(String studioId, String jobId) {
        Tracked job = tracked.remove(jobId);
        if (job != null) {
            cleanUp(job);
        }
    }

    /**
     * Removes Kiln's Indexed Jobs whose record has ended or is gone ({@code unfinished}: the jobs the records say
     * are under way), so a server that stopped before it could clean up leaves nothing running.
     */
    void removeOrphans(Set<String> unfinished) {
        cluster.found().forEach((jobId, studioId) -> {
            if (!unfinished.contains(jobId) && !tracked.containsKey(jobId)) {
                log.info("Removing the Indexed Job of job {} (studio {}): its record has ended", jobId, studioId);
                cluster.cleanUp(new TrainingJobSpec(jobId, studioId, settings.namespace(), settings.image(),
                        settings.serverUrl(), null, "", List.of(), 1, 1));
            }
        });
    }

    /** One look at every followed job: new pods' logs are streamed, and each job is planned again. */
    @Override
    public void poll() {
        for (Tracked job : tracked.values()) {
            try {
                if (job.exit == null) {
                    job.logs.follow();
                }
            } catch (RuntimeException e) {
                log.warn("Following job {} failed: {}", job.spec.jobId(),
                        dev.kiln.server.config.LogText.clean(e.getMessage()));
            }
            events.changed(job.spec.jobId());
        }
    }

    private void cleanUp(Tracked job) {
        job.logs.close();
        cluster.cleanUp(job.spec);
    }
}
