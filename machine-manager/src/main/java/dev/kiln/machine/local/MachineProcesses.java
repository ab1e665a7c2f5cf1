package dev.kiln.machine.local;

import java.util.Optional;

/**
 * Stopping a local machine's process tree. In a sandbox the process Kiln started is bwrap, which does not pass
 * signals on: SIGTERM goes to the agent itself (so it can save and let jobs checkpoint), and a kill goes to every
 * process of the machine, deepest first, so nothing is left running outside the server's sight.
 */
final class MachineProcesses {
    private MachineProcesses() {}

    /** Asks the machine's agent to stop (SIGTERM). */
    static void terminate(Process process) {
        agent(process.toHandle()).orElse(process.toHandle()).destroy();
    }

    /** Kills the machine's process and all its descendants. */
    static void kill(Process process) {
        process.descendants().sorted(java.util.Comparator.comparingLong(ProcessHandle::pid).reversed())
                .forEach(ProcessHandle::destroyForcibly);
        process.destroyForcibly();
    }

    /** The agent: the topmost Java process of the tree (the process itself when there is no sandbox). */
    private static Optional<ProcessHandle> agent(ProcessHandle top) {
        if (isJava(top)) {
            return Optional.of(top);
        }
        for (ProcessHandle child : top.children().toList()) {
            var found = agent(child);
            if (found.isPresent()) {
                return found;
            }
        }
        return Optional.empty();
    }

    private static boolean isJava(ProcessHandle process) {
        return process.info().command().map(c -> c.endsWith("/java")).orElse(false);
    }
}
