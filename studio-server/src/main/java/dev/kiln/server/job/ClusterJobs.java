package dev.kiln.server.job;

import dev.kiln.machine.catalog.MachineType;
import dev.kiln.machine.kubernetes.KubernetesStudioMachines;
import dev.kiln.machine.kubernetes.KubernetesTrainingJobs;
import dev.kiln.machine.kubernetes.TrainingJobSpec;
import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.dsl.LogWatch;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Multi-node jobs on the Kubernetes backend: one Indexed Job per job (see {@link KubernetesTrainingJobs}), followed
 * every two seconds until it ends, its pods' logs streamed into the job's log as they start, and every object
 * removed at the end, whatever the outcome.
 */
final class ClusterJobs {
    private static final Logger log = LoggerFactory.getLogger(ClusterJobs.class);

    /** What the job service hears back: a status change and the job's output. */
    interface Listener {
        void running(String jobId);

        void ended(String jobId, boolean succeeded, String reason);

        void output(String jobId, String text);
    }

    private record Tracked(TrainingJobSpec spec, Map<String, LogWatch> logs, boolean[] running) {}

    private final KubernetesClient client;
    private final KubernetesTrainingJobs jobs;
    private final KubernetesStudioMachines.Settings settings;
    private final Map<String, Tracked> tracked = new ConcurrentHashMap<>();

    ClusterJobs(KubernetesClient client, KubernetesTrainingJobs jobs, KubernetesStudioMachines.Settings settings) {
        this.client = client;
        this.jobs = jobs;
        this.settings = settings;
    }

    /** {@code connections}: the studio's data connections as the job receives them (JSON), or null. */
    void submit(String jobId, String studioId, MachineType type, dev.kiln.api.job.JobRequest request,
                String connections) {
        var spec = new TrainingJobSpec(jobId, studioId, settings.namespace(), settings.image(), settings.serverUrl(),
                type, request.entryPoint(), request.args(), request.nodes(), request.devices());
        ConfigMap anchor = client.configMaps().inNamespace(settings.namespace()).withName("kiln-studio-" + studioId)
                .get();
        jobs.submit(spec, anchor == null ? null : dev.kiln.machine.kubernetes.StudioPodFactory.ownedBy(anchor),
                connections);
        tracked.put(jobId, new Tracked(spec, new ConcurrentHashMap<>(), new boolean[1]));
    }

    void cancel(String jobId, Listener listener, String reason) {
        Tracked job = tracked.remove(jobId);
        if (job != null) {
            finish(job, listener, false, reason);
        }
    }

    /** One look at every tracked job (the job service calls this on a schedule). */
    void follow(Listener listener) {
        for (Tracked job : tracked.values()) {
            try {
                followLogs(job, listener);
                var observed = jobs.observe(job.spec());
                switch (observed.phase()) {
                    case RUNNING -> {
                        if (!job.running()[0]) {
                            job.running()[0] = true;
                            listener.running(job.spec().jobId());
                        }
                    }
                    case SUCCEEDED -> {
                        tracked.remove(job.spec().jobId());
                        finish(job, listener, true, "Finished on " + job.spec().nodes() + " nodes");
                    }
                    case FAILED -> {
                        tracked.remove(job.spec().jobId());
                        finish(job, listener, false, capitalize(observed.reason()));
                    }
                    case STARTING -> { }
                }
            } catch (RuntimeException e) {
                log.warn("Following job {} failed: {}", job.spec().jobId(), dev.kiln.server.config.LogText.clean(e.getMessage()));
            }
        }
    }

    private void followLogs(Tracked job, Listener listener) {
        for (Pod pod : jobs.pods(job.spec())) {
            String name = pod.getMetadata().getName();
            boolean started = pod.getStatus() != null && ("Running".equals(pod.getStatus().getPhase())
                    || "Succeeded".equals(pod.getStatus().getPhase()) || "Failed".equals(pod.getStatus().getPhase()));
            if (started && !job.logs().containsKey(name)) {
                try {
                    job.logs().put(name, client.pods().inNamespace(job.spec().namespace()).withName(name)
                            .watchLog(new OutputStream() {
                                @Override
                                public void write(int b) {
                                    write(new byte[] {(byte) b}, 0, 1);
                                }

                                @Override
                                public void write(byte[] bytes, int offset, int length) {
                                    listener.output(job.spec().jobId(),
                                            new String(bytes, offset, length, StandardCharsets.UTF_8));
                                }
                            }));
                } catch (RuntimeException e) {
                    listener.output(job.spec().jobId(), "kiln: cannot read the log of " + name + ": " + e.getMessage()
                            + "\n");
                    job.logs().put(name, null);
                }
            }
        }
    }

    private void finish(Tracked job, Listener listener, boolean succeeded, String reason) {
        job.logs().values().forEach(watch -> {
            if (watch != null) {
                watch.close();
            }
        });
        try {
            jobs.cleanUp(job.spec());
        } finally {
            listener.ended(job.spec().jobId(), succeeded, reason);
        }
    }

    private static String capitalize(String text) {
        return text == null || text.isEmpty() ? "Failed" : Character.toUpperCase(text.charAt(0)) + text.substring(1);
    }
}
