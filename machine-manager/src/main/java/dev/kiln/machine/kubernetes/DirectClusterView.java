package dev.kiln.machine.kubernetes;

import java.util.List;

import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.api.model.PersistentVolume;
import io.fabric8.kubernetes.api.model.PersistentVolumeClaim;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.client.KubernetesClient;

/** Reads straight from the API server: always current, one request per read. */
final class DirectClusterView implements ClusterView {
    private final KubernetesClient client;
    private final String namespace;

    DirectClusterView(KubernetesClient client, String namespace) {
        this.client = client;
        this.namespace = namespace;
    }

    @Override
    public ConfigMap anchor(StudioMachineSpec spec) {
        return client.configMaps().inNamespace(spec.namespace()).withName(spec.anchorName()).get();
    }

    @Override
    public PersistentVolumeClaim volume(StudioMachineSpec spec) {
        return client.persistentVolumeClaims().inNamespace(spec.namespace()).withName(spec.volumeName()).get();
    }

    @Override
    public List<Pod> studioPods(StudioMachineSpec spec) {
        return client.pods().inNamespace(spec.namespace()).withLabel(StudioPodFactory.LABEL_STUDIO, spec.studioId())
                .withLabel(InformedClusterView.NAME_LABEL, "kiln-machine").list().getItems();
    }

    @Override
    public List<Pod> machinePods() {
        return client.pods().inNamespace(namespace).withLabel(InformedClusterView.NAME_LABEL, "kiln-machine").list()
                .getItems();
    }

    @Override
    public List<Node> nodes() {
        return client.nodes().list().getItems();
    }

    @Override
    public List<Pod> allPods() {
        return client.pods().inAnyNamespace().list().getItems();
    }

    @Override
    public PersistentVolume persistentVolume(String name) {
        return client.persistentVolumes().withName(name).get();
    }

    @Override
    public void close() {}
}
