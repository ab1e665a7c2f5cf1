package dev.kiln.machine.fake;

import java.time.Clock;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;

import dev.kiln.machine.MachineBackend;
import dev.kiln.machine.agent.AgentRegistry;
import dev.kiln.machine.catalog.MachineCatalog;
import dev.kiln.machine.catalog.MachineType;
import dev.kiln.machine.plan.MachineStep;
import dev.kiln.machine.plan.ObservedMachine;
import dev.kiln.machine.plan.ObservedMachine.Capacity;
import dev.kiln.machine.plan.ObservedMachine.Pod;
import dev.kiln.machine.plan.ObservedMachine.State;

/**
 * A machine backend in memory, for fast tests of machine and job logic: pods are records a test moves through their
 * states ({@link #set}), capacity is a switch per type ({@link #noRoomFor}), and every step performed is kept in order
 * ({@link #steps}). Saving work goes through the same {@link AgentRegistry} as the real backends, so a test answers
 * for the agent with {@code registry.workSaved(...)} or lets the patience run out.
 */
public final class FakeMachineBackend implements MachineBackend {
    private final MachineCatalog catalog;
    private final AgentRegistry agents;
    private final Clock clock;
    private final Map<String, Map<String, Pod>> pods = new ConcurrentHashMap<>();
    private final Map<String, Long> generations = new ConcurrentHashMap<>();
    private final Set<String> volumes = ConcurrentHashMap.newKeySet();
    private final Map<String, String> noRoom = new ConcurrentHashMap<>();
    private final List<String> steps = new CopyOnWriteArrayList<>();
    private final List<Runnable> listeners = new CopyOnWriteArrayList<>();
    private final Set<String> discarded = ConcurrentHashMap.newKeySet();

    public FakeMachineBackend(MachineCatalog catalog, AgentRegistry agents, Clock clock) {
        this.catalog = catalog;
        this.agents = agents;
        this.clock = clock;
    }

    /** Every step performed so far, as {@code studio:Step(...)}. */
    public List<String> steps() {
        return List.copyOf(steps);
    }

    /** The studio's pods now (deleted ones are gone). */
    public List<Pod> pods(String studioId) {
        return List.copyOf(pods.getOrDefault(studioId, Map.of()).values());
    }

    /** Moves a pod to {@code state} (what a kubelet or a process exit would do), and wakes the reconciler. */
    public void set(String studioId, String podName, State state, String reason) {
        pods.get(studioId).computeIfPresent(podName, (name, pod) -> new Pod(name, pod.machineType(), pod.generation(),
                state, reason, clock.instant(), pod.deleting()));
        listeners.forEach(Runnable::run);
    }

    /** A deleting pod is gone at last (its process exited, its kubelet confirmed). */
    public void gone(String studioId, String podName) {
        pods.get(studioId).remove(podName);
        listeners.forEach(Runnable::run);
    }

    /** No room for {@code type} from now on, for this reason ({@code null}: room again). */
    public void noRoomFor(String type, String reason) {
        if (reason == null) {
            noRoom.remove(type);
        } else {
            noRoom.put(type, reason);
        }
    }

    public boolean discarded(String studioId) {
        return discarded.contains(studioId);
    }

    @Override
    public ObservedMachine observe(String studioId, String desiredType) {
        String why = noRoom.get(desiredType);
        Capacity capacity = why != null ? Capacity.noRoom(why) : catalog.find(desiredType).isPresent()
                ? Capacity.available() : Capacity.noRoom("Unknown machine type " + desiredType);
        return new ObservedMachine(generations.containsKey(studioId), volumes.contains(studioId),
                generations.getOrDefault(studioId, 0L), pods(studioId), capacity, agents.saves(studioId));
    }

    @Override
    public void perform(String studioId, MachineStep step) {
        steps.add(studioId + ":" + step);
        var studioPods = pods.computeIfAbsent(studioId, id -> new ConcurrentHashMap<>());
        switch (step) {
            case MachineStep.CreateAnchor ignored -> generations.putIfAbsent(studioId, 0L);
            case MachineStep.CreateVolume ignored -> volumes.add(studioId);
            case MachineStep.SaveWork save -> agents.requestSave(new AgentRegistry.Identity(studioId, save.generation()));
            case MachineStep.DeletePod delete -> studioPods.computeIfPresent(delete.podName(), (name, pod) ->
                    new Pod(name, pod.machineType(), pod.generation(), pod.state(), pod.reason(), pod.since(), true));
            case MachineStep.CreatePod create -> {
                generations.merge(studioId, create.generation(), Math::max);
                String name = "kiln-studio-" + studioId + "-g" + create.generation();
                studioPods.putIfAbsent(name, new Pod(name, create.machineType(), create.generation(), State.SCHEDULING,
                        null, clock.instant(), false));
            }
            case MachineStep.Revert ignored -> throw new IllegalArgumentException("Revert is the reconciler's");
        }
    }

    @Override
    public List<MachineType> offerable() {
        return catalog.types().stream().filter(t -> !noRoom.containsKey(t.id())).toList();
    }

    @Override
    public String whyNot(MachineType type) {
        return noRoom.get(type.id());
    }

    @Override
    public Set<String> studiosWithMachines() {
        var studios = new HashSet<String>();
        pods.forEach((studio, its) -> {
            if (!its.isEmpty()) {
                studios.add(studio);
            }
        });
        return studios;
    }

    @Override
    public void onChange(Runnable listener) {
        listeners.add(listener);
    }

    @Override
    public void discard(String studioId) {
        discarded.add(studioId);
        volumes.remove(studioId);
    }

    @Override
    public void shutdown() {
        pods.clear();
    }

    /** For a test's own checks: the names of a studio's pods that are not being deleted. */
    public List<String> live(String studioId) {
        var names = new ArrayList<String>();
        pods(studioId).stream().filter(p -> !p.deleting()).forEach(p -> names.add(p.name()));
        return names;
    }
}
