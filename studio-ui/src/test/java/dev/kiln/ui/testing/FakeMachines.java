package dev.kiln.ui.testing;

import dev.kiln.api.machine.MachineControl;
import dev.kiln.api.machine.MachinePhase;
import dev.kiln.api.machine.MachineState;
import dev.kiln.api.studio.StudioException;

import java.time.Clock;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A studio machine as a test drives it: {@link #state} is what the server says now (a test moves it on with
 * {@link #set} and a UI poll); a switch starts in {@link #firstPhase}, or is refused with {@link #refuseSwitch}.
 */
public final class FakeMachines implements MachineControl {
    public static final List<MachineState.Option> TYPES = List.of(
            new MachineState.Option("cpu-small", "This computer", null, "1", "2Gi", 0, null),
            new MachineState.Option("a100", "A100", 3.5, "12", "85Gi", 1, "A100"));

    private final Clock clock;
    private MachineState state;
    /** The phase a switch or start is in when switchTo answers. */
    public String firstPhase = "SAVING";
    public final Map<String, String> unavailable = new LinkedHashMap<>();
    /** Set: the next switch is refused with this exception (the cluster cannot schedule it, for example). */
    public StudioException refuseSwitch;
    public final List<String> switches = new java.util.ArrayList<>();
    public int stops;
    /** The studio's terminals open on the server (everyone's). */
    public final List<String> terminals = new java.util.ArrayList<>(List.of("1"));

    public FakeMachines(Clock clock) {
        this.clock = clock;
        state = stopped();
    }

    public MachineState stopped() {
        return new MachineState(null, null, false, MachinePhase.STOPPED, MachinePhase.STOPPED.label(), null, clock.instant(),
                null, TYPES, null);
    }

    public MachineState running(String type) {
        return phase(type, null, "READY", null);
    }

    /** The machine of {@code type} in {@code phase}, switching from {@code from} (null when not switching). */
    public MachineState phase(String type, String from, String phase, String detail) {
        var option = TYPES.stream().filter(o -> o.id().equals(type)).findFirst().orElseThrow();
        var p = MachinePhase.valueOf(phase);
        return new MachineState(type, option.displayName(), p != MachinePhase.STOPPED && p != MachinePhase.FAILED, p,
                p.label(), detail, clock.instant(), from, TYPES, null);
    }

    public void set(MachineState next) {
        state = next;
    }

    @Override
    public MachineState state(String studioId) {
        return state;
    }

    @Override
    public MachineState switchTo(String studioId, String machineType) {
        switches.add(machineType);
        if (refuseSwitch != null) {
            throw refuseSwitch;
        }
        String from = state.running() ? state.machineType() : null;
        state = phase(machineType, firstPhase.equals("READY") ? null : from, firstPhase, null);
        return state;
    }

    @Override
    public MachineState stop(String studioId) {
        stops++;
        state = stopped();
        return state;
    }

    @Override
    public List<String> terminals(String studioId) {
        return List.copyOf(terminals);
    }

    @Override
    public Map<String, String> unavailable(String studioId) {
        return Map.copyOf(unavailable);
    }
}
