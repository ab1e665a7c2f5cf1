package dev.kiln.server.config;

import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.util.unit.DataSize;

import java.nio.file.Path;

/**
 * Kiln's own settings (application.properties, or KILN_* environment variables; see the README's table).
 *
 * @param dataDir     where the embedded database, workspaces and trash live
 * @param maxFileSize the largest file the editor opens or saves
 * @param adminUser   the account created on first start
 * @param adminPassword the first admin's password; empty means generate one and print it once
 */
@ConfigurationProperties("kiln")
public record KilnProperties(Path dataDir, DataSize maxFileSize, String adminUser, String adminPassword) {

    public KilnProperties {
        dataDir = dataDir.toAbsolutePath().normalize();
        if (maxFileSize == null) {
            maxFileSize = DataSize.ofMegabytes(10);
        }
        if (adminUser == null || adminUser.isBlank()) {
            adminUser = "admin";
        }
    }

    public Path workspacesDir() {
        return dataDir.resolve("workspaces");
    }

    public Path trashDir() {
        return dataDir.resolve("trash");
    }
}
