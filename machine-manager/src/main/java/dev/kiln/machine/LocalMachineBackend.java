package dev.kiln.machine;

import java.lang.management.ManagementFactory;

/** The embedded default: studios run on the host that runs Kiln. */
public final class LocalMachineBackend implements MachineBackend {

    private final MachineDescription host;

    public LocalMachineBackend() {
        long memory = 0;
        if (ManagementFactory.getOperatingSystemMXBean() instanceof com.sun.management.OperatingSystemMXBean os) {
            memory = os.getTotalMemorySize();
        }
        host = new MachineDescription("local", "This host", Runtime.getRuntime().availableProcessors(), memory, 0);
    }

    @Override
    public MachineDescription machineOf(String studioId) {
        return host;
    }
}
