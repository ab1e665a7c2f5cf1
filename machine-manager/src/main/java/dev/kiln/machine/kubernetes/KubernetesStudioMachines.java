package dev.kiln.machine.kubernetes;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;

import dev.kiln.machine.MachineBackend;
import dev.kiln.machine.agent.AgentRegistry;
import dev.kiln.machine.catalog.MachineCatalog;
import dev.kiln.machine.catalog.MachineType;
import dev.kiln.machine.plan.MachineStep;
import dev.kiln.machine.plan.ObservedMachine;
import io.fabric8.kubernetes.api.model.DeletionPropagation;
import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.client.KubernetesClient;

/**
 * The Kubernetes backend as the server uses it: studios' machines are pods in one namespace, placed by
 * {@link KubernetesMachineBackend}. A pod counts as ready only once its agent has dialed home and synced the studio's
 * files. Observation reads informer caches ({@link InformedClusterView}); its informer on the studios' pods wakes the
 * reconciler on every change (no polling), and the agents' tokens
 * are read back from their Secrets at startup so running pods reconnect after a server restart.
 */
public final class KubernetesStudioMachines implements MachineBackend {
    /** Cluster-wide settings for every studio's objects. */
    public record Settings(String namespace, String image, String serverUrl, String volumeSize, String storageClass) {}

    private final KubernetesClient client;
    private final MachineCatalog catalog;
    private final AgentRegistry agents;
    private final Settings settings;
    private final KubernetesMachineBackend placement;
    private final List<Runnable> listeners = new CopyOnWriteArrayList<>();
    private final ClusterView cluster;

    public KubernetesStudioMachines(KubernetesClient client, MachineCatalog catalog, AgentRegistry agents,
                                    Settings settings) {
        this.client = client;
        this.catalog = catalog;
        this.agents = agents;
        this.settings = settings;
        restoreTokens(client, settings.namespace(), agents);
        this.cluster = new InformedClusterView(client, settings.namespace(), this::changed);
        this.placement = new KubernetesMachineBackend(client, catalog, agents, cluster);
    }

    StudioMachineSpec spec(String studioId) {
        return new StudioMachineSpec(studioId, settings.namespace(), settings.image(), settings.serverUrl(),
                settings.volumeSize(), settings.storageClass());
    }

    @Override
    public ObservedMachine observe(String studioId, String desiredType) {
        ObservedMachine seen = placement.observe(spec(studioId), desiredType);
        var pods = new ArrayList<ObservedMachine.Pod>();
        for (var pod : seen.pods()) {
            if (pod.state() == ObservedMachine.State.READY && !agents.isReady(studioId, pod.generation())) {
                // The container runs, but the machine is not usable until its agent is home with the files.
                var state = agents.isConnected(studioId, pod.generation()) ? ObservedMachine.State.SYNCING
                        : ObservedMachine.State.STARTING;
                pod = new ObservedMachine.Pod(pod.name(), pod.machineType(), pod.generation(), state, pod.reason(),
                        pod.since(), pod.deleting());
            }
            pods.add(pod);
        }
        return new ObservedMachine(seen.anchorExists(), seen.volumeExists(), seen.lastGeneration(), pods,
                seen.capacity(), agents.saves(studioId));
    }

    @Override
    public void perform(String studioId, MachineStep step) {
        placement.perform(spec(studioId), step);
    }

    /** Types some node of the cluster could ever run (its labels match); free capacity is checked at switch time. */
    @Override
    public List<MachineType> offerable() {
        List<Node> nodes = cluster.nodes();
        return catalog.types().stream().filter(type -> nodes.stream().anyMatch(node -> matches(type, node))).toList();
    }

    @Override
    public String whyNot(MachineType type) {
        return cluster.nodes().stream().anyMatch(node -> matches(type, node)) ? null
                : "no node in this cluster has the labels " + type.nodeSelector() + (type.hasGpu()
                ? " and " + type.gpuCount() + " " + type.gpu().resource() : "") + "; add such a node pool";
    }

