package dev.kiln.server.data;

import dev.kiln.server.config.KilnProperties;
import dev.kiln.server.machine.MachineChannel;
import dev.kiln.server.security.Users;
import dev.kiln.server.studio.StudioAccess;
import dev.kiln.server.studio.StudioAccess.Need;
import dev.kiln.ui.data.StudioData;
import dev.kiln.ui.studio.StudioException;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.stereotype.Service;
import tools.jackson.core.type.TypeReference;
import tools.jackson.databind.json.JsonMapper;

import java.time.Clock;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;

/**
 * A studio's data connections, shared with everyone in the studio: editors add and remove them, anyone who can see
 * the studio may browse and preview through them. The credentials are encrypted at rest ({@link SecretBox}) and are
 * only ever used here, on the server; they are never returned, logged or put in a page.
 */
@Service
public class DataConnections implements StudioData {
    private static final JsonMapper JSON = JsonMapper.shared();
    private static final Set<String> S3_SETTINGS = Set.of("bucket", "region", "endpoint", "pathStyle", "prefix");

    private final JdbcClient jdbc;
    private final StudioAccess access;
    private final SecretBox secrets;
    private final Clock clock;
    private final MachineChannel machines;
    private final Map<String, Map<String, Transfer>> transfers = new java.util.concurrent.ConcurrentHashMap<>();
    private final Set<String> listening = java.util.concurrent.ConcurrentHashMap.newKeySet();

    DataConnections(JdbcClient jdbc, StudioAccess access, KilnProperties properties,
                    @Value("${kiln.secret-key:}") String secretKey, Clock clock, MachineChannel machines) {
        this.jdbc = jdbc;
        this.access = access;
        this.machines = machines;
        this.secrets = SecretBox.fromConfiguration(secretKey, properties.dataDir());
        this.clock = clock;
    }

    @Override
    public List<Connection> connections(String studioId) {
        access.require(studioId, Need.VIEW);
        return jdbc.sql("select id, name, kind, settings, secret, created_by, created_at from data_connection "
                + "where studio_id = ? order by name").param(studioId).query((rs, n) -> new Connection(rs.getString(1),
                rs.getString(2), rs.getString(3), JSON.readValue(rs.getString(4), new TypeReference<>() {}),
                !rs.getString(5).isEmpty(), rs.getString(6), rs.getTimestamp(7).toInstant())).list();
    }

    @Override
    public Connection create(String studioId, NewConnection request) {
        access.require(studioId, Need.EDIT);
        if (request == null || request.name() == null || !request.name().strip().matches("[\\p{L}\\p{N} ._-]{1,100}")) {
            throw new StudioException(StudioException.Kind.INVALID, "Name the connection (letters, digits, spaces, "
                    + ". _ -; up to 100).");
        }
        if ("snowflake".equals(request.kind())) {
            throw new StudioException(StudioException.Kind.INVALID, "Snowflake connections are not built yet; only S3 "
                    + "(and S3-compatible stores) for now.");
        }
        if (!"s3".equals(request.kind())) {
            throw new StudioException(StudioException.Kind.INVALID, "Unknown kind of connection '" + request.kind()
                    + "'. Known: s3.");
        }
        var settings = new LinkedHashMap<String, String>();
        if (request.settings() != null) {
            request.settings().forEach((k, v) -> {
                if (S3_SETTINGS.contains(k) && v != null && !v.isBlank()) {
                    settings.put(k, v.strip());
                }
            });
        }
        if (!settings.getOrDefault("bucket", "").matches("[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]")) {
            throw new StudioException(StudioException.Kind.INVALID, "Give the bucket's name (3-63 lower-case "
                    + "letters, digits, dots and dashes).");
        }
        String id = UUID.randomUUID().toString();
        var secret = request.secret() == null ? Map.<String, String>of() : request.secret();
        String sealed = secret.values().stream().allMatch(v -> v == null || v.isBlank()) ? ""
                : secrets.encrypt(JSON.writeValueAsString(secret), studioId + "/" + id);
        int exists = jdbc.sql("select count(*) from data_connection where studio_id = ? and name = ?")
                .params(studioId, request.name().strip()).query(Integer.class).single();
        if (exists > 0) {
            throw new StudioException(StudioException.Kind.CONFLICT, "This studio already has a connection named '"
                    + request.name().strip() + "'.");
        }
        jdbc.sql("insert into data_connection (id, studio_id, name, kind, settings, secret, created_by, created_at) "
                        + "values (?, ?, ?, ?, ?, ?, ?, ?)")
                .params(id, studioId, request.name().strip(), "s3", JSON.writeValueAsString(settings), sealed,
                        Users.current().displayName(), OffsetDateTime.ofInstant(clock.instant(), ZoneOffset.UTC))
                .update();
        return connections(studioId).stream().filter(c -> c.id().equals(id)).findFirst().orElseThrow();
    }

