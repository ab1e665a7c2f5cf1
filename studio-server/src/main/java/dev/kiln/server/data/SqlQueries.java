package dev.kiln.server.data;

import dev.kiln.ui.studio.StudioException;
import dev.kiln.ui.data.StudioData.QueryResult;
import org.apache.commons.csv.CSVFormat;
import org.apache.commons.csv.CSVPrinter;
import org.springframework.scheduling.annotation.Scheduled;
import org.springframework.stereotype.Component;

import java.io.IOException;
import java.io.OutputStream;
import java.io.OutputStreamWriter;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.Driver;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.ServiceLoader;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

/**
 * SQL queries through data connections, never loaded whole: a query runs on its own connection in the background,
 * its first page comes back when ready, further pages are read from the open cursor on request, and cancel asks the
 * database to stop. An export re-runs the query and streams every row as CSV or Parquet. Idle queries are closed after ten
 * minutes. Drivers: PostgreSQL ships with Kiln; Snowflake's official driver (about 100 MB) is found on the classpath
 * (the {@code snowflake} Maven profile) or as a jar in {@code <data>/drivers}.
 */
@Component
class SqlQueries {
    static final int PAGE = 100;
    private static final Duration IDLE = Duration.ofMinutes(10);

    enum Status { RUNNING, READY, FAILED, CANCELLED }


    private static final class Running {
        final String id;
        final String studioId;
        final JdbcSettings settings;
        final String sql;
        volatile Status status = Status.RUNNING;
        volatile String error;
        volatile Statement statement;
        Connection connection;
        ResultSet cursor;
        List<String> columns = List.of();
        List<List<String>> rows = List.of();
        int page;
        boolean more;
        volatile Instant lastUsed = Instant.now();

        Running(String id, String studioId, JdbcSettings settings, String sql) {
            this.id = id;
            this.studioId = studioId;
            this.settings = settings;
            this.sql = sql;
        }
    }

    private final Map<String, Running> queries = new ConcurrentHashMap<>();
    private final ExecutorService executor = Executors.newCachedThreadPool(
            Thread.ofPlatform().name("kiln-sql-", 0).daemon().factory());
    private final java.nio.file.Path driversDir;

    SqlQueries(dev.kiln.server.config.KilnProperties properties) {
        this.driversDir = properties.dataDir().resolve("drivers");
    }

    QueryResult start(String studioId, JdbcSettings settings, String sql) {
        if (sql == null || sql.isBlank()) {
            throw new StudioException(StudioException.Kind.INVALID, "Write a query first.");
        }
        var query = new Running(UUID.randomUUID().toString(), studioId, settings, sql);
        queries.put(query.id, query);
        executor.execute(() -> {
            try {
                query.connection = open(settings);
                // A cursor, not the whole result: PostgreSQL streams only outside autocommit with a fetch size.
                query.connection.setAutoCommit(false);
                query.connection.setReadOnly(true);
                Statement statement = query.connection.createStatement(ResultSet.TYPE_FORWARD_ONLY,
                        ResultSet.CONCUR_READ_ONLY);
                statement.setFetchSize(PAGE * 5);
                query.statement = statement;
                if (statement.execute(sql)) {
                    query.cursor = statement.getResultSet();
                    var meta = query.cursor.getMetaData();
                    var columns = new ArrayList<String>();
                    for (int i = 1; i <= meta.getColumnCount(); i++) {
                        columns.add(meta.getColumnLabel(i));
                    }
                    query.columns = columns;
                    synchronized (query) {
                        readPage(query);
                    }
                } else {
                    query.columns = List.of("updated rows");
                    query.rows = List.of(List.of(String.valueOf(statement.getUpdateCount())));
                }
                query.status = Status.READY;
            } catch (SQLException e) {
                if (query.status != Status.CANCELLED) {
                    fail(query, e.getMessage());
                } else {
                    close(query);
                }
            } catch (DataException e) {
                fail(query, e.getMessage());
            }
        });
        return result(query);
    }

    /** The query ends with the database's words as its error, and its connection is released. */
    private void fail(Running query, String error) {
        query.status = Status.FAILED;
        query.error = error;
        close(query);
    }

    QueryResult get(String studioId, String id) {
        return result(find(studioId, id));
    }

    /** The next page from the open cursor. */
    QueryResult next(String studioId, String id) {
        Running query = find(studioId, id);
        synchronized (query) {
            if (query.status == Status.READY && query.more) {
                try {
                    query.page++;
                    readPage(query);
                } catch (SQLException e) {
                    fail(query, e.getMessage());
                }
            }
        }
        return result(query);
    }

    QueryResult cancel(String studioId, String id) {
        Running query = find(studioId, id);
        if (query.status == Status.RUNNING) {
            query.status = Status.CANCELLED;
            query.error = "Cancelled";
            try {
                Statement statement = query.statement;
                if (statement != null) {
                    statement.cancel();
                }
            } catch (SQLException ignored) {
                // the connection closes below anyway
            }
        }
        return result(query);
    }

    /** What an export writes: CSV (header first) or Parquet (typed columns, see {@link ParquetRowWriter}). */
    enum Format {
        CSV, PARQUET;

