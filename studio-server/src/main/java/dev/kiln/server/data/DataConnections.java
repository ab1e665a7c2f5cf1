package dev.kiln.server.data;

import dev.kiln.api.data.ConnectionKind;
import dev.kiln.machine.protocol.FromMachine;
import dev.kiln.machine.protocol.ToMachine;

import dev.kiln.server.config.KilnProperties;
import dev.kiln.server.machine.MachineChannel;
import dev.kiln.server.security.Users;
import dev.kiln.server.studio.StudioAccess;
import dev.kiln.server.studio.StudioAccess.Need;
import dev.kiln.api.data.StudioData;
import dev.kiln.api.studio.StudioException;
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
public class DataConnections implements StudioData, dev.kiln.server.studio.StudioScoped {
    private static final JsonMapper JSON = JsonMapper.shared();
    private static final Map<String, Set<String>> SETTINGS = Map.of(
            ConnectionKind.S3.id(), Set.of("bucket", "region", "endpoint", "pathStyle", "prefix"),
            ConnectionKind.SNOWFLAKE.id(), Set.of("account", "user", "warehouse", "database", "schema", "role"),
            ConnectionKind.POSTGRESQL.id(), Set.of("url", "user"));

    private final JdbcClient jdbc;
    private final StudioAccess access;
    private final SecretBox secrets;
    private final Clock clock;
    private final MachineChannel machines;
    private final SqlQueries queries;
    private final JobCredentials jobCredentials;
    private final EndpointGuard guard;
    private final ServerRole serverRole;
    private final SecretMasks masks;
    private final java.time.Duration jobTtl;
    private final Map<String, Map<String, Transfer>> transfers = new java.util.concurrent.ConcurrentHashMap<>();

    DataConnections(JdbcClient jdbc, StudioAccess access, KilnProperties properties,
                    @Value("${kiln.secret-key:}") String secretKey, Clock clock, MachineChannel machines,
                    SqlQueries queries, @Value("${kiln.data.job-credentials-ttl:PT12H}") java.time.Duration jobTtl,
                    EndpointGuard guard, ServerRole serverRole, SecretMasks masks) {
        this.jobCredentials = new JobCredentials(JobCredentials.AWS_STS, jobTtl, clock);
        this.jdbc = jdbc;
        this.queries = queries;
        this.access = access;
        this.machines = machines;
        followDownloads();
        this.secrets = SecretBox.fromConfiguration(secretKey, properties.dataDir());
        this.clock = clock;
        this.guard = guard;
        this.serverRole = serverRole;
        this.masks = masks;
        this.jobTtl = jobTtl;
        masks.loadFrom(this::secretValues);
    }

    @Override
    public List<Connection> connections(String studioId) {
        access.require(studioId, Need.VIEW);
        return jdbc.sql("select id, name, kind, settings, secret, created_by, created_at, for_jobs from data_connection "
                + "where studio_id = ? order by name").param(studioId).query((rs, n) -> new Connection(rs.getString(1),
                rs.getString(2), rs.getString(3), JSON.readValue(rs.getString(4), new TypeReference<>() {}),
                !rs.getString(5).isEmpty(), rs.getString(6), rs.getTimestamp(7).toInstant(), rs.getBoolean(8)))
                .list();
    }

    @Override
    public Connection create(String studioId, NewConnection request) {
        access.require(studioId, Need.EDIT);
        boolean forJobs = request != null && Boolean.TRUE.equals(request.forJobs());
        if (forJobs && !mayChooseForJobs(studioId)) {
            throw new StudioException(StudioException.Kind.FORBIDDEN, "Only the studio's owner chooses which "
                    + "connections jobs receive; add it without, and ask the owner.");
        }
        String id = UUID.randomUUID().toString();
        var checked = check(studioId, null, request, Map.of());
        String sealed = checked.secret().values().stream().allMatch(v -> v == null || v.isBlank()) ? ""
                : secrets.encrypt(JSON.writeValueAsString(checked.secret()), studioId + "/" + id);
        jdbc.sql("insert into data_connection (id, studio_id, name, kind, settings, secret, created_by, created_at, "
                        + "for_jobs) values (?, ?, ?, ?, ?, ?, ?, ?, ?)")
                .params(id, studioId, checked.name(), request.kind(), JSON.writeValueAsString(checked.settings()),
                        sealed, Users.current().displayName(),
                        OffsetDateTime.ofInstant(clock.instant(), ZoneOffset.UTC), forJobs)
                .update();
        masks.forget(studioId);
        return connections(studioId).stream().filter(c -> c.id().equals(id)).findFirst().orElseThrow();
    }

