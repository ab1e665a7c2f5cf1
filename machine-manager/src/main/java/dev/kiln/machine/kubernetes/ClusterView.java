package dev.kiln.machine.kubernetes;

import java.util.List;

import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.api.model.PersistentVolume;
import io.fabric8.kubernetes.api.model.PersistentVolumeClaim;
import io.fabric8.kubernetes.api.model.Pod;

/**
 * What the backend reads to observe a studio's machine and the cluster's room. The server reads it from informer
 * caches ({@link InformedClusterView}); tests of placement that step a cluster by hand read it straight from the
 * API ({@link DirectClusterView}), so every observation sees the last step. A cache may lag behind what the API
 * server has: steps whose repetition would do harm check their precondition again against the API itself.
 */
interface ClusterView extends AutoCloseable {
    ConfigMap anchor(StudioMachineSpec spec);

    PersistentVolumeClaim volume(StudioMachineSpec spec);

    /** The studio's machine pods, any generation. */
    List<Pod> studioPods(StudioMachineSpec spec);

    /** Every studio's machine pods in Kiln's namespace. */
    List<Pod> machinePods();

    List<Node> nodes();

    /** Every pod of the cluster, any namespace: what each node has room for left. */
    List<Pod> allPods();

    PersistentVolume persistentVolume(String name);

    @Override
    void close();

    static boolean ofStudio(Pod pod, StudioMachineSpec spec) {
        var labels = pod.getMetadata().getLabels();
        return labels != null && spec.studioId().equals(labels.get(StudioPodFactory.LABEL_STUDIO));
    }
}
