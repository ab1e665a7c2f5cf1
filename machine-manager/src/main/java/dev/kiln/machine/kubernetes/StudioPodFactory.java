package dev.kiln.machine.kubernetes;

import java.util.LinkedHashMap;
import java.util.Map;

import dev.kiln.machine.catalog.MachineType;
import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.ConfigMapBuilder;
import dev.kiln.machine.agent.AgentToken;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.EnvVarBuilder;
import io.fabric8.kubernetes.api.model.OwnerReference;
import io.fabric8.kubernetes.api.model.OwnerReferenceBuilder;
import io.fabric8.kubernetes.api.model.PersistentVolumeClaim;
import io.fabric8.kubernetes.api.model.PersistentVolumeClaimBuilder;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.api.model.Toleration;
import io.fabric8.kubernetes.api.model.TolerationBuilder;

/**
 * Builds a studio's Kubernetes objects as pure functions of its spec and machine type, tested as whole objects
 * (see the expected YAML in the tests). Nothing here talks to a cluster.
 *
 * <p>A pod cannot change node or GPU count in place, so a machine switch deletes the pod and creates another; the
 * home volume stays, which is why files and the environment survive.
 */
public final class StudioPodFactory {
    public static final String MANAGED_BY = "kiln";
    public static final String LABEL_STUDIO = "kiln.dev/studio";
    public static final String LABEL_MACHINE_TYPE = "kiln.dev/machine-type";
    public static final String LABEL_GENERATION = "kiln.dev/generation";
    public static final String HOME = "/home/kiln";
    private static final long UID = 1000;

    private StudioPodFactory() {}

    public static Map<String, String> labels(StudioMachineSpec spec, String component) {
        var labels = new LinkedHashMap<String, String>();
        labels.put("app.kubernetes.io/name", "kiln-" + component);
        labels.put("app.kubernetes.io/part-of", "kiln");
        labels.put("app.kubernetes.io/managed-by", MANAGED_BY);
        labels.put(LABEL_STUDIO, spec.studioId());
        return labels;
    }

    public static ConfigMap anchor(StudioMachineSpec spec) {
        return new ConfigMapBuilder()
                .withNewMetadata().withName(spec.anchorName()).withNamespace(spec.namespace())
                .withLabels(labels(spec, "studio")).endMetadata()
                .addToData("studio", spec.studioId())
                .build();
    }

    /** Where the pod's agent finds its token (the Secret below, mounted read-only). */
    public static final String TOKEN_DIR = "/var/run/kiln/agent";

    /** The machine's agent token for one generation; the pod reads it from a file ({@link #TOKEN_DIR}). */
    public static io.fabric8.kubernetes.api.model.Secret agentToken(StudioMachineSpec spec, long generation,
                                                                      String token, OwnerReference owner) {
        var labels = labels(spec, "agent-token");
        return new io.fabric8.kubernetes.api.model.SecretBuilder()
                .withNewMetadata().withName(spec.tokenSecretName()).withNamespace(spec.namespace()).withLabels(labels)
                .addToLabels(LABEL_GENERATION, String.valueOf(generation))
                .withOwnerReferences(owner == null ? java.util.List.of() : java.util.List.of(owner)).endMetadata()
                .withType("Opaque").addToStringData("token", token).build();
    }

    /** Makes the anchor the owner of another object, so deleting the anchor deletes it (nothing is orphaned). */
    public static OwnerReference ownedBy(ConfigMap anchor) {
        return new OwnerReferenceBuilder().withApiVersion("v1").withKind("ConfigMap")
                .withName(anchor.getMetadata().getName()).withUid(anchor.getMetadata().getUid())
                .withBlockOwnerDeletion(true).withController(true).build();
    }

    public static PersistentVolumeClaim homeVolume(StudioMachineSpec spec, OwnerReference owner) {
        return new PersistentVolumeClaimBuilder()
                .withNewMetadata().withName(spec.volumeName()).withNamespace(spec.namespace())
                .withLabels(labels(spec, "home")).withOwnerReferences(owner).endMetadata()
                .withNewSpec().withAccessModes("ReadWriteOnce").withStorageClassName(spec.storageClass())
                .withNewResources().addToRequests("storage", new Quantity(spec.volumeSize())).endResources()
                .endSpec()
                .build();
    }