    /**
     * Changes a connection: its name and settings as given (the same checks as a new one), and its secret only when
     * a new one is given (to rotate it); an empty secret keeps the stored one. The kind cannot change.
     */
    @Override
    public Connection update(String studioId, String id, NewConnection request) {
        access.require(studioId, Need.EDIT);
        Stored stored = stored(studioId, id);
        if (request == null || request.kind() == null || !request.kind().equals(stored.kind())) {
            throw new StudioException(StudioException.Kind.INVALID, "A connection keeps its kind ("
                    + ConnectionKind.label(stored.kind()) + "); add a new connection for another kind.");
        }
        // What is typed replaces what is stored, field by field: a new secret key with the same key id rotates it.
        var secret = new LinkedHashMap<>(stored.secret());
        if (request.secret() != null) {
            request.secret().forEach((k, v) -> {
                if (v != null && !v.isBlank()) {
                    secret.put(k, v);
                }
            });
        }
        var checked = check(studioId, id, request, secret);
        String sealed = checked.secret().values().stream().allMatch(v -> v == null || v.isBlank()) ? ""
                : secrets.encrypt(JSON.writeValueAsString(checked.secret()), studioId + "/" + id);
        jdbc.sql("update data_connection set name = ?, settings = ?, secret = ? where studio_id = ? and id = ?")
                .params(checked.name(), JSON.writeValueAsString(checked.settings()), sealed, studioId, id).update();
        masks.forget(studioId); // the old secret is masked no longer; the new one is
        return connections(studioId).stream().filter(c -> c.id().equals(id)).findFirst().orElseThrow();
    }

    private record Checked(String name, Map<String, String> settings, Map<String, String> secret) {}

    /**
     * The checks a new or changed connection passes: a name unique in the studio, a known kind and its settings, a
     * bucket or database this server may reach. {@code kept}: an edit's secret (the stored one, with what was typed).
     */
    private Checked check(String studioId, String id, NewConnection request, Map<String, String> kept) {
        if (request == null || request.name() == null || !request.name().strip().matches("[\\p{L}\\p{N} ._-]{1,100}")) {
            throw new StudioException(StudioException.Kind.INVALID, "Name the connection (letters, digits, spaces, "
                    + ". _ -; up to 100).");
        }
        String name = request.name().strip();
        Set<String> allowed = SETTINGS.get(request.kind() == null ? "" : request.kind());
        if (allowed == null) {
            throw new StudioException(StudioException.Kind.INVALID, "Unknown kind of connection '" + request.kind()
                    + "'. Known: s3 (Amazon S3 and S3-compatible stores), snowflake, postgresql.");
        }
        var settings = new LinkedHashMap<String, String>();
        if (request.settings() != null) {
            request.settings().forEach((k, v) -> {
                if (allowed.contains(k) && v != null && !v.isBlank()) {
                    settings.put(k, v.strip());
                }
            });
        }
        var secret = id != null ? kept : request.secret() == null ? Map.<String, String>of() : request.secret();
        String what = "studio " + studioId + ", " + (id == null ? "new connection" : "connection") + " '" + name + "'";
        if (ConnectionKind.S3.is(request.kind())) {
            if (!settings.getOrDefault("bucket", "").matches("[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]")) {
                throw new StudioException(StudioException.Kind.INVALID, "Give the bucket's name (3-63 lower-case "
                        + "letters, digits, dots and dashes).");
            }
            EndpointGuard.Target target;
            try {
                target = EndpointGuard.s3(settings);
            } catch (DataException e) {
                throw new StudioException(StudioException.Kind.INVALID, e.getMessage());
            }
            if (secret.getOrDefault("accessKeyId", "").isBlank()) {
                String refusal = serverRole.refusal(settings.get("bucket"));
                if (refusal != null) {
                    throw new StudioException(StudioException.Kind.INVALID, refusal);
                }
            }
            guard.checkOnAdd(what, target);
        } else {
            JdbcSettings jdbcSettings;
            try {
                jdbcSettings = JdbcSettings.of(request.kind(), settings, secret);
            } catch (DataException e) {
                throw new StudioException(StudioException.Kind.INVALID, e.getMessage());
            }
            guard.checkOnAdd(what, jdbcSettings.target());
        }
        int exists = jdbc.sql("select count(*) from data_connection where studio_id = ? and name = ? and id <> ?")
                .params(studioId, name, id == null ? "" : id).query(Integer.class).single();
        if (exists > 0) {
            throw new StudioException(StudioException.Kind.CONFLICT, "This studio already has a connection named '"
                    + name + "'.");
        }
        return new Checked(name, settings, secret);
    }

