package dev.kiln.server.config;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.stereotype.Component;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;

/**
 * Kiln's data directory holds the embedded database, the key that decrypts every connection's credentials, and every
 * studio's files: readable by the server's own user only ({@code 0700}, the key {@code 0600}), whatever the umask.
 * Machines never see it (their sandboxes bind only their own home).
 */
@Component
class PrivateDataDirectory {
    private static final Logger log = LoggerFactory.getLogger(PrivateDataDirectory.class);

    PrivateDataDirectory(KilnProperties properties) {
        Path dir = properties.dataDir();
        try {
            Files.createDirectories(dir);
            Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwx------"));
            Path key = dir.resolve("secret.key");
            if (Files.exists(key)) {
                Files.setPosixFilePermissions(key, PosixFilePermissions.fromString("rw-------"));
            }
        } catch (IOException | UnsupportedOperationException e) {
            log.warn("Cannot make the data directory {} private to Kiln's user: {}", dir, e.getMessage());
        }
    }
}
