package dev.kiln.api.data;

/**
 * The kinds of data connections. The {@link #id()} is what the database, the REST API and
 * {@link StudioData.Connection#kind()} carry ("s3"); the {@link #label()} is how people write it ("PostgreSQL").
 */
public enum ConnectionKind {
    /** An S3 bucket, or an S3-compatible store: browsed, previewed, downloaded onto the machine. */
    S3("s3", "S3"),
    /** A Snowflake warehouse, queried with SQL (its JDBC driver from the data directory or the build). */
    SNOWFLAKE("snowflake", "Snowflake"),
    /** A PostgreSQL database, queried with SQL. */
    POSTGRESQL("postgresql", "PostgreSQL");

    private final String id;
    private final String label;

    ConnectionKind(String id, String label) {
        this.id = id;
        this.label = label;
    }

    public String id() {
        return id;
    }

    public String label() {
        return label;
    }

    /** Whether connections of this kind are queried with SQL. */
    public boolean sql() {
        return this != S3;
    }

    /** Whether {@code id} names this kind (false for null). */
    public boolean is(String id) {
        return this.id.equals(id);
    }

    /** The label of a kind's id, or the id itself when Kiln does not know it. */
    public static String label(String id) {
        for (ConnectionKind kind : values()) {
            if (kind.is(id)) {
                return kind.label;
            }
        }
        return id;
    }
}
