package dev.kiln.machine.agent;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;

/**
 * A job's data connections (short-lived credentials) on the machine: one file per job under {@code ~/.kiln/secrets},
 * created owner-only before a byte is written, named to the job in {@code KILN_CONNECTIONS}, deleted when the job's
 * process ends. Leftovers of a machine that crashed mid-job are removed when the agent starts.
 */
final class JobSecrets {
    static final String ENV = "KILN_CONNECTIONS";

    private JobSecrets() {}

    static Path directory(Path home) {
        return home.resolve(".kiln").resolve("secrets");
    }

    /** Writes the document and returns its path, or null when there is nothing to hand over. */
    static Path write(Path home, String jobId, String document) {
        if (document == null || document.isBlank()) {
            return null;
        }
        try {
            Path dir = directory(home);
            Files.createDirectories(dir);
            setOwnerOnly(dir, "rwx------");
            Path file = dir.resolve(jobId + ".json");
            Files.deleteIfExists(file);
            Files.createFile(file, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
            Files.writeString(file, document, StandardCharsets.UTF_8, StandardOpenOption.TRUNCATE_EXISTING);
            return file;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write the job's connections file: " + e.getMessage(), e);
        }
    }

    static void delete(Path home, String jobId) {
        try {
            Files.deleteIfExists(directory(home).resolve(jobId + ".json"));
        } catch (IOException ignored) {
            // purged at the next start at the latest
        }
    }

    /** Removes every job's file: called when the agent starts, when no job of the last run can still be running. */
    static void purge(Path home) {
        Path dir = directory(home);
        if (!Files.isDirectory(dir)) {
            return;
        }
        try (var files = Files.list(dir)) {
            for (Path file : files.toList()) {
                Files.deleteIfExists(file);
            }
        } catch (IOException ignored) {
            // best effort; each job's own file is deleted when it ends
        }
    }

    private static void setOwnerOnly(Path dir, String permissions) throws IOException {
        try {
            Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString(permissions));
        } catch (UnsupportedOperationException ignored) {
            // not a POSIX file system (Windows laptop): the home directory's own ACLs apply
        }
    }
}
