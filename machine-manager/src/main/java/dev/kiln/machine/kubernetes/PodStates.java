package dev.kiln.machine.kubernetes;

import java.time.Instant;

import dev.kiln.machine.plan.ObservedMachine;
import dev.kiln.machine.plan.ObservedMachine.State;
import io.fabric8.kubernetes.api.model.ContainerStatus;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodCondition;

/** Reads a machine pod's phase, conditions and container waits as the planner's coarse states. */
public final class PodStates {
    private PodStates() {}

    public static ObservedMachine.Pod observe(Pod pod) {
        var labels = pod.getMetadata().getLabels();
        String type = labels.get(StudioPodFactory.LABEL_MACHINE_TYPE);
        long generation = Long.parseLong(labels.getOrDefault(StudioPodFactory.LABEL_GENERATION, "0"));
        boolean deleting = pod.getMetadata().getDeletionTimestamp() != null;
        Instant created = parse(pod.getMetadata().getCreationTimestamp(), Instant.EPOCH);
        String phase = pod.getStatus() == null ? "Pending" : pod.getStatus().getPhase();
        if ("Failed".equals(phase) || "Succeeded".equals(phase)) {
            return new ObservedMachine.Pod(pod.getMetadata().getName(), type, generation, State.FAILED,
                    pod.getStatus().getReason(), created, deleting);
        }
        PodCondition scheduled = condition(pod, "PodScheduled");
        if (scheduled != null && "False".equals(scheduled.getStatus()) && "Unschedulable".equals(scheduled.getReason())) {
            return new ObservedMachine.Pod(pod.getMetadata().getName(), type, generation, State.UNSCHEDULABLE,
                    scheduled.getMessage(), parse(scheduled.getLastTransitionTime(), created), deleting);
        }
        ContainerStatus container = pod.getStatus() == null || pod.getStatus().getContainerStatuses() == null
                || pod.getStatus().getContainerStatuses().isEmpty() ? null : pod.getStatus().getContainerStatuses().getFirst();
        if (container != null && container.getState() != null && container.getState().getWaiting() != null) {
            String reason = container.getState().getWaiting().getReason();
            String message = container.getState().getWaiting().getMessage();
            State state = switch (reason == null ? "" : reason) {
                case "ErrImagePull", "ImagePullBackOff", "InvalidImageName" -> State.IMAGE_PULL_FAILED;
                case "CrashLoopBackOff" -> State.CRASH_LOOP;
                default -> State.PULLING_IMAGE;
            };
            return new ObservedMachine.Pod(pod.getMetadata().getName(), type, generation, state,
                    message == null ? reason : reason + ": " + message, created, deleting);
        }
        PodCondition ready = condition(pod, "Ready");
        if ("Running".equals(phase)) {
            State state = ready != null && "True".equals(ready.getStatus()) ? State.READY : State.STARTING;
            return new ObservedMachine.Pod(pod.getMetadata().getName(), type, generation, state, null, created, deleting);
        }
        boolean bound = pod.getSpec() != null && pod.getSpec().getNodeName() != null;
        return new ObservedMachine.Pod(pod.getMetadata().getName(), type, generation,
                bound ? State.PULLING_IMAGE : State.SCHEDULING, null, created, deleting);
    }

    private static PodCondition condition(Pod pod, String type) {
        if (pod.getStatus() == null || pod.getStatus().getConditions() == null) {
            return null;
        }
        return pod.getStatus().getConditions().stream().filter(c -> type.equals(c.getType())).findFirst().orElse(null);
    }

    private static Instant parse(String timestamp, Instant fallback) {
        try {
            return timestamp == null ? fallback : Instant.parse(timestamp);
        } catch (RuntimeException e) {
            return fallback;
        }
    }
}
