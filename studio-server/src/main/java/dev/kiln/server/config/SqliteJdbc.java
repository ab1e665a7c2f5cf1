package dev.kiln.server.config;

import org.springframework.jdbc.datasource.DelegatingDataSource;

import javax.sql.DataSource;
import java.lang.reflect.InvocationHandler;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.lang.reflect.Proxy;
import java.sql.CallableStatement;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.SQLIntegrityConstraintViolationException;
import java.sql.Statement;
import java.sql.Timestamp;
import java.time.Instant;
import java.time.LocalDateTime;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.time.temporal.ChronoUnit;
import java.util.Set;

/**
 * What SQLite lacks that Kiln's SQL (written for PostgreSQL, and H2 before) relies on, supplied in one place so the
 * repositories stay the same on every database:
 * <ul>
 *   <li>Time. SQLite has no timestamp type, and its driver would store {@code OffsetDateTime.toString()}, whose
 *       width varies, so {@code expires_at > :now} and {@code order by} would compare text wrongly. Instants are
 *       stored as fixed-width UTC text ({@code 2026-12-01T09:21:53.511102Z}), which sorts and compares like time,
 *       and read back as {@code OffsetDateTime}, {@code Instant} or {@code Timestamp}.</li>
 *   <li>Constraint errors. The driver reports every constraint as code 19 without an SQL state; they are given the
 *       standard states (23505 for a duplicate key...), so Spring translates them as on PostgreSQL
 *       ({@code DuplicateKeyException} and so on).</li>
 * </ul>
 */
final class SqliteJdbc {

    static final DateTimeFormatter INSTANT = DateTimeFormatter.ofPattern("uuuu-MM-dd'T'HH:mm:ss.SSSSSS'Z'").withZone(ZoneOffset.UTC);

    private static final Set<Class<?>> TIME_TYPES = Set.of(OffsetDateTime.class, Instant.class, Timestamp.class,
            ZonedDateTime.class, LocalDateTime.class);

    private SqliteJdbc() {
    }

    /** A data source whose connections speak the conventions above. */
    static DataSource adapt(DataSource sqlite) {
        return new DelegatingDataSource(sqlite) {
            @Override
            public Connection getConnection() throws SQLException {
                return wrap(Connection.class, super.getConnection(), null);
            }

            @Override
            public Connection getConnection(String username, String password) throws SQLException {
                return wrap(Connection.class, super.getConnection(username, password), null);
            }
        };
    }

    /** The stored form of a point in time, or null when {@code value} is not one. */
    static String stored(Object value) {
        if (value == null) {
            return null;
        }
        Instant instant = switch (value) {
            case OffsetDateTime t -> t.toInstant();
            case ZonedDateTime t -> t.toInstant();
            case Instant t -> t;
            case Timestamp t -> t.toInstant();
            case LocalDateTime t -> t.toInstant(ZoneOffset.UTC);
            default -> null;
        };
        return instant == null ? null : INSTANT.format(instant.truncatedTo(ChronoUnit.MICROS));
    }

    /** Reads a stored point in time (also SQLite's own {@code 2026-12-01 09:21:53} and epoch milliseconds). */
    static Instant instant(String text) {
        if (text == null) {
            return null;
        }
        if (text.matches("-?\\d+")) {
            return Instant.ofEpochMilli(Long.parseLong(text));
        }
        if (text.length() >= 19 && text.charAt(10) == ' ') {
            text = text.substring(0, 10) + 'T' + text.substring(11);
        }
        if (text.endsWith("Z") || text.matches(".*[+-]\\d\\d:\\d\\d$")) {
            return OffsetDateTime.parse(text).toInstant();
        }
        return LocalDateTime.parse(text).toInstant(ZoneOffset.UTC);
    }

    @SuppressWarnings("unchecked")
    private static <T> T wrap(Class<T> type, T target, Object parent) {
        return (T) Proxy.newProxyInstance(SqliteJdbc.class.getClassLoader(), new Class<?>[] {type},
                new Adapter(target, type, parent));
    }