    @Override
    public Connection shareWithJobs(String studioId, String id, boolean forJobs) {
        access.require(studioId, Need.OWN);
        if (jdbc.sql("update data_connection set for_jobs = ? where studio_id = ? and id = ?")
                .params(forJobs, studioId, id).update() == 0) {
            throw new StudioException(StudioException.Kind.NOT_FOUND, "No such connection in this studio.");
        }
        return connections(studioId).stream().filter(c -> c.id().equals(id)).findFirst().orElseThrow();
    }

    @Override
    public boolean mayChooseForJobs(String studioId) {
        return access.require(studioId, Need.VIEW).isOwner();
    }

    @Override
    public void delete(String studioId, String id) {
        access.require(studioId, Need.EDIT);
        if (jdbc.sql("delete from data_connection where studio_id = ? and id = ?").params(studioId, id).update() == 0) {
            throw new StudioException(StudioException.Kind.NOT_FOUND, "No such connection in this studio.");
        }
        masks.forget(studioId);
    }

    @Override
    public String test(String studioId, String id) {
        var stored = stored(studioId, id);
        if (!ConnectionKind.S3.is(stored.kind())) {
            var started = queries.start(studioId, Users.current().getUsername(), null, jdbcSettings(stored),
                    "select 1", stored.what());
            var result = awaitQuery(studioId, started);
            queries.discard(studioId, started.id());
            if (!result.status().equals("READY")) {
                throw new DataException(result.error() == null ? EndpointPolicy.UNREACHABLE : result.error()
                        .equals(EndpointPolicy.UNREACHABLE) ? result.error() : "Cannot connect: " + result.error());
            }
            return "Connected: the database answered.";
        }
        try (var s3 = open(studioId, id)) {
            return s3.test();
        }
    }

    private static JdbcSettings jdbcSettings(Stored stored) {
        return JdbcSettings.of(stored.kind(), stored.settings(), stored.secret());
    }

