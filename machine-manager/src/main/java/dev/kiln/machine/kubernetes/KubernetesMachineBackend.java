package dev.kiln.machine.kubernetes;

import java.util.List;

import dev.kiln.machine.agent.AgentRegistry;
import dev.kiln.machine.catalog.MachineCatalog;
import dev.kiln.machine.catalog.MachineType;
import dev.kiln.machine.plan.Actuator;
import dev.kiln.machine.plan.MachineStep;
import dev.kiln.machine.plan.ObservedMachine;
import dev.kiln.machine.plan.TryAgainSoon;
import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.ConfigMapBuilder;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.PersistentVolume;
import io.fabric8.kubernetes.api.model.PersistentVolumeClaim;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.dsl.NonDeletingOperation;

/**
 * Runs studios' machines as pods through the fabric8 client: reads what exists for a studio and performs the
 * planner's steps. Objects are written with server-side apply under one field manager, so repeating a step is
 * harmless and Kiln never fights other controllers over fields it does not own.
 */
public final class KubernetesMachineBackend implements Actuator<StudioMachineSpec> {
    public static final String FIELD_MANAGER = "kiln";
    static final String LAST_GENERATION = "kiln.dev/last-generation";

    private final KubernetesClient client;
    private final MachineCatalog catalog;
    private final AgentRegistry tokens;
    private final ClusterView cluster;

    /** Without agent tokens, reading the API directly: for tests of placement alone, which step a cluster by hand. */
    public KubernetesMachineBackend(KubernetesClient client, MachineCatalog catalog) {
        this(client, catalog, null, new DirectClusterView(client, null));
    }

    KubernetesMachineBackend(KubernetesClient client, MachineCatalog catalog, AgentRegistry tokens,
                             ClusterView cluster) {
        this.client = client;
        this.catalog = catalog;
        this.tokens = tokens;
        this.cluster = cluster;
    }

    /** From what the cluster view holds: no request to the API server (see {@link ClusterView}). */
    @Override
    public ObservedMachine observe(StudioMachineSpec spec, String desiredType) {
        ConfigMap anchor = cluster.anchor(spec);
        PersistentVolumeClaim volume = cluster.volume(spec);
        List<Pod> pods = cluster.studioPods(spec);
        var observed = pods.stream().map(PodStates::observe).toList();
        long lastGeneration = anchor == null ? 0 : lastGeneration(anchor);
        boolean targetExists = observed.stream().anyMatch(p -> p.machineType().equals(desiredType) && !p.deleting());
        // Not a type of the catalog: the machine of a deleted studio being stopped ("-"), or a type an admin took
        // out of the catalog. Nothing to place, and stopping must not fail on it.
        ObservedMachine.Capacity capacity = targetExists ? ObservedMachine.Capacity.available()
                : catalog.find(desiredType).map(type -> capacity(type, pods, volume))
                .orElseGet(() -> ObservedMachine.Capacity.noRoom("'" + desiredType
                        + "' is not a machine type of this cluster's catalog"));
        // Without agent tokens nobody can be asked to save work: every machine counts as saved.
        var saves = tokens != null ? tokens.saves(spec.studioId()) : observed.stream().collect(java.util.stream.Collectors
                .toMap(ObservedMachine.Pod::generation, p -> new ObservedMachine.WorkSave(java.time.Instant.EPOCH, true),
                        (a, b) -> a));
        return new ObservedMachine(anchor != null, volume != null, lastGeneration, observed, capacity, saves);
    }

    private ObservedMachine.Capacity capacity(MachineType type, List<Pod> studioPods, PersistentVolumeClaim volume) {
        var nodes = cluster.nodes();
        var allPods = cluster.allPods();
        var leaving = studioPods.stream().map(p -> p.getMetadata().getName()).toList();
        return CapacityCheck.check(type, nodes, allPods, leaving, zoneOf(volume));
    }

    /** A bound zonal volume pins the studio to its zone: the new pod must be scheduled there. */
    private String zoneOf(PersistentVolumeClaim volume) {
        if (volume == null || volume.getSpec().getVolumeName() == null) {
            return null;
        }
        PersistentVolume pv = cluster.persistentVolume(volume.getSpec().getVolumeName());
        return pv == null || pv.getMetadata().getLabels() == null ? null
                : pv.getMetadata().getLabels().get(CapacityCheck.ZONE_LABEL);
    }