    private record Adapter(Object target, Class<?> type, Object parent) implements InvocationHandler {

        @Override
        public Object invoke(Object proxy, Method method, Object[] args) throws Throwable {
            var name = method.getName();
            if (name.equals("unwrap") && args != null && args[0] instanceof Class<?> wanted && wanted.isInstance(proxy)) {
                return proxy;
            }
            if (name.equals("isWrapperFor") && args != null && args[0] instanceof Class<?> wanted && wanted.isInstance(proxy)) {
                return true;
            }
            if (name.equals("getConnection") && parent != null && (args == null || args.length == 0)) {
                return parent instanceof Connection ? parent : invokeTarget(method, args);
            }
            if (name.equals("getStatement") && target instanceof ResultSet && parent != null) {
                return parent;
            }
            if (target instanceof PreparedStatement statement && args != null && args.length >= 2 && args[0] instanceof Integer index) {
                if ((name.equals("setObject") || name.equals("setTimestamp")) && stored(args[1]) != null) {
                    statement.setString(index, stored(args[1]));
                    return null;
                }
            }
            if (target instanceof ResultSet rows && args != null && args.length >= 1) {
                if (name.equals("getObject") && args.length == 2 && args[1] instanceof Class<?> wanted && TIME_TYPES.contains(wanted)) {
                    return time(column(rows, args[0]), wanted);
                }
                if (name.equals("getTimestamp")) {
                    return time(column(rows, args[0]), Timestamp.class);
                }
            }
            var result = invokeTarget(method, args);
            return switch (result) {
                case CallableStatement s when method.getReturnType() == CallableStatement.class -> wrap(CallableStatement.class, s, proxy);
                case PreparedStatement s when method.getReturnType() == PreparedStatement.class -> wrap(PreparedStatement.class, s, proxy);
                case Statement s when method.getReturnType() == Statement.class -> wrap(Statement.class, s, proxy);
                case ResultSet r when method.getReturnType() == ResultSet.class -> wrap(ResultSet.class, r, proxy);
                case null, default -> result;
            };
        }

        private Object invokeTarget(Method method, Object[] args) throws Throwable {
            try {
                return method.invoke(target, args);
            } catch (InvocationTargetException e) {
                throw e.getCause() instanceof SQLException sql ? withState(sql) : e.getCause();
            }
        }

        private static String column(ResultSet rows, Object column) throws SQLException {
            return column instanceof Integer index ? rows.getString(index) : rows.getString((String) column);
        }

        private static Object time(String text, Class<?> wanted) {
            var instant = instant(text);
            if (instant == null) {
                return null;
            }
            if (wanted == Instant.class) {
                return instant;
            }
            if (wanted == Timestamp.class) {
                return Timestamp.from(instant);
            }
            if (wanted == ZonedDateTime.class) {
                return instant.atZone(ZoneOffset.UTC);
            }
            if (wanted == LocalDateTime.class) {
                return LocalDateTime.ofInstant(instant, ZoneOffset.UTC);
            }
            return instant.atOffset(ZoneOffset.UTC);
        }

        /** SQLite's constraint failures as the SQL states other databases report. */
        private static SQLException withState(SQLException e) {
            if (!(e instanceof org.sqlite.SQLiteException sqlite) || e.getSQLState() != null) {
                return e;
            }
            var code = sqlite.getResultCode().name();
            String state = switch (code) {
                case "SQLITE_CONSTRAINT_UNIQUE", "SQLITE_CONSTRAINT_PRIMARYKEY" -> "23505";
                case "SQLITE_CONSTRAINT_FOREIGNKEY" -> "23503";
                case "SQLITE_CONSTRAINT_NOTNULL" -> "23502";
                case "SQLITE_CONSTRAINT_CHECK" -> "23514";
                default -> code.startsWith("SQLITE_CONSTRAINT") ? "23000" : null;
            };
            return state == null ? e : new SQLIntegrityConstraintViolationException(e.getMessage(), state, e.getErrorCode(), e);
        }
    }
}
