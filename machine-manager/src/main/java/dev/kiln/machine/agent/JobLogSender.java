package dev.kiln.machine.agent;

import dev.kiln.machine.protocol.FromMachine;
import dev.kiln.machine.protocol.ToMachine;

import java.io.IOException;
import java.io.Reader;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Sends a job's complete output file to the server ({@code job.log} asks, {@code job.log.part}s answer), for a log
 * download when the live stream dropped some of it. Waits for room in the outbox instead of dropping parts: the
 * outbox is lossy by design for live output, and this copy must be whole.
 */
final class JobLogSender {
    static final int PART_CHARS = 64 * 1024;
    /** A server that stops reading for this long has given up on the download. */
    private static final long STALL_NANOS = 30_000_000_000L;

    private JobLogSender() {}

    static void start(Outbox outbox, Path home, ToMachine.JobLog request) {
        Thread.ofPlatform().name("kiln-job-log").daemon().start(() -> send(outbox, home, request));
    }

    static void send(Outbox outbox, Path home, ToMachine.JobLog request) {
        String id = request.requestId();
        if (request.job() == null || !request.job().matches("[A-Za-z0-9-]{1,64}")) {
            outbox.offer(new FromMachine.JobLogPart(id, 0, null, true, "no such job on this machine"));
            return;
        }
        Path dir = home.resolve("jobs").resolve(request.job());
        List<Path> files = new ArrayList<>();
        for (String name : List.of("output.log", "output-resumed.log")) {
            if (Files.isRegularFile(dir.resolve(name))) {
                files.add(dir.resolve(name));
            }
        }
        if (files.isEmpty()) {
            outbox.offer(new FromMachine.JobLogPart(id, 0, null, true, "this machine has no output of the job (it "
                    + "ran on another machine, or its folder ~/jobs/" + request.job() + " was removed)"));
            return;
        }
        int index = 0;
        var buffer = new char[PART_CHARS];
        String carry = ""; // a high surrogate whose low half is in the next read
        try {
            for (Path file : files) {
                var decoder = StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPLACE)
                        .onUnmappableCharacter(CodingErrorAction.REPLACE);
                try (Reader reader = new java.io.InputStreamReader(Files.newInputStream(file), decoder)) {
                    int n;
                    while ((n = reader.read(buffer)) > 0) {
                        String text = carry + new String(buffer, 0, n);
                        carry = "";
                        if (Character.isHighSurrogate(text.charAt(text.length() - 1))) {
                            carry = text.substring(text.length() - 1);
                            text = text.substring(0, text.length() - 1);
                        }
                        if (!text.isEmpty() && !offer(outbox, new FromMachine.JobLogPart(id, index++, text, false,
                                null))) {
                            return;
                        }
                    }
                }
            }
            offer(outbox, new FromMachine.JobLogPart(id, index, carry, true, null));
        } catch (IOException e) {
            offer(outbox, new FromMachine.JobLogPart(id, index, null, true, "reading the job's output failed: "
                    + e.getMessage()));
        }
    }

    /** Waits for room rather than dropping; false when the server is gone or stopped reading. */
    private static boolean offer(Outbox outbox, FromMachine.JobLogPart part) {
        long deadline = System.nanoTime() + STALL_NANOS;
        while (System.nanoTime() < deadline) {
            // A few parts in flight at a time: the agent's heap is small, and live output shares the queue.
            if (outbox.queued() < 8 && outbox.offer(part)) {
                return true;
            }
            try {
                Thread.sleep(5);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return false;
            }
        }
        return false;
    }
}
