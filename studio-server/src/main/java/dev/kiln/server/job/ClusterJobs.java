package dev.kiln.server.job;

import dev.kiln.machine.agent.AgentRegistry;
import dev.kiln.machine.catalog.MachineType;
import dev.kiln.machine.kubernetes.KubernetesStudioMachines;
import dev.kiln.machine.kubernetes.KubernetesTrainingJobs;
import dev.kiln.machine.kubernetes.StudioPodFactory;
import dev.kiln.machine.kubernetes.TrainingJobFactory;
import dev.kiln.machine.kubernetes.TrainingJobSpec;
import dev.kiln.server.job.ObservedJob.Machine;
import dev.kiln.server.job.ObservedJob.Where;
import dev.kiln.ui.job.JobSummary;
import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.dsl.LogWatch;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.util.Base64;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Multi-node jobs on the Kubernetes backend: one Indexed Job per job (see {@link KubernetesTrainingJobs}), owned by
 * the studio's anchor and expiring {@code ttlSecondsAfterFinished} after it ends, labelled with its studio and job.
 * Observed every two seconds until it ends, its pods' logs streamed into the job's log as they start, and every object
 * removed once its record says it ended, whatever the outcome.
 *
 * <p>After a server restart the job service adopts the jobs its records say were under way: each is observed again
 * through its Job (by name), its pods' logs followed from the moment it was found; an Indexed Job of Kiln whose
 * record has ended (or is gone) is removed ({@link #orphans}).
 */
final class ClusterJobs implements JobBackend {
    private static final Logger log = LoggerFactory.getLogger(ClusterJobs.class);
    private static final tools.jackson.databind.json.JsonMapper JSON = tools.jackson.databind.json.JsonMapper.shared();

    /**
     * A job this server follows. {@code exit}: how it ended when that was decided here (a refusal, a cancel);
     * {@code logsSince}: for an adopted job, the time from which its pods' logs are read (what came before is in
     * the log already, or was missed while the server was down). {@code running}: at least once seen running.
     */
    private record Tracked(TrainingJobSpec spec, Map<String, LogWatch> logs, ObservedJob.Exit[] exit,
                           String logsSince) {}

    private final KubernetesClient client;
    private final KubernetesTrainingJobs jobs;
    private final KubernetesStudioMachines.Settings settings;
    private final AgentRegistry tokens;
    private final Clock clock;
    private final Map<String, Tracked> tracked = new ConcurrentHashMap<>();
    private volatile Events events;

    ClusterJobs(KubernetesClient client, KubernetesTrainingJobs jobs, KubernetesStudioMachines.Settings settings,
                AgentRegistry tokens, Clock clock) {
        this.client = client;
        this.jobs = jobs;
        this.settings = settings;
        this.tokens = tokens;
        this.clock = clock;
    }

    @Override
    public void listen(Events events) {
        this.events = events;
    }

    @Override
    public void launch(Launch launch) {
        var spec = spec(launch.studioId(), launch.jobId(), launch.type(), launch.request());
        var job = new Tracked(spec, new ConcurrentHashMap<>(), new ObservedJob.Exit[1], null);
        tracked.put(launch.jobId(), job);
        try {
            ConfigMap anchor = client.configMaps().inNamespace(settings.namespace())
                    .withName("kiln-studio-" + launch.studioId()).get();
            jobs.submit(spec, anchor == null ? null : StudioPodFactory.ownedBy(anchor),
                    launch.connections() == null ? null : JSON.writeValueAsString(launch.connections()));
        } catch (RuntimeException e) {
            job.exit()[0] = new ObservedJob.Exit(-1, "the cluster refused the job: " + e.getMessage(), false);
        }
    }

    private TrainingJobSpec spec(String studioId, String jobId, MachineType type, dev.kiln.ui.job.JobRequest request) {
        return new TrainingJobSpec(jobId, studioId, settings.namespace(), settings.image(), settings.serverUrl(),
                type, request.entryPoint(), request.args(), request.nodes(), request.devices());
    }

    @Override
    public void cancel(String studioId, String jobId) {
        Tracked job = tracked.get(jobId);
        if (job != null && job.exit()[0] == null) {
            job.exit()[0] = new ObservedJob.Exit(-1, "cancelled", false);
            cleanUp(job);
        }
    }

    @Override
    public ObservedJob observe(String studioId, String jobId) {
        Tracked job = tracked.get(jobId);
        if (job == null) {
            return ObservedJob.at(Where.NEW, Machine.READY); // never launched nor adopted
        }
        if (job.exit()[0] != null) {
            return ObservedJob.exited(job.exit()[0], Machine.READY);
        }
        var observed = jobs.observe(job.spec());
        return switch (observed.phase()) {
            case STARTING -> ObservedJob.at(Where.STARTING, Machine.READY);
            case RUNNING -> ObservedJob.at(Where.RUNNING, Machine.READY);
            case SUCCEEDED -> ObservedJob.exited(new ObservedJob.Exit(0, "finished on " + job.spec().nodes()
                    + " nodes", false), Machine.READY);
            case FAILED -> ObservedJob.exited(new ObservedJob.Exit(1, observed.reason() == null ? "failed"
                    : observed.reason(), false), Machine.READY);
        };
    }

    @Override
    public void adopt(String studioId, JobSummary job, MachineType type) {
        var spec = spec(studioId, job.id(), type, job.request());
        // Nodes that start (or restart) from now on fetch the workspace with the job's token, kept in its Secret.
        try {
            var secret = client.secrets().inNamespace(settings.namespace()).withName(spec.name()).get();
            if (secret != null && secret.getData() != null && secret.getData().get("token") != null) {
                tokens.restore(new String(Base64.getDecoder().decode(secret.getData().get("token")),
                        StandardCharsets.UTF_8), new AgentRegistry.Identity(studioId,
                        KubernetesTrainingJobs.JOB_GENERATION));
            }
        } catch (RuntimeException e) {
            log.warn("Cannot read the token of job {}: {}", job.id(), dev.kiln.server.config.LogText.clean(
                    e.getMessage()));
        }
        tracked.put(job.id(), new Tracked(spec, new ConcurrentHashMap<>(), new ObservedJob.Exit[1],
                clock.instant().toString()));
    }

    @Override
    public void forget(String studioId, String jobId) {
        Tracked job = tracked.remove(jobId);
        if (job != null) {
            cleanUp(job);
        }
    }

    /** Kiln's Indexed Jobs on the cluster now, job id to studio id (from their labels). */
    Map<String, String> found() {
        var found = new java.util.HashMap<String, String>();
        for (var job : client.batch().v1().jobs().inNamespace(settings.namespace())
                .withLabel("app.kubernetes.io/managed-by", StudioPodFactory.MANAGED_BY)
                .withLabel("app.kubernetes.io/name", "kiln-job").list().getItems()) {
            var labels = job.getMetadata().getLabels();
            if (labels.get(TrainingJobFactory.LABEL_JOB) != null) {
                found.put(labels.get(TrainingJobFactory.LABEL_JOB), labels.get(StudioPodFactory.LABEL_STUDIO));
            }
        }
        return found;
    }

    /**
     * Removes Indexed Jobs whose record has ended or is gone ({@code unfinished}: the jobs the records say are under
     * way): a server that stopped before it could clean up leaves none running.
     */
    void orphans(java.util.Set<String> unfinished) {
        found().forEach((jobId, studioId) -> {
            if (!unfinished.contains(jobId) && !tracked.containsKey(jobId)) {
                log.info("Removing Indexed Job of job {} (studio {}): its record has ended", jobId, studioId);
                var spec = new TrainingJobSpec(jobId, studioId, settings.namespace(), settings.image(),
                        settings.serverUrl(), null, "", java.util.List.of(), 1, 1);
                jobs.cleanUp(spec);
            }
        });
    }

    /** One look at every followed job: new pods' logs are streamed, and each job is planned again. */
    @Override
    public void poll() {
        for (Tracked job : tracked.values()) {
            try {
                if (job.exit()[0] == null) {
                    followLogs(job);
                }
            } catch (RuntimeException e) {
                log.warn("Following job {} failed: {}", job.spec().jobId(),
                        dev.kiln.server.config.LogText.clean(e.getMessage()));
            }
            events.changed(job.spec().jobId());
        }
    }

    private void followLogs(Tracked job) {
        for (Pod pod : jobs.pods(job.spec())) {
            String name = pod.getMetadata().getName();
            boolean started = pod.getStatus() != null && ("Running".equals(pod.getStatus().getPhase())
                    || "Succeeded".equals(pod.getStatus().getPhase()) || "Failed".equals(pod.getStatus().getPhase()));
            if (started && !job.logs().containsKey(name)) {
                try {
                    var logs = client.pods().inNamespace(job.spec().namespace()).withName(name);
                    var sink = new OutputStream() {
                        @Override
                        public void write(int b) {
                            write(new byte[] {(byte) b}, 0, 1);
                        }

                        @Override
                        public void write(byte[] bytes, int offset, int length) {
                            events.output(job.spec().jobId(), new String(bytes, offset, length,
                                    StandardCharsets.UTF_8));
                        }
                    };
                    job.logs().put(name, job.logsSince() == null ? logs.watchLog(sink)
                            : logs.sinceTime(job.logsSince()).watchLog(sink));
                } catch (RuntimeException e) {
                    events.output(job.spec().jobId(), "kiln: cannot read the log of " + name + ": " + e.getMessage()
                            + "\n");
                    job.logs().put(name, null);
                }
            }
        }
    }

    private void cleanUp(Tracked job) {
        job.logs().values().forEach(watch -> {
            if (watch != null) {
                watch.close();
            }
        });
        job.logs().clear();
        jobs.cleanUp(job.spec());
    }
}
