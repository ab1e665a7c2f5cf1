package dev.kiln.server.data;

import dev.kiln.server.config.KilnProperties;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.stereotype.Component;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.MalformedURLException;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Driver;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.ServiceLoader;

/**
 * The JDBC drivers data connections may use, loaded once when the server starts: those on the classpath (PostgreSQL;
 * Snowflake with the {@code snowflake} build profile) and the jars of an admin's folder ({@code kiln.data.drivers-dir},
 * for Snowflake's 100 MB driver). Nothing is loaded later: a jar that appears in a folder after the start is never
 * run, because loading a driver runs its code inside this server. A connection uses the driver of its kind only, never
 * whichever driver accepts its URL (H2, the server's own database driver, would run a user's SQL functions here).
 */
@Component
class JdbcDrivers {
    private static final Logger log = LoggerFactory.getLogger(JdbcDrivers.class);
    /** The drivers of each kind of connection, by the package their classes are in. */
    private static final Map<String, String> PACKAGES = Map.of("postgresql", "org.postgresql.",
            "snowflake", "net.snowflake.");

    private final List<Driver> drivers;
    private final Path folder;

    JdbcDrivers(@Value("${kiln.data.drivers-dir:}") String driversDir, KilnProperties properties) {
        this.folder = driversDir == null || driversDir.isBlank() ? null : Path.of(driversDir).toAbsolutePath().normalize();
        var found = new ArrayList<Driver>();
        var described = new ArrayList<String>();
        ServiceLoader.load(Driver.class, JdbcDrivers.class.getClassLoader()).forEach(driver -> {
            if (kindOf(driver) != null) {
                found.add(driver);
                described.add(describe(driver) + " (classpath)");
            }
        });
        if (folder != null) {
            checkFolder(folder, properties.dataDir());
            URL[] jars = jars(folder);
            var loader = new URLClassLoader(jars, JdbcDrivers.class.getClassLoader());
            ServiceLoader.load(Driver.class, loader).forEach(driver -> {
                if (kindOf(driver) != null && driver.getClass().getClassLoader() == loader) {
                    found.add(driver);
                    described.add(describe(driver) + " (" + folder + ")");
                }
            });
        }
        Path old = properties.dataDir().resolve("drivers");
        if (folder == null && Files.isDirectory(old)) {
            log.warn("Kiln no longer loads JDBC drivers from {}: set kiln.data.drivers-dir (KILN_DATA_DRIVERS_DIR) to "
                    + "a folder that only the server's admin can write, and restart.", old);
        }
        this.drivers = List.copyOf(found);
        log.info("JDBC drivers for data connections: {}", described.isEmpty() ? "none" : String.join(", ", described));
    }

    /** The driver for a kind of connection; a {@link DataException} saying how to install it when there is none. */
    Driver forKind(String kind) {
        for (Driver driver : drivers) {
            if (kind.equals(kindOf(driver))) {
                return driver;
            }
        }
        if (kind.equals("snowflake")) {
            throw new DataException("The Snowflake JDBC driver is not installed: build Kiln with -Psnowflake, or ask "
                    + "the admin to put snowflake-jdbc-4.4.1.jar in the folder kiln.data.drivers-dir names and "
                    + "restart Kiln.");
        }
        throw new DataException("No JDBC driver for " + kind + " connections is installed.");
    }

    private static String kindOf(Driver driver) {
        String name = driver.getClass().getName();
        return PACKAGES.entrySet().stream().filter(e -> name.startsWith(e.getValue())).map(Map.Entry::getKey)
                .findFirst().orElse(null);
    }

    private static String describe(Driver driver) {
        return driver.getClass().getName() + " " + driver.getMajorVersion() + "." + driver.getMinorVersion();
    }

    /**
     * A folder that machines, jobs or workspaces can write would let anyone who can type in a terminal put code into
     * the server at its next start.
     */
    private static void checkFolder(Path folder, Path dataDir) {
        if (!Files.isDirectory(folder)) {
            throw new IllegalStateException("kiln.data.drivers-dir: " + folder + " is not a folder. Create it (writable "
                    + "by the server's admin only) or leave the setting empty.");
        }
        for (String area : List.of("machines", "workspaces", "jobs", "trash")) {
            if (folder.startsWith(dataDir.resolve(area))) {
                throw new IllegalStateException("kiln.data.drivers-dir: " + folder + " is inside " + dataDir.resolve(area)
                        + ", which studios can write. Use a folder outside the data directory's studio areas.");
            }
        }
    }

    private static URL[] jars(Path folder) {
        try (var files = Files.list(folder)) {
            return files.filter(p -> p.toString().endsWith(".jar")).sorted().map(p -> {
                try {
                    return p.toUri().toURL();
                } catch (MalformedURLException e) {
                    throw new IllegalStateException(e);
                }
            }).toArray(URL[]::new);
        } catch (IOException e) {
            throw new UncheckedIOException("kiln.data.drivers-dir: cannot list " + folder, e);
        }
    }
}
