package dev.kiln.machine.agent;

import com.sun.jna.Library;
import com.sun.jna.Native;

/** SIGINT for a kernel whose kernelspec interrupts by signal (Jupyter's default); the JDK can only send TERM and KILL. */
final class Signals {
    private static final int SIGINT = 2;

    private Signals() {}

    interface C extends Library {
        int kill(int pid, int signal);
    }

    static boolean interrupt(long pid) {
        try {
            return Native.load("c", C.class).kill((int) pid, SIGINT) == 0;
        } catch (LinkageError | RuntimeException e) {
            return false;
        }
    }
}
