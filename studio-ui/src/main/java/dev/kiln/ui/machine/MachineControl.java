package dev.kiln.ui.machine;

/** What the studio view needs from the machine side: the state, and start/switch/stop (the server implements it). */
public interface MachineControl {
    MachineState state(String studioId);

    /** Starts the machine on this type, or switches a running one to it. */
    MachineState switchTo(String studioId, String machineType);

    MachineState stop(String studioId);
}
