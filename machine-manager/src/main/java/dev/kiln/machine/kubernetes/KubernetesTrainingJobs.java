package dev.kiln.machine.kubernetes;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;

import dev.kiln.machine.agent.AgentRegistry;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.OwnerReference;
import io.fabric8.kubernetes.api.model.OwnerReferenceBuilder;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodCondition;
import io.fabric8.kubernetes.api.model.batch.v1.Job;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.dsl.NonDeletingOperation;

/**
 * Multi-node training jobs on the cluster: submits a job's objects ({@link TrainingJobFactory}), tells how it is
 * doing from its pods, and removes everything afterwards. Gang semantics: if not every node is running within the
 * gang timeout, the job fails with the scheduler's reason and is deleted, so a half-started gang never holds GPUs.
 */
public final class KubernetesTrainingJobs {
    public enum Phase { STARTING, RUNNING, SUCCEEDED, FAILED }

    /** How the job is doing: its phase, how many nodes run, and why when it failed. */
    public record Observation(Phase phase, int running, int nodes, String reason) {}

    /** Job tokens fetch the studio's workspace only; they are told apart from machines by this generation. */
    public static final long JOB_GENERATION = -1;

    private final KubernetesClient client;
    private final AgentRegistry tokens;
    private final Clock clock;
    private final Duration gangTimeout;

    public KubernetesTrainingJobs(KubernetesClient client, AgentRegistry tokens, Clock clock, Duration gangTimeout) {
        this.client = client;
        this.tokens = tokens;
        this.clock = clock;
        this.gangTimeout = gangTimeout;
    }

    /**
     * Creates the Job, then its Service, NetworkPolicy and Secret (token and data connections, {@code connections} as the JSON a
     * job receives; null for none) owned by it. Safe to repeat.
     */
    public void submit(TrainingJobSpec spec, OwnerReference studio, String connections) {
        Job job = ApiRetry.call("create the job", () -> client.resource(TrainingJobFactory.job(spec, studio))
                .unlock().createOr(NonDeletingOperation::update));
        if (!"Indexed".equals(job.getSpec().getCompletionMode())) {
            // An API server before 1.21 drops completionMode without a word: the nodes would get random names, and
            // no node would ever find rank 0 at <job>-0.<job>.
            ApiRetry.run("delete the job", () -> client.resource(job).withPropagationPolicy(
                    io.fabric8.kubernetes.api.model.DeletionPropagation.BACKGROUND).delete());
            throw new IllegalStateException("this cluster's Kubernetes has no Indexed Jobs (they came in 1.21), which "
                    + "a multi-node job needs: upgrade the cluster, or run the job on one node");
        }
        OwnerReference owner = new OwnerReferenceBuilder().withApiVersion("batch/v1").withKind("Job")
                .withName(job.getMetadata().getName()).withUid(job.getMetadata().getUid()).withController(true)
                .withBlockOwnerDeletion(true).build();
        create(TrainingJobFactory.rendezvous(spec, owner));
        create(TrainingJobFactory.nodesOfOneJob(spec, owner));
        create(TrainingJobFactory.token(spec, tokens.issue(spec.studioId(), JOB_GENERATION), connections, owner));
    }

    private void create(HasMetadata object) {
        ApiRetry.run("create " + object.getKind(), () -> client.resource(object).unlock()
                .createOr(NonDeletingOperation::update));
    }

    public List<Pod> pods(TrainingJobSpec spec) {
        return client.pods().inNamespace(spec.namespace()).withLabel(TrainingJobFactory.LABEL_JOB, spec.jobId())
                .list().getItems();
    }

