package dev.kiln.training.callbacks;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * "Checkpoint now", from whoever runs the job: Kiln's agent writes the file {@code KILN_CHECKPOINT_REQUEST} names
 * before it stops or moves a machine, and {@link ModelCheckpoint} writes {@code last} at the step it is at, then
 * answers in {@code <file>.done} with that step, so the job resumes on the next machine without losing a step. The
 * file is looked at no more than every 100 ms (one stat), on rank 0 only (the one that writes checkpoints).
 */
final class CheckpointRequest {
    static final String ENV = "KILN_CHECKPOINT_REQUEST";
    private static final long EVERY_NANOS = 100_000_000L;

    private final Path file;
    private long nextLook = System.nanoTime();

    CheckpointRequest(Path file) {
        this.file = file;
    }

    /** From the environment; null when nobody can ask. */
    static CheckpointRequest fromEnvironment() {
        String path = System.getenv(ENV);
        return path == null || path.isBlank() ? null : new CheckpointRequest(Path.of(path));
    }

    /** Whether a checkpoint was asked for since the last answer (at most one look per 100 ms). */
    boolean pending() {
        long now = System.nanoTime();
        if (now - nextLook < 0) {
            return false;
        }
        nextLook = now + EVERY_NANOS;
        return Files.exists(file);
    }

    /** Whether a request is waiting, looked at now (at the end of fit, where {@code last} is written anyway). */
    boolean waiting() {
        return Files.exists(file);
    }

    /** Says the checkpoint of {@code step} is written: the answer first, then the request goes. */
    void answer(long step) {
        try {
            Path done = file.resolveSibling(file.getFileName() + ".done");
            Path tmp = file.resolveSibling(file.getFileName() + ".done.tmp");
            Files.writeString(tmp, Long.toString(step));
            Files.move(tmp, done, java.nio.file.StandardCopyOption.ATOMIC_MOVE,
                    java.nio.file.StandardCopyOption.REPLACE_EXISTING);
            Files.deleteIfExists(file);
        } catch (IOException e) {
            // the agent waits its grace period and stops the job anyway
        }
    }
}
