package dev.kiln.api.machine;

/** What the studio view needs from the machine side: the state, and start/switch/stop (the server implements it). */
public interface MachineControl {
    MachineState state(String studioId);

    /** Starts the machine on this type, or switches a running one to it. */
    MachineState switchTo(String studioId, String machineType);

    MachineState stop(String studioId);

    /**
     * Why each type other than the current one cannot start right now (no free GPU, a computer too small), by type
     * id; types that can start are absent. Checked when the machine dialog opens, not on every refresh.
     */
    default java.util.Map<String, String> unavailable(String studioId) {
        return java.util.Map.of();
    }

    /** Names of the studio's terminals open on the server (everyone's), so each browser can show them all. */
    default java.util.List<String> terminals(String studioId) {
        return java.util.List.of();
    }
}
