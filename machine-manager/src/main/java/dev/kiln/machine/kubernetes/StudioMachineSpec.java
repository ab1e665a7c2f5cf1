package dev.kiln.machine.kubernetes;

import java.util.Objects;

/**
 * What a studio's Kubernetes objects need besides its machine type. Names derive from the studio id, so every
 * object is found again after a server restart.
 *
 * @param image        the machine image: Kiln's agent and training runtime
 * @param serverUrl    where the agent dials home
 * @param volumeSize   the home volume ("50Gi"); it outlives pods and machine switches
 * @param storageClass null for the cluster's default
 */
public record StudioMachineSpec(String studioId, String namespace, String image, String serverUrl, String volumeSize,
                                String storageClass) {
    public StudioMachineSpec {
        Objects.requireNonNull(studioId, "studioId");
        if (!studioId.matches("[a-z0-9]([-a-z0-9]{0,38}[a-z0-9])?")) {
            throw new IllegalArgumentException("studio id '" + studioId + "' cannot name Kubernetes objects");
        }
        Objects.requireNonNull(namespace, "namespace");
        Objects.requireNonNull(image, "image");
        Objects.requireNonNull(serverUrl, "serverUrl");
        Objects.requireNonNull(volumeSize, "volumeSize");
    }

    /** The ConfigMap that owns everything else of the studio: delete it and Kubernetes collects the rest. */
    public String anchorName() {
        return "kiln-studio-" + studioId;
    }

    public String volumeName() {
        return anchorName() + "-home";
    }

    public String tokenSecretName() {
        return anchorName() + "-agent";
    }

    /** Each placement gets a new generation, so an old pod and its replacement never share a name. */
    public String podName(long generation) {
        return anchorName() + "-g" + generation;
    }
}
