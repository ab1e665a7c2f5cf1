package dev.kiln.ui.testing;

import dev.kiln.api.data.StudioData;
import dev.kiln.api.studio.StudioException;

import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Data connections in memory. Refuses what DataConnections refuses (a blank name, an S3 connection without a bucket)
 * and answers Test with the verdict of the stored secret: {@link #goodSecret} connects, any other is wrong credentials.
 */
public final class FakeData implements StudioData {
    private final Instant now;
    private final Map<String, Connection> connections = new LinkedHashMap<>();
    private final Map<String, Map<String, String>> secrets = new LinkedHashMap<>();
    public final List<Entry> objects = new ArrayList<>();
    public String goodSecret = "right-secret";
    public boolean owner = true;
    private int next = 1;

    public FakeData(Instant now) {
        this.now = now;
    }

    @Override
    public List<Connection> connections(String studioId) {
        return List.copyOf(connections.values());
    }

    @Override
    public Connection create(String studioId, NewConnection request) {
        if (request.name() == null || request.name().isBlank()) {
            throw new StudioException(StudioException.Kind.INVALID, "Give the connection a name.");
        }
        if (request.kind().equals("s3") && request.settings().getOrDefault("bucket", "").isBlank()) {
            throw new StudioException(StudioException.Kind.INVALID, "Name the bucket to connect to.");
        }
        var c = new Connection("c" + next++, request.name(), request.kind(), Map.copyOf(request.settings()),
                request.secret().values().stream().anyMatch(v -> !v.isEmpty()), "Ada Lovelace", now,
                Boolean.TRUE.equals(request.forJobs()));
        connections.put(c.id(), c);
        secrets.put(c.id(), request.secret());
        return c;
    }

    @Override
    public Connection update(String studioId, String connectionId, NewConnection request) {
        var old = connections.get(connectionId);
        var c = new Connection(connectionId, request.name(), old.kind(), Map.copyOf(request.settings()), old.hasSecret(),
                old.createdBy(), old.createdAt(), old.forJobs());
        connections.put(connectionId, c);
        return c;
    }

    @Override
    public void delete(String studioId, String connectionId) {
        connections.remove(connectionId);
    }

    @Override
    public String test(String studioId, String connectionId) {
        var secret = secrets.get(connectionId);
        if (!goodSecret.equals(secret.getOrDefault("secretAccessKey", secret.get("password")))) {
            throw new StudioException(StudioException.Kind.INVALID,
                    "The bucket refused the credentials (SignatureDoesNotMatch): check the access key id and secret.");
        }
        return "Connected: the bucket answers and lists " + objects.size() + " objects.";
    }

    @Override
    public Page list(String studioId, String connectionId, String prefix, String token, int max) {
        return new Page(objects.stream().filter(o -> o.key().startsWith(prefix)).toList(), null);
    }

    @Override
    public Preview preview(String studioId, String connectionId, String key) {
        return new Preview(key, 3, "text", "abc", List.of(), false, null);
    }

    @Override
    public Transfer download(String studioId, String connectionId, String key) {
        throw new StudioException(StudioException.Kind.INVALID, "Start the studio's machine first.");
    }

    @Override
    public List<Transfer> transfers(String studioId) {
        return List.of();
    }

    @Override
    public QueryResult runQuery(String studioId, String connectionId, String sql, String editor) {
        return new QueryResult("q1234567890", "READY", List.of("n"), List.of(List.of("1")), 0, false, null, 1);
    }

    @Override
    public Connection shareWithJobs(String studioId, String connectionId, boolean forJobs) {
        var c = connections.get(connectionId);
        var changed = new Connection(c.id(), c.name(), c.kind(), c.settings(), c.hasSecret(), c.createdBy(), c.createdAt(), forJobs);
        connections.put(c.id(), changed);
        return changed;
    }

    @Override
    public boolean mayChooseForJobs(String studioId) {
        return owner;
    }

    @Override
    public QueryResult query(String studioId, String queryId, boolean nextPage) {
        return runQuery(studioId, null, null, null);
    }

    @Override
    public QueryResult cancelQuery(String studioId, String queryId) {
        return new QueryResult(queryId, "CANCELLED", List.of(), List.of(), 0, false, "Cancelled.");
    }

    @Override
    public Transfer exportQuery(String studioId, String queryId, String fileName) {
        throw new UnsupportedOperationException();
    }

    @Override
    public Transfer exportQueryToS3(String studioId, String queryId, String connectionId, String key) {
        throw new UnsupportedOperationException();
    }
}
