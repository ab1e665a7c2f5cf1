package dev.kiln.machine.kubernetes;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import dev.kiln.machine.catalog.MachineType;
import dev.kiln.machine.agent.AgentToken;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.EnvVarBuilder;
import io.fabric8.kubernetes.api.model.OwnerReference;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.SecretBuilder;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.ServiceBuilder;
import io.fabric8.kubernetes.api.model.batch.v1.Job;
import io.fabric8.kubernetes.api.model.batch.v1.JobBuilder;

/**
 * The Kubernetes objects of a multi-node training job, built purely from its spec (asserted whole in tests): an
 * Indexed Job with one pod per node (completion index = node rank), a headless Service that gives rank 0 a stable DNS
 * name for the c10d rendezvous, and a Secret with the job's workspace token. The Job belongs to the studio's anchor
 * and the Service and Secret to the Job, so deleting the Job (or the studio) removes everything. No retries
 * ({@code backoffLimit: 0}): one failed node fails the gang, and the server says why.
 */
public final class TrainingJobFactory {
    public static final String LABEL_JOB = "kiln.dev/job";
    static final String COMPLETION_INDEX = "metadata.annotations['batch.kubernetes.io/job-completion-index']";
    static final long UID = 1000;

    private TrainingJobFactory() {}

    static Map<String, String> labels(TrainingJobSpec spec) {
        var labels = new LinkedHashMap<String, String>();
        labels.put("app.kubernetes.io/name", "kiln-job");
        labels.put("app.kubernetes.io/part-of", "kiln");
        labels.put("app.kubernetes.io/managed-by", StudioPodFactory.MANAGED_BY);
        labels.put(StudioPodFactory.LABEL_STUDIO, spec.studioId());
        labels.put(LABEL_JOB, spec.jobId());
        return labels;
    }

    /**
     * Lets the nodes of one job reach each other on any port (the c10d store, then Gloo's or NCCL's own
     * connections): {@code k8s/network-policies.yaml} denies machine and job pods all other traffic between pods,
     * so no other studio's job can reach this one's rendezvous.
     */
    public static io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicy nodesOfOneJob(TrainingJobSpec spec,
                                                                                               OwnerReference job) {
        var sameJob = new io.fabric8.kubernetes.api.model.LabelSelectorBuilder()
                .addToMatchLabels(LABEL_JOB, spec.jobId()).build();
        return new io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicyBuilder()
                .withNewMetadata().withName(spec.name()).withNamespace(spec.namespace()).withLabels(labels(spec))
                .withOwnerReferences(job).endMetadata()
                .withNewSpec().withPodSelector(sameJob).withPolicyTypes("Ingress", "Egress")
                .addNewIngress().addNewFrom().withPodSelector(sameJob).endFrom().endIngress()
                .addNewEgress().addNewTo().withPodSelector(sameJob).endTo().endEgress()
                .endSpec().build();
    }

    public static Service rendezvous(TrainingJobSpec spec, OwnerReference job) {
        return new ServiceBuilder()
                .withNewMetadata().withName(spec.name()).withNamespace(spec.namespace()).withLabels(labels(spec))
                .withOwnerReferences(job).endMetadata()
                .withNewSpec().withClusterIP("None")
                // Rank 0 must be resolvable before it is Ready: the others dial it while it waits for them.
                .withPublishNotReadyAddresses(true)
                .withSelector(Map.of(LABEL_JOB, spec.jobId()))
                .addNewPort().withName("c10d").withPort(TrainingJobSpec.RENDEZVOUS_PORT).endPort()
                .endSpec().build();
    }

    /** Where each node finds the studio's data connections (short-lived credentials), from the job's Secret. */
    public static final String CONNECTIONS_FILE = "/var/run/kiln/connections.json";

    /**
     * The job's Secret: its workspace token (git read of its own studio only), and the studio's data connections as the job receives them (the same
     * document a machine's agent writes to a file), mounted read-only into every node. Deleted with the Job.
     */
    public static Secret token(TrainingJobSpec spec, String token, String connections, OwnerReference job) {
        return new SecretBuilder()
                .withNewMetadata().withName(spec.name()).withNamespace(spec.namespace()).withLabels(labels(spec))
                .withOwnerReferences(job).endMetadata()
                .withType("Opaque").addToStringData("token", token)
                .addToStringData("connections.json", connections == null ? "{\"connections\":[]}" : connections)
                .build();
    }

