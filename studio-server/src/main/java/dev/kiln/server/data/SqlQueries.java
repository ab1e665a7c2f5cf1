package dev.kiln.server.data;

import dev.kiln.api.data.ConnectionKind;
import dev.kiln.api.data.StudioData.QueryResult;
import dev.kiln.api.studio.StudioException;
import jakarta.annotation.PreDestroy;
import org.apache.commons.csv.CSVFormat;
import org.apache.commons.csv.CSVPrinter;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.scheduling.annotation.Scheduled;
import org.springframework.stereotype.Component;

import java.io.IOException;
import java.io.OutputStream;
import java.io.OutputStreamWriter;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;

/**
 * SQL queries through data connections, never loaded whole: a query runs on its own connection in the background,
 * its first page comes back when ready, further pages are read from the open cursor on request, and cancel asks the
 * database to stop. An export re-runs the query and streams every row as CSV or Parquet.
 *
 * <p>Bounded: at most {@code kiln.data.sql.max-per-studio} open connections per studio and
 * {@code kiln.data.sql.max-total} in all (over that, {@link QuerySlots.TooMany}), on a pool of as many threads. The
 * connect, login and socket timeouts are Kiln's, set as driver properties after the URL is parsed (which may not set
 * them), and Kiln enforces the login timeout itself by closing the query's sockets, so a database that accepts and
 * never answers holds a thread for {@code connect-timeout} at most. Cancel asks the database to stop, then after a few
 * seconds closes the sockets: the thread and the connection are free either way. A person's new query in the same
 * editor closes their previous one, and a query nobody read for {@code idle-timeout} is closed.
 */
@Component
class SqlQueries implements dev.kiln.server.studio.StudioScoped {
    static final int PAGE = 100;
    /** How long a cancelled query gets to stop by itself before its sockets are closed under it. */
    private static final Duration CANCEL_GRACE = Duration.ofSeconds(3);

    enum Status { RUNNING, READY, FAILED, CANCELLED }

    private static final class Running {
        final String id;
        final String studioId;
        final String owner;
        final String editor;
        final JdbcSettings settings;
        final String sql;
        final String what;
        volatile Status status = Status.RUNNING;
        volatile String error;
        volatile Statement statement;
        volatile Connection connection;
        volatile boolean slot;
        /** The worker is done with the connection (READY, or ended); a cancel then only closes it. */
        volatile boolean settled;
        ResultSet cursor;
        List<String> columns = List.of();
        List<List<String>> rows = List.of();
        int page;
        boolean more;
        /** Pages read so far, by number, for going back (the cursor only goes forward); the oldest give way. */
        final java.util.TreeMap<Integer, List<List<String>>> read = new java.util.TreeMap<>();
        /** The furthest page read from the cursor. */
        int furthest;
        /** Rows in the whole result once the cursor's end was read (or the update count), else -1. */
        long total = -1;
        volatile Instant lastUsed;

        Running(String id, String studioId, String owner, String editor, JdbcSettings settings, String sql,
                String what, Instant now) {
            this.id = id;
            this.studioId = studioId;
            this.owner = owner;
            this.editor = editor;
            this.settings = settings;
            this.sql = sql;
            this.what = what;
            this.lastUsed = now;
        }
    }

    private final Map<String, Running> queries = new ConcurrentHashMap<>();
    private final JdbcDrivers drivers;
    private final EndpointGuard guard;
    private final Clock clock;
    private final QuerySlots slots;
    private final Duration connectTimeout;
    private final Duration queryTimeout;
    private final Duration idle;
    private final ThreadPoolExecutor executor;
    private final ScheduledExecutorService timers = Executors.newSingleThreadScheduledExecutor(
            Thread.ofPlatform().name("kiln-sql-timer").daemon().factory());

    SqlQueries(JdbcDrivers drivers, EndpointGuard guard, Clock clock,
               @Value("${kiln.data.sql.max-per-studio:4}") int perStudio,
               @Value("${kiln.data.sql.max-total:32}") int total,
               @Value("${kiln.data.sql.connect-timeout:10s}") Duration connectTimeout,
               @Value("${kiln.data.sql.query-timeout:10m}") Duration queryTimeout,
               @Value("${kiln.data.sql.idle-timeout:10m}") Duration idle) {
        this.drivers = drivers;
        this.guard = guard;
        this.clock = clock;
        this.slots = new QuerySlots(perStudio, total);
        this.connectTimeout = connectTimeout;
        this.queryTimeout = queryTimeout;
        this.idle = idle;
        this.executor = new ThreadPoolExecutor(total, total, 30, TimeUnit.SECONDS, new LinkedBlockingQueue<>(),
                Thread.ofPlatform().name("kiln-sql-", 0).daemon().factory());
        this.executor.allowCoreThreadTimeOut(true);
    }

