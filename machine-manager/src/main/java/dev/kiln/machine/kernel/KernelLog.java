package dev.kiln.machine.kernel;

import java.io.PrintStream;

/**
 * Where kernel-side diagnostics go: the process's standard error as it was at start. The Java kernel points
 * System.err at the running cell's stderr stream, and the kernel's own notes must not land in a notebook.
 */
final class KernelLog {
    private static volatile PrintStream out = System.err;

    private KernelLog() {}

    static void use(PrintStream stream) {
        out = stream;
    }

    static void say(String message) {
        out.println(message);
    }
}
