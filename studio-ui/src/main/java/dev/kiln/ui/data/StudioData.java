package dev.kiln.ui.data;

import java.time.Instant;
import java.util.List;
import java.util.Map;

/** A studio's data connections as the studio view uses them (implemented by the server's DataConnections). */
public interface StudioData {

    List<Connection> connections(String studioId);

    Connection create(String studioId, NewConnection request);

    void delete(String studioId, String connectionId);

    /** A verdict in a sentence ("Connected: ..."); a refusal throws with the reason. */
    String test(String studioId, String connectionId);

    Page list(String studioId, String connectionId, String prefix, String token, int max);

    Preview preview(String studioId, String connectionId, String key);

    /** Starts downloading an object onto the studio's machine, into {@code ~/data/<name>}. */
    Transfer download(String studioId, String connectionId, String key);

    /** Downloads of this studio since the server started, newest first. */
    java.util.List<Transfer> transfers(String studioId);

    /** A download to the machine: bytes so far of total (-1 when unknown), RUNNING, DONE or FAILED with why. */
    record Transfer(String id, String key, String target, long bytes, long total, String status, String error) {}

    /** A connection as shown: no secret, only whether one is stored. */
    record Connection(String id, String name, String kind, Map<String, String> settings, boolean hasSecret,
                      String createdBy, Instant createdAt) {}

    /** What a user enters. {@code secret}: accessKeyId and secretAccessKey for S3 (empty: the machine's identity). */
    record NewConnection(String name, String kind, Map<String, String> settings, Map<String, String> secret) {}

    record Entry(String key, boolean folder, long size, String lastModified) {}

    record Page(List<Entry> entries, String nextToken) {}

    /** The first bytes of an object: text, or CSV rows, or a note when that kind cannot be previewed. */
    record Preview(String key, long size, String kind, String text, List<List<String>> rows, boolean truncated,
                   String note) {}
}
