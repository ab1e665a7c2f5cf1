package dev.kiln.machine.agent;

import com.sun.jna.Library;
import com.sun.jna.Native;

/**
 * Makes the agent's process non-dumpable ({@code prctl(PR_SET_DUMPABLE, 0)}): the shells and jobs it starts run as the
 * same user, and without this they could attach to it or read {@code /proc/<agent>/mem} and take the machine's token.
 * Children are not affected (the flag resets when they exec). Best effort: where it cannot be set, the agent says so.
 */
final class ProcessHardening {
    private static final int PR_SET_DUMPABLE = 4;

    private ProcessHardening() {}

    interface C extends Library {
        int prctl(int option, long arg2, long arg3, long arg4, long arg5);
    }

    static void forbidTracing() {
        try {
            C libc = Native.load("c", C.class);
            if (libc.prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) != 0) {
                System.out.println("kiln-agent: cannot make this process non-dumpable (prctl failed)");
            }
        } catch (LinkageError | RuntimeException e) {
            System.out.println("kiln-agent: cannot make this process non-dumpable: " + e);
        }
    }
}
