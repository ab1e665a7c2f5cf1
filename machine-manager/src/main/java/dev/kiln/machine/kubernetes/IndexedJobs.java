package dev.kiln.machine.kubernetes;

import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Base64;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Consumer;

import dev.kiln.machine.agent.AgentRegistry;
import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.dsl.LogWatch;

/**
 * What the server's Indexed-Job backend needs of the cluster, so that fabric8 stays in this package: submit a job owned
 * by its studio's anchor, observe it, stream its pods' logs, find Kiln's Indexed Jobs by their labels after a restart
 * (and their tokens in their Secrets), and remove a job's objects.
 */
public final class IndexedJobs {
    private final KubernetesClient client;
    private final KubernetesTrainingJobs jobs;
    private final AgentRegistry tokens;
    private final String namespace;

    public IndexedJobs(KubernetesClient client, KubernetesTrainingJobs jobs, AgentRegistry tokens, String namespace) {
        this.client = client;
        this.jobs = jobs;
        this.tokens = tokens;
        this.namespace = namespace;
    }

    /**
     * Submits the job, owned by the studio's anchor (so it goes with the studio) when there is one;
     * {@code connections}: the data connections as the job receives them (JSON), or null.
     */
    public void submit(TrainingJobSpec spec, String connections) {
        ConfigMap anchor = client.configMaps().inNamespace(namespace).withName("kiln-studio-" + spec.studioId()).get();
        jobs.submit(spec, anchor == null ? null : StudioPodFactory.ownedBy(anchor), connections);
    }

    public KubernetesTrainingJobs.Observation observe(TrainingJobSpec spec) {
        return jobs.observe(spec);
    }

    public void cleanUp(TrainingJobSpec spec) {
        jobs.cleanUp(spec);
    }

    /** Kiln's Indexed Jobs on the cluster now: job id to studio id, from their labels. */
    public Map<String, String> found() {
        var found = new HashMap<String, String>();
        for (var job : client.batch().v1().jobs().inNamespace(namespace)
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
     * After a server restart: the job's workspace token (in its Secret) is accepted again, so nodes that start or
     * restart from now on can fetch the workspace.
     */
    public void restoreToken(TrainingJobSpec spec) {
        var secret = client.secrets().inNamespace(namespace).withName(spec.name()).get();
        if (secret != null && secret.getData() != null && secret.getData().get("token") != null) {
            tokens.restore(new String(Base64.getDecoder().decode(secret.getData().get("token")), StandardCharsets.UTF_8),
                    new AgentRegistry.Identity(spec.studioId(), KubernetesTrainingJobs.JOB_GENERATION));
        }
    }

    /**
     * The logs of one job's pods, streamed to {@code output} as each pod starts; {@code since}: only what they
     * write from then on (a job found again after a restart), or null for everything.
     */
    public Logs logs(TrainingJobSpec spec, Instant since, Consumer<String> output) {
        return new Logs(spec, since, output);
    }

    /** The log streams of one job's pods. */
    public final class Logs implements AutoCloseable {
        private final TrainingJobSpec spec;
        private final String since;
        private final Consumer<String> output;
        private final Map<String, LogWatch> watches = new ConcurrentHashMap<>();
        private final java.util.Set<String> followed = ConcurrentHashMap.newKeySet();

        private Logs(TrainingJobSpec spec, Instant since, Consumer<String> output) {
            this.spec = spec;
            this.since = since == null ? null : since.toString();
            this.output = output;
        }

        /** Starts streaming the pods that have started since the last look. */
        public void follow() {
            for (Pod pod : jobs.pods(spec)) {
                String name = pod.getMetadata().getName();
                String phase = pod.getStatus() == null ? null : pod.getStatus().getPhase();
                boolean started = "Running".equals(phase) || "Succeeded".equals(phase) || "Failed".equals(phase);
                if (started && followed.add(name)) {
                    try {
                        var resource = client.pods().inNamespace(namespace).withName(name);
                        var sink = new OutputStream() {
                            @Override
                            public void write(int b) {
                                write(new byte[] {(byte) b}, 0, 1);
                            }

                            @Override
                            public void write(byte[] bytes, int offset, int length) {
                                output.accept(new String(bytes, offset, length, StandardCharsets.UTF_8));
                            }
                        };
                        watches.put(name, since == null ? resource.watchLog(sink) : resource.sinceTime(since)
                                .watchLog(sink));
                    } catch (RuntimeException e) {
                        output.accept("kiln: cannot read the log of " + name + ": " + e.getMessage() + "\n");
                    }
                }
            }
        }

        @Override
        public void close() {
            watches.values().forEach(LogWatch::close);
            watches.clear();
        }
    }
}
