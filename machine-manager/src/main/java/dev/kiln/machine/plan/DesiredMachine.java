package dev.kiln.machine.plan;

/**
 * What the user asked for, persisted by the server: the machine type and whether the studio is running.
 * {@code fallbackType} is the type it ran on before a switch, where it returns if the target cannot be had.
 */
public record DesiredMachine(String studioId, String machineType, boolean running, String fallbackType) {
    public static DesiredMachine running(String studioId, String machineType) {
        return new DesiredMachine(studioId, machineType, true, null);
    }

    /** A switch: run on {@code target}, come back to the current type if it fails. */
    public DesiredMachine switchTo(String target) {
        return new DesiredMachine(studioId, target, true, machineType);
    }

    public DesiredMachine stopped() {
        return new DesiredMachine(studioId, machineType, false, null);
    }

    public boolean switching() {
        return fallbackType != null && !fallbackType.equals(machineType);
    }
}