    /**
     * Performs one step; every step is safe to repeat. A {@code Revert} is the caller's (it changes desired state).
     * A conflict or throttling ends the pass with {@link TryAgainSoon}: the next pass plans from what is there then.
     */
    @Override
    public void perform(StudioMachineSpec spec, MachineStep step) {
        try {
            act(spec, step);
        } catch (KubernetesClientException e) {
            if (e.getCode() == 409 || e.getCode() == 429) {
                throw new TryAgainSoon(step.getClass().getSimpleName() + ": " + e.getMessage(), e);
            }
            throw e;
        }
    }

    private void act(StudioMachineSpec spec, MachineStep step) {
        switch (step) {
            case MachineStep.CreateAnchor ignored -> apply(StudioPodFactory.anchor(spec));
            case MachineStep.CreateVolume ignored -> apply(StudioPodFactory.homeVolume(spec,
                    StudioPodFactory.ownedBy(anchor(spec))));
            case MachineStep.SaveWork save -> {
                if (tokens != null) {
                    tokens.requestSave(new AgentRegistry.Identity(spec.studioId(), save.generation()));
                }
            }
            case MachineStep.DeletePod delete -> {
                Pod pod = client.pods().inNamespace(spec.namespace()).withName(delete.podName()).get();
                if (pod != null && tokens != null) {
                    tokens.revoke(spec.studioId(), Long.parseLong(pod.getMetadata().getLabels()
                            .getOrDefault(StudioPodFactory.LABEL_GENERATION, "0")));
                }
                client.pods().inNamespace(spec.namespace()).withName(delete.podName()).delete();
            }
            case MachineStep.CreatePod create -> {
                ConfigMap anchor = anchor(spec);
                // The plan came from caches, which may lag: checked against the API itself, so a pod the cache has
                // not seen yet is never doubled. The planner creates only when the studio has no pod left at all.
                if (lastGeneration(anchor) >= create.generation() || !new DirectClusterView(client, null)
                        .studioPods(spec).isEmpty()) {
                    // Someone took this generation after the plan was made (another server during a restart, or an
                    // earlier try of this step): the plan is stale, and the next pass plans from what is there now.
                    return;
                }
                // Record the generation first, so that if the server dies right after, the name is never reused.
                // A compare-and-set on the anchor's resourceVersion: if another server records one in between, this
                // write gets a 409, and the retried step finds the generation taken above.
                client.resource(new ConfigMapBuilder(anchor).editMetadata()
                        .addToAnnotations(LAST_GENERATION, String.valueOf(create.generation())).endMetadata().build())
                        .update();
                if (tokens != null) {
                    // The agent's credential, in a Secret the pod reads (never in the pod spec itself). Kept across
                    // server restarts: the running agent reconnects with it.
                    String token = tokens.issue(spec.studioId(), create.generation());
                    apply(StudioPodFactory.agentToken(spec, create.generation(), token, StudioPodFactory.ownedBy(anchor)));
                }
                apply(StudioPodFactory.pod(spec, catalog.require(create.machineType()), create.generation(),
                        StudioPodFactory.ownedBy(anchor)));
            }
            case MachineStep.Revert ignored -> throw new IllegalArgumentException("Revert changes desired state; "
                    + "the reconciler handles it");
        }
    }

    private static long lastGeneration(ConfigMap anchor) {
        var annotations = anchor.getMetadata().getAnnotations();
        return annotations == null ? 0 : Long.parseLong(annotations.getOrDefault(LAST_GENERATION, "0"));
    }

    private ConfigMap anchor(StudioMachineSpec spec) {
        ConfigMap anchor = client.configMaps().inNamespace(spec.namespace()).withName(spec.anchorName()).get();
        if (anchor == null) {
            throw new IllegalStateException("The anchor " + spec.anchorName() + " does not exist yet");
        }
        return anchor;
    }

    private void apply(HasMetadata object) {
        try {
            client.resource(object).fieldManager(FIELD_MANAGER).forceConflicts().serverSideApply();
        } catch (KubernetesClientException e) {
            if (e.getCode() != 404 && e.getCode() != 415) {
                throw e;
            }
            // Only an API server without server-side apply gets here, which in practice is fabric8's mock server in
            // the tests (404 for a missing object, 415 for the apply content type): create, or replace as a whole.
            client.resource(object).unlock().createOr(NonDeletingOperation::update);
        }
    }
}
