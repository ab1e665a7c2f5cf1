package dev.kiln.machine.kubernetes;

import java.util.List;
import java.util.Objects;

import dev.kiln.machine.catalog.MachineType;

/**
 * A multi-node training job of a studio: what runs ({@code entryPoint} with {@code args}), on how many nodes of which
 * machine type with how many devices (GPUs) each. Object names derive from the job id.
 */
public record TrainingJobSpec(String jobId, String studioId, String namespace, String image, String serverUrl,
                              MachineType machineType, String entryPoint, List<String> args, int nodes,
                              int devicesPerNode) {
    public static final int RENDEZVOUS_PORT = 29500;

    public TrainingJobSpec {
        Objects.requireNonNull(jobId, "jobId");
        if (!jobId.matches("[a-z0-9]([-a-z0-9]{0,45}[a-z0-9])?")) {
            throw new IllegalArgumentException("job id '" + jobId + "' cannot name Kubernetes objects");
        }
        args = List.copyOf(args);
        if (nodes < 1 || devicesPerNode < 1) {
            throw new IllegalArgumentException("a job needs at least one node and one device per node");
        }
    }

    /** The Job, its headless Service and its token Secret share this name. */
    public String name() {
        return "kiln-job-" + jobId;
    }

    /** Rank 0's stable DNS name: an Indexed Job's pod is {@code <job>-<index>}, under the Service as subdomain. */
    public String masterAddress() {
        return name() + "-0." + name();
    }
}
