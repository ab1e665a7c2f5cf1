package dev.kiln.machine;

/**
 * Where studios' machines run. Today only {@link LocalMachineBackend} exists and every studio shares this host;
 * the machine catalog, the Kubernetes backend and switching arrive with issue 5.
 */
public interface MachineBackend {

    /** The machine a studio runs on now. */
    MachineDescription machineOf(String studioId);
}