    @PreDestroy
    void stop() {
        queries.values().forEach(this::abort);
        executor.shutdownNow();
        timers.shutdownNow();
    }

    /**
     * Starts a query for {@code owner}. With an {@code editor} (one SQL editor of one person), that person's earlier
     * query in the same editor is closed first. {@code what} names the connection in the server's log.
     */
    QueryResult start(String studioId, String owner, String editor, JdbcSettings settings, String sql, String what) {
        if (sql == null || sql.isBlank()) {
            throw new StudioException(StudioException.Kind.INVALID, "Write a query first.");
        }
        if (editor != null) {
            queries.values().stream().filter(q -> q.studioId.equals(studioId) && q.owner.equals(owner)
                    && editor.equals(q.editor)).toList().forEach(q -> end(q, "Closed: a newer query replaced it"));
        }
        guard.require(what, settings.target());
        slots.acquire(studioId);
        var query = new Running(UUID.randomUUID().toString(), studioId, owner, editor, settings, sql, what,
                clock.instant());
        query.slot = true;
        queries.put(query.id, query);
        executor.execute(() -> run(query));
        return result(query);
    }

    private void run(Running query) {
        try {
            Connection connection = open(query.settings, query.id, query.what);
            query.connection = connection;
            if (query.status != Status.RUNNING) {
                return;
            }
            // A cursor, not the whole result: PostgreSQL streams only outside autocommit with a fetch size.
            connection.setAutoCommit(false);
            connection.setReadOnly(true);
            Statement statement = connection.createStatement(ResultSet.TYPE_FORWARD_ONLY, ResultSet.CONCUR_READ_ONLY);
            statement.setFetchSize(PAGE * 5);
            statement.setQueryTimeout((int) Math.max(1, queryTimeout.toSeconds()));
            query.statement = statement;
            // The database may not honour the statement timeout (or never answer the cancel): then the sockets go.
            var stuck = timers.schedule(() -> {
                if (query.status == Status.RUNNING && !query.settled) {
                    synchronized (query) {
                        query.status = Status.FAILED;
                        query.error = "The query ran longer than " + queryTimeout.toMinutes() + " minutes "
                                + "(kiln.data.sql.query-timeout) and was stopped.";
                    }
                    Thread.ofVirtual().name("kiln-sql-abort").start(() -> abort(query));
                }
            }, queryTimeout.plus(CANCEL_GRACE).toMillis(), TimeUnit.MILLISECONDS);
            try {
                if (statement.execute(query.sql)) {
                    query.cursor = statement.getResultSet();
                    var meta = query.cursor.getMetaData();
                    var columns = new ArrayList<String>();
                    for (int i = 1; i <= meta.getColumnCount(); i++) {
                        columns.add(meta.getColumnLabel(i));
                    }
                    synchronized (query) {
                        if (query.status != Status.RUNNING) {
                            return;
                        }
                        query.columns = columns;
                        readPage(query);
                    }
                } else {
                    query.columns = List.of("updated rows");
                    query.rows = List.of(List.of(String.valueOf(statement.getUpdateCount())));
                    query.total = 1;
                    close(query);
                }
            } finally {
                stuck.cancel(false);
            }
            synchronized (query) {
                if (query.status == Status.RUNNING) {
                    query.status = Status.READY;
                }
            }
        } catch (SQLException e) {
            fail(query, words(query.what, e));
        } catch (DataException e) {
            fail(query, e.getMessage());
        } catch (RuntimeException e) {
            fail(query, "The query failed: " + e);
        } finally {
            query.settled = true;
            if (query.status != Status.READY) {
                close(query);
            }
        }
    }

