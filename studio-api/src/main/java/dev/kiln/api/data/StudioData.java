package dev.kiln.api.data;

import java.time.Instant;
import java.util.List;
import java.util.Map;

/** A studio's data connections as the studio view uses them (implemented by the server's DataConnections). */
public interface StudioData {

    List<Connection> connections(String studioId);

    Connection create(String studioId, NewConnection request);

    /**
     * Changes a connection's name and settings; a non-empty {@code secret} replaces the stored one (rotates it), an
     * empty one keeps it. The kind stays; {@code forJobs} is ignored here (see {@link #shareWithJobs}).
     */
    Connection update(String studioId, String connectionId, NewConnection request);

    void delete(String studioId, String connectionId);

    /** A verdict in a sentence ("Connected: ..."); a refusal throws with the reason. */
    String test(String studioId, String connectionId);

    Page list(String studioId, String connectionId, String prefix, String token, int max);

    Preview preview(String studioId, String connectionId, String key);

    /** Starts downloading an object onto the studio's machine, into {@code ~/data/<name>}. */
    Transfer download(String studioId, String connectionId, String key);

    /** Downloads of this studio since the server started, newest first. */
    java.util.List<Transfer> transfers(String studioId);

    /**
     * Starts a SQL query through a database connection; poll {@link #query} for its first page. {@code editor} names
     * one SQL editor of the caller (any string; null for none): their previous query in it is closed first.
     */
    QueryResult runQuery(String studioId, String connectionId, String sql, String editor);

    /** Whether jobs of the studio receive this connection (the owner decides; off for a new connection). */
    Connection shareWithJobs(String studioId, String connectionId, boolean forJobs);

    /** Whether the caller may choose which connections jobs receive (the studio's owner). */
    boolean mayChooseForJobs(String studioId);

    /** The query's state and current page, or with {@code nextPage} the next page from its open cursor. */
    QueryResult query(String studioId, String queryId, boolean nextPage);

    /** The page before the one shown, from the pages already read (the cursor only goes forward). */
    default QueryResult previousPage(String studioId, String queryId) {
        return query(studioId, queryId, false);
    }

    QueryResult cancelQuery(String studioId, String queryId);

    /** Streams the query's whole result onto the machine, into {@code ~/data/<fileName>}: Parquet for .parquet, else CSV. */
    Transfer exportQuery(String studioId, String queryId, String fileName);

    /** Streams the query's whole result into an S3 connection's bucket under {@code key} (multipart upload). */
    Transfer exportQueryToS3(String studioId, String queryId, String connectionId, String key);

    /**
     * A query: RUNNING, READY, FAILED or CANCELLED; one page of rows (page 0 first) and whether more follow;
     * {@code total}: how many rows the result has, once that is known without reading it all again (its end was
     * read, or the database said), else -1.
     */
    record QueryResult(String id, String status, List<String> columns, List<List<String>> rows, int page, boolean more,
                       String error, long total) {
        public QueryResult(String id, String status, List<String> columns, List<List<String>> rows, int page,
                           boolean more, String error) {
            this(id, status, columns, rows, page, more, error, -1);
        }
    }

    /**
     * A download to the machine or an export to S3 (target s3://...): bytes so far of total (-1 when unknown),
     * RUNNING, DONE or FAILED with why.
     */
    record Transfer(String id, String key, String target, long bytes, long total, String status, String error) {}

    /** A connection as shown: no secret, only whether one is stored; and whether jobs receive it. */
    record Connection(String id, String name, String kind, Map<String, String> settings, boolean hasSecret,
                      String createdBy, Instant createdAt, boolean forJobs) {}

    /**
     * What a user enters. {@code secret}: accessKeyId and secretAccessKey for S3 (empty: the server's identity, where
     * an admin allows it). {@code forJobs}: whether jobs receive it (null: no; only the owner may say yes).
     */
    record NewConnection(String name, String kind, Map<String, String> settings, Map<String, String> secret,
                         Boolean forJobs) {}

    record Entry(String key, boolean folder, long size, String lastModified) {}

    record Page(List<Entry> entries, String nextToken) {}

    /** The first bytes of an object: text, or CSV rows, or a note when that kind cannot be previewed. */
    record Preview(String key, long size, String kind, String text, List<List<String>> rows, boolean truncated,
                   String note) {}
}