        static Format ofFileName(String name) {
            return name.toLowerCase(java.util.Locale.ROOT).endsWith(".parquet") ? PARQUET : CSV;
        }
    }

    /** Runs the query again and writes every row, streaming; never holds the result. Returns the rows written. */
    long export(String studioId, String id, Format format, OutputStream out) throws IOException {
        Running query = find(studioId, id);
        try (Connection connection = open(query.settings)) {
            connection.setAutoCommit(false);
            connection.setReadOnly(true);
            try (Statement statement = connection.createStatement(ResultSet.TYPE_FORWARD_ONLY, ResultSet.CONCUR_READ_ONLY)) {
                statement.setFetchSize(1000);
                try (ResultSet rows = statement.executeQuery(query.sql)) {
                    return format == Format.PARQUET ? writeParquet(rows, out) : writeCsv(rows, out);
                }
            }
        } catch (SQLException e) {
            throw new DataException("The export failed: " + e.getMessage());
        }
    }

    private static long writeCsv(ResultSet rows, OutputStream out) throws SQLException, IOException {
        Writer writer = new OutputStreamWriter(out, StandardCharsets.UTF_8);
        var csv = new CSVPrinter(writer, CSVFormat.DEFAULT);
        int columns = rows.getMetaData().getColumnCount();
        var header = new ArrayList<String>();
        for (int i = 1; i <= columns; i++) {
            header.add(rows.getMetaData().getColumnLabel(i));
        }
        csv.printRecord(header);
        long count = 0;
        while (rows.next()) {
            for (int i = 1; i <= columns; i++) {
                csv.print(rows.getString(i));
            }
            csv.println();
            count++;
        }
        csv.flush();
        return count;
    }

    private static long writeParquet(ResultSet rows, OutputStream out) throws SQLException, IOException {
        var parquet = new ParquetRowWriter(out, ParquetRowWriter.columnsOf(rows.getMetaData()));
        while (rows.next()) {
            parquet.addRow(rows);
        }
        parquet.finish();
        return parquet.rows();
    }

    private void readPage(Running query) throws SQLException {
        var rows = new ArrayList<List<String>>();
        int columns = query.columns.size();
        while (rows.size() < PAGE && query.cursor.next()) {
            var row = new ArrayList<String>(columns);
            for (int i = 1; i <= columns; i++) {
                row.add(query.cursor.getString(i));
            }
            rows.add(row);
        }
        query.rows = rows;
        query.more = rows.size() == PAGE;
        query.lastUsed = Instant.now();
        if (!query.more) {
            close(query);
        }
    }

    private Running find(String studioId, String id) {
        Running query = id == null ? null : queries.get(id);
        if (query == null || !query.studioId.equals(studioId)) {
            throw new StudioException(StudioException.Kind.NOT_FOUND, "No such query (queries close after 10 minutes "
                    + "without use).");
        }
        query.lastUsed = Instant.now();
        return query;
    }

    private static QueryResult result(Running q) {
        return new QueryResult(q.id, q.status.name(), q.columns, q.rows, q.page, q.more, q.error);
    }

    private Connection open(JdbcSettings settings) throws SQLException {
        for (Driver driver : drivers()) {
            if (driver.acceptsURL(settings.url())) {
                Connection connection = driver.connect(settings.url(), settings.properties());
                if (connection != null) {
                    return connection;
                }
            }
        }
        if (settings.url().startsWith("jdbc:snowflake:")) {
            throw new DataException("The Snowflake JDBC driver is not installed: build Kiln with -Psnowflake, or put "
                    + "snowflake-jdbc-4.4.1.jar in " + driversDir + ".");
        }
        throw new DataException("No JDBC driver for " + settings.url().replaceAll("//.*", "//…"));
    }

    /** Drivers on the classpath, then any in the drivers folder (so a 100 MB driver need not ship with Kiln). */
    private List<Driver> drivers() {
        var found = new ArrayList<Driver>();
        ServiceLoader.load(Driver.class).forEach(found::add);
        if (java.nio.file.Files.isDirectory(driversDir)) {
            try (var jars = java.nio.file.Files.list(driversDir)) {
                var urls = jars.filter(p -> p.toString().endsWith(".jar")).map(p -> {
                    try {
                        return p.toUri().toURL();
                    } catch (java.net.MalformedURLException e) {
                        throw new IllegalStateException(e);
                    }
                }).toArray(java.net.URL[]::new);
                ServiceLoader.load(Driver.class, new java.net.URLClassLoader(urls, getClass().getClassLoader()))
                        .forEach(found::add);
            } catch (IOException ignored) {
                // no extra drivers
            }
        }
        return found;
    }

    private static void close(Running query) {
        try {
            if (query.connection != null) {
                query.connection.close();
            }
        } catch (SQLException ignored) {
            // closing is best effort
        }
    }

    @Scheduled(fixedDelay = 60_000)
    void closeIdle() {
        Instant limit = Instant.now().minus(IDLE);
        queries.values().removeIf(q -> {
            if (q.lastUsed.isBefore(limit)) {
                close(q);
                return true;
            }
            return false;
        });
    }
}
