package dev.kiln.machine.agent;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;

/** Ending a shell with everything it started, for a terminal whose typist lost access. */
final class ProcessTrees {
    private ProcessTrees() {}

    /**
     * Kills the shell, its descendants, and every process still in its session (a {@code nohup cmd &} whose parent
     * exited is reparented away from the shell but keeps the session). Only a process that left the session on
     * purpose ({@code setsid}) escapes; on a sandboxed machine it still ends with the machine.
     */
    static void killSession(ProcessHandle shell) {
        long session = shell.pid();
        shell.descendants().forEach(ProcessHandle::destroyForcibly);
        try (Stream<Path> procs = Files.list(Path.of("/proc"))) {
            procs.map(p -> p.getFileName().toString()).filter(n -> n.chars().allMatch(Character::isDigit))
                    .mapToLong(Long::parseLong).filter(pid -> sessionOf(pid) == session)
                    .forEach(pid -> ProcessHandle.of(pid).ifPresent(ProcessHandle::destroyForcibly));
        } catch (IOException e) {
            // no /proc: the descendants are gone at least
        }
        shell.destroyForcibly();
    }

    /** Field 6 of /proc/<pid>/stat, after the command name in parentheses (which may contain spaces). */
    static long sessionOf(long pid) {
        try {
            String stat = Files.readString(Path.of("/proc", String.valueOf(pid), "stat"));
            String[] fields = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
            return Long.parseLong(fields[3]);
        } catch (IOException | RuntimeException e) {
            return -1;
        }
    }
}
