package dev.kiln.machine.agent;

import dev.kiln.machine.protocol.FromMachine;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executor;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Runs commands on the machine for the server (a job, a compile, a one-off shell command) and streams their output
 * back as it comes: {@code output} messages with the stream and a chunk of text, then one {@code exit}. Cancelling
 * stops the whole process tree: SIGTERM first, so a trainer can checkpoint, then SIGKILL after a grace period.
 */
final class CommandRunner implements AutoCloseable {
    private static final int CHUNK = 16 * 1024;
    /** Platform threads for the blocking pipe reads: a few per command, and never pinned behind a terminal's. */
    private static final Executor PUMPS = Executors.newCachedThreadPool(
            Thread.ofPlatform().name("kiln-output-", 0).daemon().factory());

    private final Outbox outbox;
    private final Path home;
    private final Map<String, Process> running = new ConcurrentHashMap<>();
    private volatile boolean interrupted;
    /** Hears every exit before it is sent (the job runner remembers its jobs' exits for the next hello). */
    private volatile java.util.function.Consumer<FromMachine.Exit> exits = exit -> { };

    CommandRunner(Outbox outbox, Path home) {
        this.outbox = outbox;
        this.home = home;
    }

    void start(String id, List<String> command, String directory, Map<String, String> env) {
        start(id, command, directory, env, null);
    }

    /**
     * As {@link #start(String, List, String, Map)}, also writing all output to {@code logFile}: streaming to the
     * server is best effort (it drops what the connection cannot carry rather than slow the process down), the
     * file on the machine keeps everything.
     */
    void start(String id, List<String> command, String directory, Map<String, String> env, Path logFile) {
        start(id, command, directory, env, logFile, () -> {});
    }

    /** As above, running {@code ended} once the process has exited (or could not start), before the exit is sent. */
    void start(String id, List<String> command, String directory, Map<String, String> env, Path logFile,
               Runnable ended) {
        start(id, command, directory, env, logFile, ended, () -> null);
    }

    /**
     * As above; a process that exits with a code other than 0 is reported with {@code failureReason}'s sentence
     * (null: none), for processes that say why they failed (a launcher whose rank crashed).
     */
    void start(String id, List<String> command, String directory, Map<String, String> env, Path logFile,
               Runnable ended, java.util.function.Supplier<String> failureReason) {
        if (running.containsKey(id)) {
            return; // a repeated request (the server retried after a reconnect): already running
        }
        Path cwd = directory == null || directory.isBlank() ? home : home.resolve(directory).normalize();
        if (!cwd.startsWith(home)) {
            ended.run();
            exit(id, -1, "the working directory must be inside the machine's home");
            return;
        }
        try {
            var builder = new ProcessBuilder(command).directory(cwd.toFile());
            builder.environment().putAll(env);
            OutputStream log = logFile == null ? null : Files.newOutputStream(logFile);
            Process process = builder.start();
            running.put(id, process);
            var dropped = new AtomicLong();
            var stdout = CompletableFuture.runAsync(() -> pump(id, "stdout", process.getInputStream(), log, dropped), PUMPS);
            var stderr = CompletableFuture.runAsync(() -> pump(id, "stderr", process.getErrorStream(), log, dropped), PUMPS);
            // The exit goes after the last output, so a reader never sees output after the exit.
            process.onExit().thenCombine(CompletableFuture.allOf(stdout, stderr), (p, done) -> p).thenAccept(p -> {
                running.remove(id);
                if (log != null) {
                    try {
                        log.close();
                    } catch (IOException ignored) {
                        // the output was streamed anyway
                    }
                }
                String reason = p.exitValue() == 0 ? null : failureReason.get();
                ended.run();
                exit(id, p.exitValue(), reason, dropped.get());
            });
            outbox.offer(new FromMachine.Started(id, process.pid()));
        } catch (IOException e) {
            ended.run();
            exit(id, -1, "cannot start " + command.getFirst() + ": " + e.getMessage());
        }
    }

    void onExit(java.util.function.Consumer<FromMachine.Exit> listener) {
        this.exits = listener;
    }

    /** The machine is going away: exits from now on are marked as interruptions. */
    void interrupted() {
        interrupted = true;
    }

    void cancel(String id, long graceMillis) {
        Process process = running.get(id);
        if (process == null) {
            return;
        }
        process.descendants().forEach(ProcessHandle::destroy);
        process.destroy();
        process.onExit().orTimeout(graceMillis, TimeUnit.MILLISECONDS).whenComplete((p, timeout) -> {
            if (timeout != null) {
                process.descendants().forEach(ProcessHandle::destroyForcibly);
                process.destroyForcibly();
            }
        });
    }

    /**
     * Copies a process's output: every byte to the log file (when there is one), and as much as the connection can
     * carry to the server, cut at UTF-8 character boundaries. Text is decoded only for what is streamed, so a flood
     * costs little more than the file write.
     */
    private void pump(String id, String stream, InputStream in, OutputStream log, AtomicLong dropped) {
        byte[] buffer = new byte[CHUNK];
        int carry = 0;
        try (in) {
            int n;
            while ((n = in.read(buffer, carry, buffer.length - carry)) > 0) {
                if (log != null) {
                    synchronized (log) {
                        log.write(buffer, carry, n);
                    }
                }
                int length = carry + n;
                int complete = completeUtf8(buffer, length);
                if (outbox.hasRoom()) {
                    var output = new FromMachine.Output(id, stream, new String(buffer, 0, complete, StandardCharsets.UTF_8));
                    if (!outbox.offer(output)) {
                        dropped.addAndGet(complete);
                    }
                } else {
                    dropped.addAndGet(complete);
                }
                carry = length - complete;
                System.arraycopy(buffer, complete, buffer, 0, carry);
            }
        } catch (IOException ignored) {
            // the process ended
        }
    }

    /** How many leading bytes form whole UTF-8 characters (a character cut by the read waits for the next one). */
    static int completeUtf8(byte[] bytes, int length) {
        for (int back = 1; back <= 3 && back <= length; back++) {
            int b = bytes[length - back] & 0xff;
            if ((b & 0xc0) == 0x80) {
                continue; // a continuation byte: keep looking for the lead byte
            }
            int needed = b >= 0xf0 ? 4 : b >= 0xe0 ? 3 : b >= 0xc0 ? 2 : 1;
            return needed > back ? length - back : length;
        }
        return length;
    }

    private void exit(String id, int code, String error) {
        exit(id, code, error, 0);
    }

    private void exit(String id, int code, String error, long droppedChars) {
        var exit = new FromMachine.Exit(id, code, error, droppedChars > 0 ? droppedChars : null,
                interrupted ? true : null);
        exits.accept(exit);
        outbox.offer(exit);
    }

    /** Stops every command, waiting up to 8 s for them to exit (the backend kills the agent after 10). */
    @Override
    public void close() {
        var processes = List.copyOf(running.values());
        running.keySet().forEach(id -> cancel(id, 5_000));
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(8);
        for (Process process : processes) {
            try {
                process.waitFor(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
    }
}