    /**
     * Opens a connection with Kiln's timeouts and, for PostgreSQL, sockets that check where they connect
     * ({@link CheckedSocketFactory}) under {@code token}. The login is bounded here, not by the driver: after
     * {@code connect-timeout} the sockets close, so the call returns even if the server never says a word.
     */
    private Connection open(JdbcSettings settings, String token, String what) throws SQLException {
        var driver = drivers.forKind(settings.kind());
        var properties = new Properties();
        properties.putAll(settings.properties());
        long connectSeconds = Math.max(1, connectTimeout.toSeconds());
        long socketSeconds = queryTimeout.plus(Duration.ofSeconds(30)).toSeconds();
        if (ConnectionKind.POSTGRESQL.is(settings.kind())) {
            properties.put("socketFactory", CheckedSocketFactory.class.getName());
            properties.put("socketFactoryArg", token);
            properties.put("connectTimeout", String.valueOf(connectSeconds));
            properties.put("loginTimeout", "0"); // Kiln's own, below: the driver's runs in a thread of its own
            properties.put("socketTimeout", String.valueOf(socketSeconds));
            properties.put("cancelSignalTimeout", String.valueOf(CANCEL_GRACE.toSeconds()));
            properties.put("tcpKeepAlive", "true");
            // Never the server's own client certificate (~/.postgresql/postgresql.crt) or Kerberos identity.
            properties.put("sslcert", "/nonexistent/kiln-sends-no-client-certificate.crt");
            properties.put("sslkey", "/nonexistent/kiln-sends-no-client-certificate.key");
            properties.put("gssEncMode", "disable");
        } else {
            properties.put("loginTimeout", String.valueOf(connectSeconds));
            properties.put("networkTimeout", String.valueOf(socketSeconds * 1000));
        }
        var lease = CheckedSocketFactory.lease(token, guard.policy());
        var login = timers.schedule(lease::closeAll, connectTimeout.toMillis(), TimeUnit.MILLISECONDS);
        try {
            Connection connection = driver.connect(settings.url(), properties);
            if (connection == null) {
                throw new DataException("The " + settings.kind() + " driver does not take this URL.");
            }
            return connection;
        } catch (SQLException | RuntimeException e) {
            CheckedSocketFactory.release(token);
            throw e;
        } finally {
            login.cancel(false);
        }
    }

    /** The database's own words for an error it gave; one sentence for every failure to reach it. */
    private String words(String what, SQLException e) {
        String state = e.getSQLState() == null ? "" : e.getSQLState();
        boolean network = state.startsWith("08");
        for (Throwable t = e; t != null && !network; t = t.getCause()) {
            network = t instanceof java.net.SocketException || t instanceof java.net.SocketTimeoutException
                    || t instanceof java.net.UnknownHostException || t instanceof java.io.EOFException;
        }
        return network ? guard.unreachable(what, e).getMessage() : e.getMessage();
    }

    /** The query ends with {@code error}, and its connection is released. */
    private void fail(Running query, String error) {
        synchronized (query) {
            if (query.status == Status.RUNNING || query.status == Status.READY) {
                query.status = Status.FAILED;
                query.error = error;
            }
        }
        close(query);
    }

    QueryResult get(String studioId, String id) {
        return result(find(studioId, id));
    }

    /** The next page: one read before (after going back), else from the open cursor. */
    QueryResult next(String studioId, String id) {
        Running query = find(studioId, id);
        synchronized (query) {
            if (query.status == Status.READY && query.page < query.furthest && query.read.containsKey(query.page + 1)) {
                query.page++;
                query.rows = query.read.get(query.page);
                query.more = query.page < query.furthest || query.total < 0;
            } else if (query.status == Status.READY && query.more) {
                try {
                    query.page++;
                    readPage(query);
                } catch (SQLException e) {
                    fail(query, words(query.what, e));
                }
            }
        }
        return result(query);
    }

    /** The page before, from the pages kept ({@link #KEPT_PAGES} at most); the same page when there is none. */
    QueryResult previous(String studioId, String id) {
        Running query = find(studioId, id);
        synchronized (query) {
            if (query.page > 0 && query.read.containsKey(query.page - 1)) {
                query.page--;
                query.rows = query.read.get(query.page);
                query.more = true;
            }
        }
        return result(query);
    }

    /** Pages kept for going back: 50 pages of 100 rows. */
    static final int KEPT_PAGES = 50;

    QueryResult cancel(String studioId, String id) {
        Running query = find(studioId, id);
        if (query.status == Status.RUNNING) {
            end(query, "Cancelled");
        }
        return result(query);
    }

    @Override
    public java.util.Set<String> liveStudios() {
        return queries.values().stream().map(q -> q.studioId).collect(java.util.stream.Collectors.toSet());
    }

    /** A deleted studio's queries stop (their connections close) and their pages are forgotten. */
    @Override
    public void release(String studioId) {
        for (Running query : List.copyOf(queries.values())) {
            if (query.studioId.equals(studioId)) {
                end(query, "The studio was deleted");
                queries.remove(query.id);
            }
        }
    }

    /** Forgets a query at once (a connection test), closing whatever it holds. */
    void discard(String studioId, String id) {
        Running query = find(studioId, id);
        end(query, "Closed");
        queries.remove(id);
    }