    public static Pod pod(StudioMachineSpec spec, MachineType type, long generation, OwnerReference owner) {
        var labels = labels(spec, "machine");
        labels.put(LABEL_MACHINE_TYPE, type.id());
        labels.put(LABEL_GENERATION, String.valueOf(generation));

        var requests = new LinkedHashMap<String, Quantity>();
        requests.put("cpu", new Quantity(type.cpu()));
        requests.put("memory", new Quantity(type.memory()));
        // Requests equal limits (Guaranteed QoS): a studio is not evicted first when a node runs short.
        var limits = new LinkedHashMap<>(requests);
        if (type.hasGpu()) {
            var gpus = new Quantity(String.valueOf(type.gpuCount()));
            requests.put(type.gpu().resource(), gpus);
            limits.put(type.gpu().resource(), gpus);
        }

        return new PodBuilder()
                .withNewMetadata().withName(spec.podName(generation)).withNamespace(spec.namespace())
                .withLabels(labels).addToAnnotations("kiln.dev/machine-display-name", type.displayName())
                .withOwnerReferences(owner).endMetadata()
                .withNewSpec()
                .withRestartPolicy("Always")
                .withTerminationGracePeriodSeconds(30L)
                .withEnableServiceLinks(false)
                // The machine reaches the server only through its agent's WebSocket, never the Kubernetes API.
                .withAutomountServiceAccountToken(false)
                .withNewSecurityContext().withRunAsNonRoot(true).withRunAsUser(UID).withRunAsGroup(UID)
                .withFsGroup(UID).withNewSeccompProfile().withType("RuntimeDefault").endSeccompProfile()
                .endSecurityContext()
                .withNodeSelector(type.nodeSelector().isEmpty() ? null : new LinkedHashMap<>(type.nodeSelector()))
                .withTolerations(type.tolerations().stream().map(StudioPodFactory::toleration).toList())
                .addNewContainer()
                .withName("machine").withImage(spec.image()).withImagePullPolicy("IfNotPresent")
                .withEnv(env(spec, type, generation))
                .withNewResources().withRequests(requests).withLimits(limits).endResources()
                .addNewVolumeMount().withName("home").withMountPath(HOME).endVolumeMount()
                .addNewVolumeMount().withName("shm").withMountPath("/dev/shm").endVolumeMount()
                .addNewVolumeMount().withName("agent-token").withMountPath(TOKEN_DIR).withReadOnly(true).endVolumeMount()
                .withNewSecurityContext().withAllowPrivilegeEscalation(false).withRunAsNonRoot(true)
                .withNewCapabilities().withDrop("ALL").endCapabilities().endSecurityContext()
                .endContainer()
                .addNewVolume().withName("home").withNewPersistentVolumeClaim().withClaimName(spec.volumeName())
                .endPersistentVolumeClaim().endVolume()
                // The token as a file readable by the machine's user only, never an environment variable that
                // every shell and job would inherit.
                .addNewVolume().withName("agent-token").withNewSecret().withSecretName(spec.tokenSecretName())
                .withDefaultMode(0400).addNewItem().withKey("token").withPath("token").endItem().endSecret().endVolume()
                // DataLoader workers and NCCL use shared memory; the container default (64 MB) is too small.
                .addNewVolume().withName("shm").withNewEmptyDir().withMedium("Memory")
                .withSizeLimit(new Quantity(type.hasGpu() ? "16Gi" : "1Gi")).endEmptyDir().endVolume()
                .endSpec()
                .build();
    }

    private static java.util.List<EnvVar> env(StudioMachineSpec spec, MachineType type, long generation) {
        return java.util.List.of(
                new EnvVarBuilder().withName("KILN_SERVER_URL").withValue(spec.serverUrl()).build(),
                new EnvVarBuilder().withName("KILN_STUDIO_ID").withValue(spec.studioId()).build(),
                new EnvVarBuilder().withName("KILN_MACHINE_TYPE").withValue(type.id()).build(),
                new EnvVarBuilder().withName("KILN_MACHINE_GENERATION").withValue(String.valueOf(generation)).build(),
                new EnvVarBuilder().withName(AgentToken.FILE).withValue(TOKEN_DIR + "/token").build(),
                new EnvVarBuilder().withName("HOME").withValue(HOME).build());
    }

    private static Toleration toleration(MachineType.Toleration t) {
        return new TolerationBuilder().withKey(t.key()).withOperator(t.operator()).withValue(t.value())
                .withEffect(t.effect()).build();
    }
}