    public Observation observe(TrainingJobSpec spec) {
        Job job = client.batch().v1().jobs().inNamespace(spec.namespace()).withName(spec.name()).get();
        if (job == null) {
            return new Observation(Phase.FAILED, 0, spec.nodes(), "the job's Kubernetes objects are gone");
        }
        List<Pod> pods = pods(spec);
        int succeeded = job.getStatus() == null || job.getStatus().getSucceeded() == null ? 0
                : job.getStatus().getSucceeded();
        if (succeeded >= spec.nodes()) {
            return new Observation(Phase.SUCCEEDED, 0, spec.nodes(), null);
        }
        for (Pod pod : pods) {
            if ("Failed".equals(phase(pod))) {
                return new Observation(Phase.FAILED, 0, spec.nodes(), "node " + index(pod) + " failed: "
                        + terminated(pod));
            }
        }
        if (job.getStatus() != null && job.getStatus().getConditions() != null) {
            for (var condition : job.getStatus().getConditions()) {
                if ("Failed".equals(condition.getType()) && "True".equals(condition.getStatus())) {
                    return new Observation(Phase.FAILED, 0, spec.nodes(), condition.getReason() + ": "
                            + condition.getMessage());
                }
            }
        }
        int running = (int) pods.stream().filter(p -> "Running".equals(phase(p)) || "Succeeded".equals(phase(p)))
                .count();
        if (running >= spec.nodes()) {
            return new Observation(Phase.RUNNING, running, spec.nodes(), null);
        }
        Instant created = Instant.parse(job.getMetadata().getCreationTimestamp());
        if (!created.plus(gangTimeout).isAfter(clock.instant())) {
            String why = pods.stream().map(KubernetesTrainingJobs::unschedulable).filter(r -> r != null).findFirst()
                    .orElse(pods.size() < spec.nodes() ? "only " + pods.size() + " pods were created" : "nodes did not start");
            return new Observation(Phase.FAILED, running, spec.nodes(), "only " + running + " of " + spec.nodes()
                    + " nodes started within " + gangTimeout.toMinutes() + " min (" + why + "); stopped the others so "
                    + "they do not hold GPUs");
        }
        return new Observation(Phase.STARTING, running, spec.nodes(), null);
    }

    /** Deletes the Job, its Service, NetworkPolicy, Secret and pods (the garbage collector would too; this does not wait for it). */
    public void cleanUp(TrainingJobSpec spec) {
        tokens.revoke(spec.studioId(), JOB_GENERATION);
        String ns = spec.namespace();
        ApiRetry.run("delete the job", () -> {
            client.batch().v1().jobs().inNamespace(ns).withName(spec.name())
                    .withPropagationPolicy(io.fabric8.kubernetes.api.model.DeletionPropagation.BACKGROUND).delete();
            client.services().inNamespace(ns).withName(spec.name()).delete();
            client.network().v1().networkPolicies().inNamespace(ns).withName(spec.name()).delete();
            client.secrets().inNamespace(ns).withName(spec.name()).delete();
            client.pods().inNamespace(ns).withLabel(TrainingJobFactory.LABEL_JOB, spec.jobId()).delete();
        });
    }

    private static String phase(Pod pod) {
        return pod.getStatus() == null ? null : pod.getStatus().getPhase();
    }

    private static String index(Pod pod) {
        var annotations = pod.getMetadata().getAnnotations();
        return annotations == null ? "?" : annotations.getOrDefault("batch.kubernetes.io/job-completion-index", "?");
    }

    private static String terminated(Pod pod) {
        if (pod.getStatus().getContainerStatuses() != null) {
            for (var status : pod.getStatus().getContainerStatuses()) {
                var state = status.getState() == null ? null : status.getState().getTerminated();
                if (state != null) {
                    return (state.getReason() == null ? "exit code " + state.getExitCode()
                            : state.getReason() + " (exit code " + state.getExitCode() + ")")
                            + ("OOMKilled".equals(state.getReason()) ? ": out of memory" : "");
                }
            }
        }
        return pod.getStatus().getReason() == null ? "it stopped" : pod.getStatus().getReason();
    }

    private static String unschedulable(Pod pod) {
        if (pod.getStatus() == null || pod.getStatus().getConditions() == null) {
            return null;
        }
        for (PodCondition condition : pod.getStatus().getConditions()) {
            if ("PodScheduled".equals(condition.getType()) && "False".equals(condition.getStatus())) {
                return condition.getMessage();
            }
        }
        return null;
    }
}
