package dev.kiln.machine.kubernetes;

import java.util.List;
import java.util.concurrent.TimeUnit;

import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.api.model.PersistentVolume;
import io.fabric8.kubernetes.api.model.PersistentVolumeClaim;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.informers.ResourceEventHandler;
import io.fabric8.kubernetes.client.informers.SharedIndexInformer;

/**
 * Reads from informer caches: one list and then a watch per kind, so a reconciliation pass asks the API server
 * nothing and a switch's capacity check does not list every node and pod of the cluster again. The studios' objects
 * are watched in Kiln's namespace by their labels; nodes, persistent volumes and all pods cluster-wide (what the
 * scheduler itself watches), which {@code k8s/rbac.yaml}'s capacity reader grants.
 */
final class InformedClusterView implements ClusterView {
    static final String NAME_LABEL = "app.kubernetes.io/name";

    private final SharedIndexInformer<Pod> machinePods;
    private final SharedIndexInformer<ConfigMap> anchors;
    private final SharedIndexInformer<PersistentVolumeClaim> volumes;
    private final SharedIndexInformer<Node> nodes;
    private final SharedIndexInformer<Pod> allPods;
    private final SharedIndexInformer<PersistentVolume> persistentVolumes;

    /** Starts the informers and returns once each has its first list; {@code changed} runs on every pod event. */
    InformedClusterView(KubernetesClient client, String namespace, Runnable changed) {
        ResourceEventHandler<Pod> wake = new ResourceEventHandler<>() {
            @Override
            public void onAdd(Pod pod) {
                changed.run();
            }

            @Override
            public void onUpdate(Pod before, Pod after) {
                changed.run();
            }

            @Override
            public void onDelete(Pod pod, boolean finalStateUnknown) {
                changed.run();
            }
        };
        this.machinePods = client.pods().inNamespace(namespace).withLabel(NAME_LABEL, "kiln-machine").inform(wake);
        this.anchors = client.configMaps().inNamespace(namespace).withLabel(NAME_LABEL, "kiln-studio").inform();
        this.volumes = client.persistentVolumeClaims().inNamespace(namespace).withLabel(NAME_LABEL, "kiln-home")
                .inform();
        this.nodes = client.nodes().inform();
        this.allPods = client.pods().inAnyNamespace().inform();
        this.persistentVolumes = client.persistentVolumes().inform();
    }

    @Override
    public ConfigMap anchor(StudioMachineSpec spec) {
        return anchors.getStore().getByKey(key(spec.namespace(), spec.anchorName()));
    }

    @Override
    public PersistentVolumeClaim volume(StudioMachineSpec spec) {
        return volumes.getStore().getByKey(key(spec.namespace(), spec.volumeName()));
    }

    @Override
    public List<Pod> studioPods(StudioMachineSpec spec) {
        return machinePods.getStore().list().stream().filter(pod -> ClusterView.ofStudio(pod, spec)).toList();
    }

    @Override
    public List<Pod> machinePods() {
        return machinePods.getStore().list();
    }

    @Override
    public List<Node> nodes() {
        return nodes.getStore().list();
    }

    @Override
    public List<Pod> allPods() {
        return allPods.getStore().list();
    }

    @Override
    public PersistentVolume persistentVolume(String name) {
        return persistentVolumes.getStore().getByKey(name);
    }

    private static String key(String namespace, String name) {
        return namespace + "/" + name;
    }

    /** Pods keep running without the server; only the watches end. */
    @Override
    public void close() {
        for (SharedIndexInformer<? extends HasMetadata> informer : List.of(machinePods, anchors, volumes, nodes,
                allPods, persistentVolumes)) {
            informer.close();
            try {
                informer.stopped().toCompletableFuture().get(5, TimeUnit.SECONDS);
            } catch (Exception e) {
                // stopping is best effort at shutdown
            }
        }
    }
}
