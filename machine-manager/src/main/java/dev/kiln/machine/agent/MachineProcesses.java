package dev.kiln.machine.agent;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.function.Supplier;
import java.util.stream.LongStream;
import java.util.stream.Stream;

/**
 * The processes that make up this machine, and what they use: CPU time and memory (shared pages divided among their
 * sharers), read from {@code /proc/<pid>/stat} and {@code smaps_rollup} (or {@code statm}). In a bubblewrap sandbox the machine has its own PID namespace, so every
 * process it can see is its own (a {@code nohup} job reparented to the sandbox's init included); elsewhere (a pod,
 * where the agent is the container's first process, or an unsandboxed local machine) its processes are the agent and
 * its descendants.
 */
final class MachineProcesses {
    /** Linux's USER_HZ, the unit of the CPU times in {@code /proc/<pid>/stat}, is 100 on every platform Kiln runs. */
    static final double TICKS_PER_SECOND = 100;
    private static final long PAGE = 4096;

    private final Path proc;
    private final Supplier<LongStream> pids;

    MachineProcesses(Path proc, Supplier<LongStream> pids) {
        this.proc = proc;
        this.pids = pids;
    }

    static MachineProcesses forThisMachine() {
        Path proc = Path.of("/proc");
        // bwrap --unshare-pid is the namespace's first process; /proc/1/comm is readable whoever owns it.
        boolean ownNamespace;
        try {
            ownNamespace = Files.readString(proc.resolve("1/comm")).strip().equals("bwrap");
        } catch (IOException | RuntimeException e) {
            ownNamespace = false;
        }
        return ownNamespace ? new MachineProcesses(proc, () -> allPids(proc)) : agentTree(proc);
    }

    /** The agent and everything it started. */
    static MachineProcesses agentTree(Path proc) {
        return new MachineProcesses(proc, () -> LongStream.concat(LongStream.of(ProcessHandle.current().pid()),
                ProcessHandle.current().descendants().mapToLong(ProcessHandle::pid)));
    }

    private static LongStream allPids(Path proc) {
        try (Stream<Path> entries = Files.list(proc)) {
            long[] pids = entries.map(p -> p.getFileName().toString())
                    .filter(n -> !n.isEmpty() && n.chars().allMatch(Character::isDigit)).mapToLong(Long::parseLong)
                    .toArray();
            return LongStream.of(pids);
        } catch (IOException e) {
            return LongStream.empty();
        }
    }

    /** CPU ticks per process and the memory they hold, now. */
    record Sample(Map<Long, Long> ticks, long residentBytes) {
        /** CPU seconds the machine's processes used since {@code before} (a process new since then: all of its own). */
        double cpuSecondsSince(Sample before) {
            long used = 0;
            for (var e : ticks.entrySet()) {
                long earlier = before.ticks.getOrDefault(e.getKey(), 0L);
                used += Math.max(0, e.getValue() - earlier);
            }
            return used / TICKS_PER_SECOND;
        }
    }

    Sample sample() {
        var ticks = new HashMap<Long, Long>();
        long resident = 0;
        for (long pid : pids.get().toArray()) {
            Path dir = proc.resolve(String.valueOf(pid));
            try {
                String stat = Files.readString(dir.resolve("stat"));
                // Fields after the command name in parentheses (which may hold spaces): utime is the 14th field.
                String[] fields = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
                ticks.put(pid, Long.parseLong(fields[11]) + Long.parseLong(fields[12]));
                resident += memory(dir);
            } catch (IOException | RuntimeException gone) {
                // the process ended between listing and reading
            }
        }
        return new Sample(ticks, resident);
    }

    /**
     * The memory a process holds, its shared pages divided among those sharing them (PSS, from {@code smaps_rollup},
     * Linux 4.14+): processes of one machine map the same JDK and native libraries, and their resident sizes added up
     * would count those pages once per process. Without {@code smaps_rollup}, the resident size ({@code statm}).
     */
    private static long memory(Path dir) throws IOException {
        try {
            for (String line : Files.readAllLines(dir.resolve("smaps_rollup"))) {
                if (line.startsWith("Pss:")) {
                    return Long.parseLong(line.substring(4).strip().split("\\s+")[0]) * 1024; // in kB
                }
            }
        } catch (IOException | RuntimeException unreadable) {
            // an older kernel, or not ours to read: the resident size below
        }
        String[] statm = Files.readString(dir.resolve("statm")).strip().split(" ");
        return Long.parseLong(statm[1]) * PAGE;
    }
}