    private static boolean matches(MachineType type, Node node) {
        Map<String, String> labels = node.getMetadata().getLabels() == null ? Map.of() : node.getMetadata().getLabels();
        if (!type.nodeSelector().entrySet().stream().allMatch(e -> e.getValue().equals(labels.get(e.getKey())))) {
            return false;
        }
        if (!type.hasGpu()) {
            return true;
        }
        var allocatable = node.getStatus() == null ? null : node.getStatus().getAllocatable();
        var gpus = allocatable == null ? null : allocatable.get(type.gpu().resource());
        return gpus != null && gpus.getNumericalAmount().intValue() >= type.gpuCount();
    }

    @Override
    public Set<String> studiosWithMachines() {
        var studios = new HashSet<String>();
        for (Pod pod : cluster.machinePods()) {
            var labels = pod.getMetadata().getLabels();
            if (labels != null && labels.containsKey(StudioPodFactory.LABEL_STUDIO)) {
                studios.add(labels.get(StudioPodFactory.LABEL_STUDIO));
            }
        }
        return studios;
    }

    @Override
    public void onChange(Runnable listener) {
        listeners.add(listener);
    }

    private void changed() {
        listeners.forEach(Runnable::run);
    }

    /**
     * The studio was deleted: delete its anchor, and Kubernetes' garbage collector deletes everything the anchor owns
     * (the home volume claim, the agent-token Secret, a pod still there), so no token of a deleted studio is restored
     * after a restart. Whether the disk behind the claim goes too is the storage class's reclaim policy (Retain keeps
     * it for an admin).
     */
    @Override
    public void discard(String studioId) {
        client.configMaps().inNamespace(settings.namespace()).withName(spec(studioId).anchorName())
                .withPropagationPolicy(DeletionPropagation.BACKGROUND).delete();
    }

    /** Pods keep running without the server; their agents reconnect to the next one. */
    @Override
    public void shutdown() {
        cluster.close();
    }

    /**
     * Accepts again the tokens of machines that outlived the previous server (kept in their Secrets). Only of
     * machines whose pod is still there: a stopped studio's Secret keeps its last token, which code on that machine
     * could have read, and which must not come back to life with a restart.
     */
    public static void restoreTokens(KubernetesClient client, String namespace, AgentRegistry agents) {
        var running = new HashSet<AgentRegistry.Identity>();
        for (Pod pod : client.pods().inNamespace(namespace).withLabel("app.kubernetes.io/name", "kiln-machine").list()
                .getItems()) {
            var labels = pod.getMetadata().getLabels();
            if (pod.getMetadata().getDeletionTimestamp() == null && labels.containsKey(StudioPodFactory.LABEL_STUDIO)) {
                running.add(new AgentRegistry.Identity(labels.get(StudioPodFactory.LABEL_STUDIO),
                        Long.parseLong(labels.getOrDefault(StudioPodFactory.LABEL_GENERATION, "0"))));
            }
        }
        for (Secret secret : client.secrets().inNamespace(namespace)
                .withLabel("app.kubernetes.io/name", "kiln-agent-token").list().getItems()) {
            var labels = secret.getMetadata().getLabels();
            var identity = new AgentRegistry.Identity(labels.get(StudioPodFactory.LABEL_STUDIO),
                    Long.parseLong(labels.getOrDefault(StudioPodFactory.LABEL_GENERATION, "0")));
            if (!running.contains(identity)) {
                continue;
            }
            String token = secret.getData() != null && secret.getData().containsKey("token")
                    ? new String(Base64.getDecoder().decode(secret.getData().get("token")), StandardCharsets.UTF_8)
                    : secret.getStringData() == null ? null : secret.getStringData().get("token");
            agents.restore(token, identity);
        }
    }
}
