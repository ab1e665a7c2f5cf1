package dev.kiln.training.cli;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.lang.management.ManagementFactory;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * Starts one worker JVM per local rank, as {@code torchrun --nproc-per-node N}: each gets MASTER_ADDR, MASTER_PORT,
 * WORLD_SIZE, RANK, LOCAL_RANK, LOCAL_WORLD_SIZE and NODE_RANK. Output is prefixed with the rank (metric JSON lines
 * pass through untouched). When a rank fails, the others get {@code graceSeconds} to stop on their own (their
 * collectives fail fast once a peer is gone) and are then terminated, so a failure never leaves a job hanging.
 */
public final class LocalLauncher {
    public record Spec(int nprocPerNode, int nnodes, int nodeRank, String masterAddr, int masterPort,
                       Duration grace) {}

    private final PrintStream out;

    public LocalLauncher(PrintStream out) {
        this.out = out;
    }

    /** This JVM's options for the workers, without debuggers and agents. */
    private static List<String> jvmOptions() {
        return ManagementFactory.getRuntimeMXBean().getInputArguments().stream().filter(arg -> !arg.startsWith(
                "-agentlib") && !arg.startsWith("-javaagent") && !arg.startsWith("-Xrunjdwp")).toList();
    }

    /** Runs the workers to completion and returns the exit code for the whole job. */
    public int run(Spec spec, List<String> workerArgs, Map<String, String> extraEnv) throws IOException,
            InterruptedException {
        int port = spec.masterPort() > 0 ? spec.masterPort() : freePort();
        int world = spec.nprocPerNode() * spec.nnodes();
        var processes = new ArrayList<Process>();
        var pumps = new ArrayList<Thread>();
        Thread stopper = new Thread(() -> processes.forEach(Process::destroy));
        Runtime.getRuntime().addShutdownHook(stopper);
        if (spec.nprocPerNode() > 1) {
            NativeCache.warm(jvmOptions());
        }
        try {
            for (int local = 0; local < spec.nprocPerNode(); local++) {
                int rank = spec.nodeRank() * spec.nprocPerNode() + local;
                var command = new ArrayList<String>();
                command.add(ProcessHandle.current().info().command().orElse("java"));
                command.addAll(jvmOptions());
                command.add("-cp");
                command.add(System.getProperty("java.class.path"));
                command.add(KilnTrain.class.getName());
                command.addAll(workerArgs);
                var builder = new ProcessBuilder(command).redirectErrorStream(true);
                var env = builder.environment();
                env.putAll(extraEnv);
                env.put("MASTER_ADDR", spec.masterAddr());
                env.put("MASTER_PORT", String.valueOf(port));
                env.put("WORLD_SIZE", String.valueOf(world));
                env.put("RANK", String.valueOf(rank));
                env.put("LOCAL_RANK", String.valueOf(local));
                env.put("LOCAL_WORLD_SIZE", String.valueOf(spec.nprocPerNode()));
                env.put("NODE_RANK", String.valueOf(spec.nodeRank()));
                // One BLAS thread per worker; Threads gives each its share of the cores for libtorch's own pool.
                env.putIfAbsent("OPENBLAS_NUM_THREADS", "1");
                Process process = builder.start();
                processes.add(process);
                log("started rank " + rank + " (pid " + process.pid() + ")");
                pumps.add(pump(process, rank));
            }
            int result = supervise(processes, spec, world);
            for (Thread pump : pumps) {
                pump.join(2000);
            }
            return result;
        } finally {
            processes.forEach(p -> {
                if (p.isAlive()) {
                    p.destroyForcibly();
                }
            });
            try {
                Runtime.getRuntime().removeShutdownHook(stopper);
            } catch (IllegalStateException ignored) {
                // already shutting down
            }
        }
    }

    private int supervise(List<Process> processes, Spec spec, int world) throws InterruptedException {
        int base = spec.nodeRank() * spec.nprocPerNode();
        while (true) {
            boolean allDone = true;
            for (int i = 0; i < processes.size(); i++) {
                Process process = processes.get(i);
                if (process.isAlive()) {
                    allDone = false;
                    continue;
                }
                int code = process.exitValue();
                if (code != 0) {
                    String reason = "Rank " + (base + i) + " (pid " + process.pid() + ") failed: " + describe(code);
                    log("r" + reason.substring(1) + "; stopping the other ranks");
                    ExitReason.write(reason + "; stopped the other ranks");
                    stopOthers(processes, spec.grace());
                    return code;
                }
            }
            if (allDone) {
                log("all " + processes.size() + " ranks finished" + (world > processes.size()
                        ? " on node " + spec.nodeRank() : ""));
                return 0;
            }
            Thread.sleep(100);
        }
    }

    private void stopOthers(List<Process> processes, Duration grace) throws InterruptedException {
        long deadline = System.nanoTime() + grace.toNanos();
        for (Process process : processes) {
            long left = deadline - System.nanoTime();
            if (left > 0) {
                process.waitFor(left, TimeUnit.NANOSECONDS);
            }
        }
        for (Process process : processes) {
            if (process.isAlive()) {
                process.destroy();
                if (!process.waitFor(5, TimeUnit.SECONDS)) {
                    process.destroyForcibly();
                }
            }
        }
    }

    static String describe(int code) {
        if (code > 128 && code < 160) {
            int signal = code - 128;
            String name = switch (signal) {
                case 9 -> "SIGKILL: killed, often by the out-of-memory killer";
                case 15 -> "SIGTERM: asked to stop";
                case 6 -> "SIGABRT: a native crash";
                case 11 -> "SIGSEGV: a native crash";
                default -> "signal " + signal;
            };
            return "exit code " + code + " (" + name + ")";
        }
        return "exit code " + code;
    }

    private Thread pump(Process process, int rank) {
        Thread thread = new Thread(() -> {
            try (var reader = new BufferedReader(new InputStreamReader(process.getInputStream(),
                    StandardCharsets.UTF_8))) {
                String line;
                while ((line = reader.readLine()) != null) {
                    synchronized (out) {
                        out.println(line.startsWith("{\"type\":\"kiln.") ? line : "[rank " + rank + "] " + line);
                    }
                }
            } catch (IOException ignored) {
                // the process ended
            }
        }, "kiln-launch-output-" + rank);
        thread.setDaemon(true);
        thread.start();
        return thread;
    }

    private void log(String message) {
        synchronized (out) {
            out.println("kiln-train launch: " + message);
        }
    }

    private static int freePort() throws IOException {
        try (var socket = new ServerSocket(0)) {
            return socket.getLocalPort();
        }
    }
}