    public static Job job(TrainingJobSpec spec, OwnerReference studio) {
        MachineType type = spec.machineType();
        Map<String, Quantity> requests = new LinkedHashMap<>();
        requests.put("cpu", new Quantity(type.cpu()));
        requests.put("memory", new Quantity(type.memory()));
        Map<String, Quantity> limits = new LinkedHashMap<>();
        limits.put("memory", new Quantity(type.memory()));
        if (type.hasGpu()) {
            var gpus = new Quantity(String.valueOf(spec.devicesPerNode()));
            requests.put(type.gpu().resource(), gpus);
            limits.put(type.gpu().resource(), gpus);
        }
        return new JobBuilder()
                .withNewMetadata().withName(spec.name()).withNamespace(spec.namespace()).withLabels(labels(spec))
                .withOwnerReferences(studio == null ? List.of() : List.of(studio)).endMetadata()
                .withNewSpec()
                .withCompletionMode("Indexed").withCompletions(spec.nodes()).withParallelism(spec.nodes())
                .withBackoffLimit(0)
                .withTtlSecondsAfterFinished(3600)
                .withNewTemplate()
                .withNewMetadata().withLabels(labels(spec)).endMetadata()
                .withNewSpec()
                .withRestartPolicy("Never")
                .withSubdomain(spec.name())
                .withEnableServiceLinks(false)
                .withAutomountServiceAccountToken(false)
                .withNewSecurityContext().withRunAsNonRoot(true).withRunAsUser(UID).withRunAsGroup(UID).withFsGroup(UID)
                .withNewSeccompProfile().withType("RuntimeDefault").endSeccompProfile().endSecurityContext()
                .withNodeSelector(type.nodeSelector().isEmpty() ? null : new LinkedHashMap<>(type.nodeSelector()))
                .withTolerations(type.tolerations().stream().map(t -> new io.fabric8.kubernetes.api.model.TolerationBuilder()
                        .withKey(t.key()).withOperator(t.operator()).withValue(t.value()).withEffect(t.effect()).build())
                        .toList())
                .addNewContainer()
                .withName("trainer").withImage(spec.image()).withImagePullPolicy("IfNotPresent")
                .withCommand("java", "-cp", "/app/resources:/app/classes:/app/libs/*", JOB_NODE)
                .withEnv(env(spec))
                .addNewPort().withName("c10d").withContainerPort(TrainingJobSpec.RENDEZVOUS_PORT).endPort()
                .withNewResources().withRequests(requests).withLimits(limits).endResources()
                .addNewVolumeMount().withName("home").withMountPath(StudioPodFactory.HOME).endVolumeMount()
                .addNewVolumeMount().withName("shm").withMountPath("/dev/shm").endVolumeMount()
                .addNewVolumeMount().withName("connections").withMountPath("/var/run/kiln").withReadOnly(true)
                .endVolumeMount()
                .withNewSecurityContext().withAllowPrivilegeEscalation(false).withRunAsNonRoot(true)
                .withNewCapabilities().withDrop("ALL").endCapabilities().endSecurityContext()
                .endContainer()
                .addNewVolume().withName("home").withNewEmptyDir().endEmptyDir().endVolume()
                .addNewVolume().withName("shm").withNewEmptyDir().withMedium("Memory")
                .withSizeLimit(new Quantity(type.hasGpu() ? "16Gi" : "1Gi")).endEmptyDir().endVolume()
                // Group-readable for the pod's fsGroup: the trainer runs as a non-root user.
                .addNewVolume().withName("connections").withNewSecret().withSecretName(spec.name()).withDefaultMode(0440)
                .addNewItem().withKey("connections.json").withPath("connections.json").endItem()
                .addNewItem().withKey("token").withPath("token").endItem().endSecret().endVolume()
                .endSpec()
                .endTemplate()
                .endSpec().build();
    }

    static final String JOB_NODE = "dev.kiln.machine.agent.JobNode";

    private static List<EnvVar> env(TrainingJobSpec spec) {
        var env = new ArrayList<EnvVar>();
        env.add(value("KILN_SERVER_URL", spec.serverUrl()));
        env.add(value("KILN_STUDIO_ID", spec.studioId()));
        env.add(value("KILN_JOB_ID", spec.jobId()));
        env.add(value("KILN_JOB_ENTRY", spec.entryPoint()));
        env.add(value("KILN_JOB_ARGS", String.join("\n", spec.args())));
        // A git-read token for the studio's repository only, as a file of the job's Secret (not an environment
        // variable every rank would inherit).
        env.add(value(AgentToken.FILE, "/var/run/kiln/token"));
        env.add(value("NNODES", String.valueOf(spec.nodes())));
        env.add(value("NPROC_PER_NODE", String.valueOf(spec.devicesPerNode())));
        env.add(new EnvVarBuilder().withName("NODE_RANK").withNewValueFrom().withNewFieldRef()
                .withFieldPath(COMPLETION_INDEX).endFieldRef().endValueFrom().build());
        env.add(value("MASTER_ADDR", spec.masterAddress()));
        env.add(value("MASTER_PORT", String.valueOf(TrainingJobSpec.RENDEZVOUS_PORT)));
        env.add(value("WORLD_SIZE", String.valueOf(spec.nodes() * spec.devicesPerNode())));
        env.add(value("HOME", StudioPodFactory.HOME));
        env.add(value("KILN_CONNECTIONS", CONNECTIONS_FILE));
        return env;
    }

    private static EnvVar value(String name, String value) {
        return new EnvVarBuilder().withName(name).withValue(value).build();
    }
}
