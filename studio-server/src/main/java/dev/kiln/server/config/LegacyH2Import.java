package dev.kiln.server.config;

import org.flywaydb.core.Flyway;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import javax.sql.DataSource;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Kiln kept its data in an embedded H2 database ({@code <data-dir>/db/kiln.mv.db}) before it used SQLite. On a start
 * that finds such a file beside an SQLite database that holds no users yet, this brings the H2 database up to the
 * current migrations, copies every table's rows into SQLite in one transaction, and renames the H2 file to
 * {@code kiln.mv.db.imported} (kept, not deleted). If anything fails, the transaction is rolled back and the start
 * stops with what to do: nothing is half moved, and the next start tries again.
 */
final class LegacyH2Import {

    private static final Logger log = LoggerFactory.getLogger("kiln");
    static final String H2_FILE = "kiln.mv.db";

    private final Path dbDir;
    private final DataSource target;

    LegacyH2Import(Path dbDir, DataSource target) {
        this.dbDir = dbDir;
        this.target = target;
    }

    void run() {
        var h2File = dbDir.resolve(H2_FILE);
        if (!Files.isRegularFile(h2File)) {
            return;
        }
        if (!empty(target)) {
            log.warn("Both {} (H2, from an older Kiln) and an SQLite database with users are in {}; Kiln uses SQLite and "
                    + "leaves the H2 file alone", H2_FILE, dbDir);
            return;
        }
        var h2Url = "jdbc:h2:file:" + dbDir.resolve("kiln") + ";IFEXISTS=TRUE";
        try {
            Flyway.configure().dataSource(h2Url, "sa", "").locations("classpath:db/migration", "classpath:db/vendor/h2")
                    .load().migrate();
            int rows;
            try (var h2 = DriverManager.getConnection(h2Url, "sa", ""); var sqlite = target.getConnection()) {
                rows = copy(h2, sqlite);
            }
            Files.move(h2File, dbDir.resolve(H2_FILE + ".imported"));
            var trace = dbDir.resolve("kiln.trace.db");
            if (Files.exists(trace)) {
                Files.move(trace, dbDir.resolve("kiln.trace.db.imported"));
            }
            log.info("Moved {} rows from the H2 database of an older Kiln ({}) into SQLite; the H2 file is kept as {}.imported",
                    rows, h2File, H2_FILE);
        } catch (SQLException | IOException | RuntimeException e) {
            throw new IllegalStateException("Could not move the H2 database " + h2File + " into SQLite: " + e.getMessage()
                    + ". Nothing was changed in " + h2File + ". To keep using it as it is, start Kiln with KILN_DB_URL=jdbc:h2:file:"
                    + dbDir.resolve("kiln") + " (and delete " + dbDir.resolve("kiln.sqlite") + " if it exists).", e);
        }
    }

    private static boolean empty(DataSource sqlite) {
        try (var connection = sqlite.getConnection(); var statement = connection.createStatement();
             var rows = statement.executeQuery("select count(*) from kiln_user")) {
            return rows.next() && rows.getLong(1) == 0;
        } catch (SQLException e) {
            throw new IllegalStateException("Could not read the new SQLite database", e);
        }
    }

    /** Copies every table SQLite has (but Flyway's history) from H2, column by column, in one transaction. */
    private static int copy(Connection h2, Connection sqlite) throws SQLException {
        var tables = new ArrayList<String>();
        try (var statement = sqlite.createStatement();
             var rows = statement.executeQuery("select name from sqlite_master where type = 'table' and name not like 'sqlite_%' "
                     + "and lower(name) <> 'flyway_schema_history'")) {
            while (rows.next()) {
                tables.add(rows.getString(1));
            }
        }
        int copied = 0;
        try (var statement = sqlite.createStatement()) {
            // Rows arrive table by table, not in the order the foreign keys need; the keys held in H2 already.
            statement.execute("pragma foreign_keys = off");
        }
        sqlite.setAutoCommit(false);
        try {
            for (var table : tables) {
                var columns = commonColumns(h2, sqlite, table);
                if (columns.isEmpty()) {
                    continue;
                }
                var list = String.join(", ", columns);
                var marks = String.join(", ", columns.stream().map(c -> "?").toList());
                try (var read = h2.createStatement();
                     var rows = read.executeQuery("select " + list + " from " + table);
                     var insert = sqlite.prepareStatement("insert into " + table + " (" + list + ") values (" + marks + ")")) {
                    while (rows.next()) {
                        for (int i = 1; i <= columns.size(); i++) {
                            insert.setObject(i, rows.getObject(i));
                        }
                        insert.executeUpdate();
                        copied++;
                    }
                }
            }
            sqlite.commit();
        } catch (SQLException | RuntimeException e) {
            sqlite.rollback();
            throw e;
        } finally {
            sqlite.setAutoCommit(true);
            try (var statement = sqlite.createStatement()) {
                statement.execute("pragma foreign_keys = on");
            }
        }
        return copied;
    }

    /** The columns a table has in both databases (H2 names are upper case, SQLite keeps the migration's case). */
    private static List<String> commonColumns(Connection h2, Connection sqlite, String table) throws SQLException {
        Map<String, String> inH2 = new LinkedHashMap<>();
        try (var columns = h2.getMetaData().getColumns(null, "PUBLIC", table.toUpperCase(Locale.ROOT), null)) {
            while (columns.next()) {
                inH2.put(columns.getString("COLUMN_NAME").toLowerCase(Locale.ROOT), columns.getString("COLUMN_NAME"));
            }
        }
        var common = new ArrayList<String>();
        try (var statement = sqlite.createStatement(); var columns = statement.executeQuery("pragma table_info(" + table + ")")) {
            while (columns.next()) {
                var name = columns.getString("name");
                if (inH2.containsKey(name.toLowerCase(Locale.ROOT))) {
                    common.add(name);
                }
            }
        }
        return common;
    }
}
