package dev.kiln.server.machine;

import java.time.Instant;
import java.util.List;

/**
 * A studio's machine as the user sees it: the type, the phase with a sentence and since when, where a switch came
 * from, and the types this installation can offer.
 */
public record MachineStatus(String machineType, String displayName, boolean running, String phase, String phaseLabel,
                            String detail, Instant phaseSince, String switchingFrom, List<Option> types) {

    public record Option(String id, String displayName, Double pricePerHour) {}
}
