package dev.kiln.server.config;

import com.zaxxer.hikari.HikariDataSource;
import org.springframework.beans.factory.config.BeanPostProcessor;
import org.springframework.boot.flyway.autoconfigure.FlywayMigrationStrategy;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

import javax.sql.DataSource;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The database. By default an embedded SQLite file, {@code <data-dir>/db/kiln.sqlite}, in WAL mode with
 * {@code synchronous=FULL}: a commit returns only once it is in the write-ahead log on disk, so every write Kiln has
 * answered survives a kill -9 or a power cut (CrashDurabilityIT kills the server 20 times to check; H2, the embedded
 * database before, lost acknowledged rows there, with its default write delay and with {@code WRITE_DELAY=0}).
 * {@code KILN_DB_URL} selects PostgreSQL for production, which runs the same migrations; an existing H2 database
 * from an older Kiln is moved into SQLite on the first start ({@link LegacyH2Import}).
 */
@Configuration(proxyBeanMethods = false)
class DatabaseConfiguration {

    /** Settings every SQLite connection gets unless the URL names them itself. */
    static final String SQLITE_SETTINGS = "journal_mode=WAL&synchronous=FULL&foreign_keys=true&busy_timeout=30000"
            + "&transaction_mode=IMMEDIATE";

    /**
     * Makes the SQLite file's folder (SQLite does not create it), adds the durability settings to the URL, and adapts
     * the connections to what Kiln's SQL expects ({@link SqliteJdbc}).
     */
    @Bean
    static BeanPostProcessor sqliteDataSource() {
        return new BeanPostProcessor() {
            @Override
            public Object postProcessAfterInitialization(Object bean, String beanName) {
                if (bean instanceof HikariDataSource hikari && hikari.getJdbcUrl() != null
                        && hikari.getJdbcUrl().startsWith("jdbc:sqlite:")) {
                    var url = hikari.getJdbcUrl();
                    createFolderOf(sqliteFile(url));
                    hikari.setJdbcUrl(withSettings(url));
                    return SqliteJdbc.adapt(hikari);
                }
                return bean;
            }
        };
    }

    /** Migrates; on an embedded database still without users, then brings over what an older Kiln kept in H2. */
    @Bean
    FlywayMigrationStrategy migrateAndImport(KilnProperties properties) {
        return flyway -> {
            flyway.migrate();
            DataSource target = flyway.getConfiguration().getDataSource();
            if (isSqlite(target)) {
                new LegacyH2Import(properties.dataDir().resolve("db"), target).run();
            }
        };
    }

    static Path sqliteFile(String url) {
        var rest = url.substring("jdbc:sqlite:".length());
        int query = rest.indexOf('?');
        return Path.of(query < 0 ? rest : rest.substring(0, query));
    }

    static String withSettings(String url) {
        var result = new StringBuilder(url);
        for (var setting : SQLITE_SETTINGS.split("&")) {
            var key = setting.substring(0, setting.indexOf('='));
            if (!url.contains(key + "=")) {
                result.append(result.indexOf("?") < 0 ? '?' : '&').append(setting);
            }
        }
        return result.toString();
    }

    private static boolean isSqlite(DataSource dataSource) {
        try (var connection = dataSource.getConnection()) {
            return connection.getMetaData().getDatabaseProductName().equals("SQLite");
        } catch (java.sql.SQLException e) {
            return false;
        }
    }

    private static void createFolderOf(Path file) {
        var folder = file.toAbsolutePath().getParent();
        if (folder != null) {
            try {
                Files.createDirectories(folder);
            } catch (IOException e) {
                throw new UncheckedIOException("Could not create the database folder " + folder, e);
            }
        }
    }
}