    @Override
    public void delete(String studioId, String id) {
        access.require(studioId, Need.EDIT);
        if (jdbc.sql("delete from data_connection where studio_id = ? and id = ?").params(studioId, id).update() == 0) {
            throw new StudioException(StudioException.Kind.NOT_FOUND, "No such connection in this studio.");
        }
    }

    @Override
    public String test(String studioId, String id) {
        try (var s3 = open(studioId, id)) {
            return s3.test();
        }
    }

    @Override
    public Page list(String studioId, String id, String prefix, String token, int max) {
        try (var s3 = open(studioId, id)) {
            return s3.list(prefix, token, max);
        }
    }

    @Override
    public Preview preview(String studioId, String id, String key) {
        try (var s3 = open(studioId, id)) {
            return s3.preview(key);
        }
    }

    @Override
    public Transfer download(String studioId, String id, String key) {
        access.require(studioId, Need.EDIT);
        if (!machines.isReady(studioId)) {
            throw new StudioException(StudioException.Kind.CONFLICT, "Start the studio's machine first: downloads go "
                    + "to its ~/data folder.");
        }
        String name = key.substring(key.lastIndexOf('/') + 1);
        if (name.isBlank() || name.equals("..") || name.equals(".")) {
            throw new StudioException(StudioException.Kind.INVALID, "Pick an object, not a folder.");
        }
        S3Browser.Grant grant;
        try (var s3 = open(studioId, id)) {
            grant = s3.presignedDownload(key, java.time.Duration.ofMinutes(30));
        }
        listenTo(studioId);
        String transferId = UUID.randomUUID().toString();
        var transfer = new Transfer(transferId, key, "data/" + name, 0, grant.size(), "RUNNING", null);
        transfers.computeIfAbsent(studioId, s -> new java.util.concurrent.ConcurrentHashMap<>()).put(transferId, transfer);
        if (!machines.send(studioId, Map.of("type", "download", "id", transferId, "url", grant.url(),
                "target", transfer.target(), "size", grant.size()))) {
            update(studioId, transferId, 0, "FAILED", "the machine went away");
        }
        return transfers.get(studioId).get(transferId);
    }

    @Override
    public List<Transfer> transfers(String studioId) {
        access.require(studioId, Need.VIEW);
        return transfers.getOrDefault(studioId, Map.of()).values().stream()
                .sorted(java.util.Comparator.comparing(Transfer::id)).toList();
    }

    /** Streams an upload into the bucket (editors). */
    public void upload(String studioId, String id, String key, java.io.InputStream content, long length) {
        access.require(studioId, Need.EDIT);
        if (key == null || key.isBlank() || key.endsWith("/")) {
            throw new StudioException(StudioException.Kind.INVALID, "Give the object's key, such as data/train.csv.");
        }
        try (var s3 = open(studioId, id)) {
            s3.upload(key, content, length);
        }
    }

    private void listenTo(String studioId) {
        if (listening.add(studioId)) {
            machines.listen(studioId, message -> {
                String type = message.path("type").asString();
                String transferId = message.path("id").asString();
                switch (type) {
                    case "download.progress" -> update(studioId, transferId, message.path("bytes").asLong(), "RUNNING",
                            null);
                    case "download.done" -> update(studioId, transferId, message.path("bytes").asLong(), "DONE", null);
                    case "download.failed" -> update(studioId, transferId, -1, "FAILED",
                            message.path("error").asString());
                    case "machine.lost" -> transfers.getOrDefault(studioId, Map.of()).values().stream()
                            .filter(t -> t.status().equals("RUNNING")).toList()
                            .forEach(t -> update(studioId, t.id(), -1, "FAILED", "the machine stopped"));
                    default -> { }
                }
            });
        }
    }

    private void update(String studioId, String transferId, long bytes, String status, String error) {
        var all = transfers.get(studioId);
        if (all == null) {
            return;
        }
        all.computeIfPresent(transferId, (k, t) -> new Transfer(t.id(), t.key(), t.target(),
                bytes < 0 ? t.bytes() : bytes, t.total(), status, error));
    }

    /** A client for a connection the caller may see, its secret decrypted for this call only. */
    private S3Browser open(String studioId, String id) {
        access.require(studioId, Need.VIEW);
        var row = jdbc.sql("select settings, secret from data_connection where studio_id = ? and id = ?")
                .params(studioId, id).query((rs, n) -> new String[] {rs.getString(1), rs.getString(2)}).optional()
                .orElseThrow(() -> new StudioException(StudioException.Kind.NOT_FOUND, "No such connection in this studio."));
        Map<String, String> settings = JSON.readValue(row[0], new TypeReference<>() {});
        Map<String, String> secret = row[1].isEmpty() ? Map.of()
                : JSON.readValue(secrets.decrypt(row[1], studioId + "/" + id), new TypeReference<>() {});
        return new S3Browser(settings, secret);
    }
}