    /**
     * Ends a query: a running one is asked to stop (the database's cancel), and if its thread has not let go after
     * {@link #CANCEL_GRACE}, its sockets are closed under it; a ready one's cursor and connection close now.
     */
    private void end(Running query, String why) {
        synchronized (query) {
            if (query.status != Status.RUNNING && query.status != Status.READY) {
                return;
            }
            query.status = Status.CANCELLED;
            query.error = why;
        }
        if (query.settled) {
            close(query);
            return;
        }
        Statement statement = query.statement;
        if (statement == null) {
            CheckedSocketFactory.release(query.id); // still connecting: nothing to cancel, so the sockets go now
        } else {
            Thread.ofVirtual().name("kiln-sql-cancel").start(() -> {
                try {
                    statement.cancel();
                } catch (SQLException | RuntimeException ignored) {
                    // the sockets close below if the database did not listen
                }
            });
        }
        timers.schedule(() -> {
            if (!query.settled) {
                Thread.ofVirtual().name("kiln-sql-abort").start(() -> abort(query));
            }
        }, CANCEL_GRACE.toMillis(), TimeUnit.MILLISECONDS);
    }

    /** Pulls the plug: the query's sockets close, which frees a thread blocked on them whatever the server does. */
    private void abort(Running query) {
        CheckedSocketFactory.release(query.id);
        Connection connection = query.connection;
        if (connection != null) {
            try {
                connection.abort(Runnable::run);
            } catch (SQLException | RuntimeException ignored) {
                // closed below
            }
        }
        close(query);
    }

    /** What an export writes: CSV (header first) or Parquet (typed columns, see {@link ParquetRowWriter}). */
    enum Format {
        CSV, PARQUET;

        static Format ofFileName(String name) {
            return name.toLowerCase(java.util.Locale.ROOT).endsWith(".parquet") ? PARQUET : CSV;
        }
    }

    /**
     * Runs the query again and writes every row, streaming; never holds the result. It takes a slot like a query.
     * Returns the rows written.
     */
    long export(String studioId, String id, Format format, OutputStream out) throws IOException {
        Running query = find(studioId, id);
        guard.require(query.what, query.settings.target());
        slots.acquire(studioId);
        String token = UUID.randomUUID().toString();
        try (Connection connection = open(query.settings, token, query.what)) {
            connection.setAutoCommit(false);
            connection.setReadOnly(true);
            try (Statement statement = connection.createStatement(ResultSet.TYPE_FORWARD_ONLY, ResultSet.CONCUR_READ_ONLY)) {
                statement.setFetchSize(1000);
                try (ResultSet rows = statement.executeQuery(query.sql)) {
                    return format == Format.PARQUET ? writeParquet(rows, out) : writeCsv(rows, out);
                }
            }
        } catch (SQLException e) {
            throw new DataException("The export failed: " + words(query.what, e));
        } finally {
            CheckedSocketFactory.release(token);
            slots.release(studioId);
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
        query.read.put(query.page, rows);
        query.furthest = query.page;
        while (query.read.size() > KEPT_PAGES) {
            query.read.pollFirstEntry();
        }
        query.lastUsed = clock.instant();
        if (!query.more) {
            query.total = (long) query.page * PAGE + rows.size(); // the end: now the count is known for free
            close(query);
        }
    }

    private Running find(String studioId, String id) {
        Running query = id == null ? null : queries.get(id);
        if (query == null || !query.studioId.equals(studioId)) {
            throw new StudioException(StudioException.Kind.NOT_FOUND, "No such query (queries close after "
                    + idle.toMinutes() + " minutes without use).");
        }
        query.lastUsed = clock.instant();
        return query;
    }

    private static QueryResult result(Running q) {
        return new QueryResult(q.id, q.status.name(), q.columns, q.rows, q.page, q.more, q.error, q.total);
    }

    /** Closes the query's connection (once) and gives its slot back. */
    private void close(Running query) {
        Connection connection;
        boolean slot;
        synchronized (query) {
            connection = query.connection;
            query.connection = null;
            slot = query.slot;
            query.slot = false;
        }
        try {
            if (connection != null) {
                connection.close();
            }
        } catch (SQLException | RuntimeException ignored) {
            // closing is best effort; the sockets go below
        }
        CheckedSocketFactory.release(query.id);
        if (slot) {
            slots.release(query.studioId);
        }
    }

    /** Open connections: this studio's, and in all (for tests and health). */
    int open(String studioId) {
        return slots.inUse(studioId);
    }

    int open() {
        return slots.inUse();
    }

    @Scheduled(fixedDelay = 60_000)
    void closeIdle() {
        closeIdle(clock.instant());
    }

    /** Closes and forgets every query nobody has read since {@code now - idle-timeout}. */
    void closeIdle(Instant now) {
        Instant limit = now.minus(idle);
        queries.values().removeIf(q -> {
            if (q.lastUsed.isBefore(limit)) {
                end(q, "Closed after " + idle.toMinutes() + " minutes without use");
                if (q.settled) {
                    close(q);
                }
                return true;
            }
            return false;
        });
    }
}