    private QueryResult awaitQuery(String studioId, QueryResult started) {
        long until = System.nanoTime() + java.time.Duration.ofSeconds(30).toNanos();
        var result = started;
        while (result.status().equals("RUNNING") && System.nanoTime() < until) {
            try {
                Thread.sleep(50);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
            result = queries.get(studioId, started.id());
        }
        return result;
    }

    /** Starts a SQL query through a database connection (editors); its first page comes with a later get. */
    @Override
    public QueryResult runQuery(String studioId, String id, String sql, String editor) {
        access.require(studioId, Need.EDIT);
        var stored = stored(studioId, id);
        if (ConnectionKind.S3.is(stored.kind())) {
            throw new DataException("This is an S3 connection: browse it instead.");
        }
        return queries.start(studioId, Users.current().getUsername(), editor == null || editor.isBlank() ? null
                : editor.strip(), jdbcSettings(stored), sql, stored.what());
    }

    @Override
    public QueryResult query(String studioId, String queryId, boolean nextPage) {
        access.require(studioId, Need.VIEW);
        return nextPage ? queries.next(studioId, queryId) : queries.get(studioId, queryId);
    }

    @Override
    public QueryResult previousPage(String studioId, String queryId) {
        access.require(studioId, Need.VIEW);
        return queries.previous(studioId, queryId);
    }

    @Override
    public QueryResult cancelQuery(String studioId, String queryId) {
        access.require(studioId, Need.EDIT);
        return queries.cancel(studioId, queryId);
    }

    private final Map<String, String[]> exports = new java.util.concurrent.ConcurrentHashMap<>();

    @Override
    public java.util.Set<String> liveStudios() {
        var studios = new java.util.HashSet<>(transfers.keySet());
        exports.values().forEach(export -> studios.add(export[0]));
        return studios;
    }

    /** A deleted studio's transfers and export links are forgotten (its machine, which ran them, is stopping). */
    @Override
    public void release(String studioId) {
        var gone = transfers.remove(studioId);
        if (gone != null) {
            gone.keySet().forEach(transferEnded::remove);
        }
        exports.values().removeIf(export -> export[0].equals(studioId));
    }

    /**
     * Exports a query's whole result onto the machine ({@code ~/data/<name>}), streamed: Parquet when the name ends in
     * {@code .parquet}, else CSV.
     */
    @Override
    public Transfer exportQuery(String studioId, String queryId, String fileName) {
        access.require(studioId, Need.EDIT);
        queries.get(studioId, queryId);
        requireMachine(studioId, "exports");
        String name = fileName == null || fileName.isBlank() ? "query-" + queryId.substring(0, 8) + ".csv" : fileName;
        if (!name.matches("[A-Za-z0-9_-][A-Za-z0-9._-]{0,99}")) {
            throw new StudioException(StudioException.Kind.INVALID, "Name the file with letters, digits, . _ - only "
                    + "(not starting with a dot), such as train.parquet or train.csv.");
        }
        String token = java.util.HexFormat.of().formatHex(randomBytes());
        exports.put(token, new String[] {studioId, queryId, String.valueOf(System.currentTimeMillis()),
                SqlQueries.Format.ofFileName(name).name()});
        return startTransfer(studioId, "query " + queryId.substring(0, 8), "data/" + name, "/exports/" + token, -1);
    }

    private static byte[] randomBytes() {
        byte[] bytes = new byte[32];
        new java.security.SecureRandom().nextBytes(bytes);
        return bytes;
    }

    /** Streams an export for a one-time token (the machine's download of it); false when the token is not valid. */
    boolean streamExport(String token, java.io.OutputStream out) throws java.io.IOException {
        String[] export = token == null ? null : exports.remove(token);
        if (export == null || System.currentTimeMillis() - Long.parseLong(export[2]) > 30 * 60_000L) {
            return false;
        }
        queries.export(export[0], export[1], SqlQueries.Format.valueOf(export[3]), out);
        return true;
    }

    /**
     * Exports a query's whole result into an S3 connection's bucket under {@code key} (Parquet for a {@code .parquet}
     * key, else CSV), streamed as a multipart upload in the background; follow it in {@link #transfers}. A failed
     * export leaves no object behind.
     */
    @Override
    public Transfer exportQueryToS3(String studioId, String queryId, String connectionId, String key) {
        access.require(studioId, Need.EDIT);
        queries.get(studioId, queryId);
        if (key == null || key.isBlank() || key.endsWith("/") || key.startsWith("/")) {
            throw new StudioException(StudioException.Kind.INVALID, "Give the object's key, such as "
                    + "exports/train.parquet.");
        }
        var stored = stored(studioId, connectionId);
        if (!ConnectionKind.S3.is(stored.kind())) {
            throw new DataException("Export to an S3 connection; this one is " + stored.kind() + ".");
        }
        String transferId = UUID.randomUUID().toString();
        var transfer = new Transfer(transferId, "query " + queryId.substring(0, 8), "s3://"
                + stored.settings().get("bucket") + "/" + key, 0, -1, "RUNNING", null);
        transfers.computeIfAbsent(studioId, s -> new java.util.concurrent.ConcurrentHashMap<>()).put(transferId, transfer);
        var format = SqlQueries.Format.ofFileName(key);
        Thread.ofVirtual().name("kiln-export-" + transferId).start(() -> {
            try (var s3 = browser(stored)) {
                long[] sent = {0};
                s3.uploadStream(key, out -> queries.export(studioId, queryId, format, out), bytes -> {
                    sent[0] = bytes;
                    update(studioId, transferId, bytes, "RUNNING", null);
                });
                update(studioId, transferId, sent[0], "DONE", null);
            } catch (java.io.IOException | RuntimeException e) {
                update(studioId, transferId, -1, "FAILED", e.getMessage());
            }
        });
        return transfer;
    }

    /**
     * The connections the owner gave the studio's jobs, as one run of a job receives them (fresh short-lived
     * credentials each time, also on a resume). Every secret in it is masked in the studio's job logs and terminals
     * from now on, until it expires. No access check here: the job's start was checked, and a resume has no user.
     */
    public JobCredentials.ForJob forJob(String studioId) {
        var sources = jdbc.sql("select id, name, kind, settings, secret from data_connection where studio_id = ? "
                + "and for_jobs order by name").param(studioId).query((rs, n) -> {
            String id = rs.getString(1);
            Map<String, String> secret = rs.getString(5).isEmpty() ? Map.of() : JSON.readValue(
                    secrets.decrypt(rs.getString(5), studioId + "/" + id), new TypeReference<Map<String, String>>() {});
            return new JobCredentials.Source(rs.getString(2), rs.getString(3),
                    JSON.readValue(rs.getString(4), new TypeReference<Map<String, String>>() {}), secret);
        }).list();
        var forJob = jobCredentials.build(sources);
        masks.issued(studioId, JobCredentials.secretValues(forJob.document()), clock.instant().plus(jobTtl));
        return forJob;
    }

    /** The studio's known secrets, for whatever shows a job's or a terminal's output. */
    public SecretMasks masks() {
        return masks;
    }

    /** What the studio's job logs and terminals never show: every secret value of its connections. */
    private List<String> secretValues(String studioId) {
        return jdbc.sql("select id, secret from data_connection where studio_id = ?").param(studioId)
                .query((rs, n) -> new String[] {rs.getString(1), rs.getString(2)}).list().stream()
                .filter(row -> !row[1].isEmpty()).flatMap(row -> {
                    try {
                        Map<String, String> secret = JSON.readValue(secrets.decrypt(row[1], studioId + "/" + row[0]),
                                new TypeReference<Map<String, String>>() {});
                        return secret.values().stream();
                    } catch (SecretBox.SecretException e) {
                        return java.util.stream.Stream.<String>empty(); // unreadable with this key: nothing to show
                    }
                }).toList();
    }

    private record Stored(String id, String studioId, String name, String kind, Map<String, String> settings,
                          Map<String, String> secret) {
        /** How the server's log names it. */
        String what() {
            return "studio " + studioId + ", connection '" + name + "'";
        }
    }

    private Stored stored(String studioId, String id) {
        access.require(studioId, Need.VIEW);
        var row = jdbc.sql("select kind, settings, secret, name from data_connection where studio_id = ? and id = ?")
                .params(studioId, id).query((rs, n) -> new String[] {rs.getString(1), rs.getString(2), rs.getString(3),
                        rs.getString(4)})
                .optional().orElseThrow(() -> new StudioException(StudioException.Kind.NOT_FOUND,
                        "No such connection in this studio."));
        Map<String, String> settings = JSON.readValue(row[1], new TypeReference<>() {});
        Map<String, String> secret = row[2].isEmpty() ? Map.of()
                : JSON.readValue(secrets.decrypt(row[2], studioId + "/" + id), new TypeReference<>() {});
        return new Stored(id, studioId, row[3], row[0], settings, secret);
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
        requireMachine(studioId, "downloads");
        String name = key.substring(key.lastIndexOf('/') + 1);
        if (name.isBlank() || name.equals("..") || name.equals(".")) {
            throw new StudioException(StudioException.Kind.INVALID, "Pick an object, not a folder.");
        }
        S3Browser.Grant grant;
        try (var s3 = open(studioId, id)) {
            grant = s3.presignedDownload(key, java.time.Duration.ofMinutes(30));
        }
        return startTransfer(studioId, key, "data/" + name, grant.url(), grant.size());
    }

    /** Asks the machine to download {@code url} (presigned, or a one-time export path) and follows its progress. */
    private Transfer startTransfer(String studioId, String what, String target, String url, long size) {
        String transferId = UUID.randomUUID().toString();
        var transfer = new Transfer(transferId, what, target, 0, size, "RUNNING", null);
        transfers.computeIfAbsent(studioId, s -> new java.util.concurrent.ConcurrentHashMap<>()).put(transferId, transfer);
        if (!machines.send(studioId, new ToMachine.Download(transferId, url, target, size))) {
            update(studioId, transferId, 0, "FAILED", "the machine went away");
        }
        return transfers.get(studioId).get(transferId);
    }

    private void requireMachine(String studioId, String what) {
        if (!machines.isReady(studioId)) {
            throw new StudioException(StudioException.Kind.CONFLICT, "Start the studio's machine first: " + what
                    + " go to its ~/data folder.");
        }
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

    /** Downloads onto machines report here, for every studio: registered once. */
    private void followDownloads() {
        machines.on(FromMachine.DownloadProgress.class, (studioId, m) -> update(studioId, m.id(), m.bytes(),
                "RUNNING", null));
        machines.on(FromMachine.DownloadDone.class, (studioId, m) -> update(studioId, m.id(), m.bytes(), "DONE", null));
        machines.on(FromMachine.DownloadFailed.class, (studioId, m) -> update(studioId, m.id(), -1, "FAILED",
                m.error()));
        machines.on(FromMachine.MachineLost.class, (studioId, m) -> transfers.getOrDefault(studioId, Map.of())
                .values().stream().filter(t -> t.status().equals("RUNNING")).toList()
                .forEach(t -> update(studioId, t.id(), -1, "FAILED", "the machine stopped")));
    }

    private void update(String studioId, String transferId, long bytes, String status, String error) {
        var all = transfers.get(studioId);
        if (all == null) {
            return;
        }
        all.computeIfPresent(transferId, (k, t) -> new Transfer(t.id(), t.key(), t.target(),
                bytes < 0 ? t.bytes() : bytes, t.total(), status, error));
        if (!status.equals("RUNNING")) {
            transferEnded.putIfAbsent(transferId, System.currentTimeMillis());
        }
    }

    /** When each finished transfer ended, so it can be forgotten an hour later. */
    private final Map<String, Long> transferEnded = new java.util.concurrent.ConcurrentHashMap<>();

    /**
     * Every few minutes: transfers that ended more than an hour ago leave the list, and export tokens older than
     * their 30 minutes are dropped; otherwise both maps only ever grew.
     */
    @org.springframework.scheduling.annotation.Scheduled(fixedDelay = 300_000)
    void pruneTransfersAndExports() {
        long now = System.currentTimeMillis();
        exports.values().removeIf(e -> now - Long.parseLong(e[2]) > 30 * 60_000L);
        transferEnded.entrySet().removeIf(e -> {
            if (now - e.getValue() > 60 * 60_000L) {
                transfers.values().forEach(byId -> byId.remove(e.getKey()));
                return true;
            }
            return false;
        });
        transfers.values().removeIf(Map::isEmpty);
    }

    /**
     * A client for an S3 connection the caller may see, its secret decrypted for this call only, its endpoint checked
     * now (and again by its HTTP client at every connect).
     */
    private S3Browser open(String studioId, String id) {
        var stored = stored(studioId, id);
        if (!ConnectionKind.S3.is(stored.kind())) {
            throw new DataException("This is a " + stored.kind() + " connection: run SQL through it instead.");
        }
        return browser(stored);
    }

    private S3Browser browser(Stored stored) {
        guard.require(stored.what(), EndpointGuard.s3(stored.settings()));
        return new S3Browser(stored.settings(), stored.secret(), guard, serverRole, stored.what());
    }
}
