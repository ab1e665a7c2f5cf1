package dev.kiln.training.storage;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyFactory;
import java.security.spec.PKCS8EncodedKeySpec;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.ConcurrentHashMap;

import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.AwsCredentialsProvider;
import software.amazon.awssdk.auth.credentials.AwsSessionCredentials;
import software.amazon.awssdk.auth.credentials.DefaultCredentialsProvider;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.http.urlconnection.UrlConnectionHttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.s3.S3Client;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * The studio's data connections as a job sees them. Kiln writes them, with short-lived credentials, to a file readable
 * only by the job's user and names it in {@code KILN_CONNECTIONS}; the file is deleted when the job ends. Outside a
 * Kiln job (a laptop, a CI runner) there is no file and S3 falls back to the AWS SDK's default chain
 * ({@code AWS_ACCESS_KEY_ID}, profiles, instance roles) with {@code AWS_ENDPOINT_URL} for S3-compatible stores.
 */
public final class Connections {
    public static final String ENV = "KILN_CONNECTIONS";

    private static volatile Connections current;
    private static volatile String currentFile;

    private final Map<String, JsonNode> byName;
    private final Map<String, S3Client> clients = new ConcurrentHashMap<>();

    private Connections(Map<String, JsonNode> byName) {
        this.byName = byName;
    }

    /**
     * The connections this process was given: the file named by {@code KILN_CONNECTIONS} (or the system property
     * {@code kiln.connections}, for embedding and tests); none when neither is set.
     */
    public static Connections current() {
        String file = System.getProperty("kiln.connections", System.getenv(ENV));
        String key = file == null ? "" : file;
        synchronized (Connections.class) {
            if (current == null || !key.equals(currentFile)) {
                current = key.isBlank() ? new Connections(Map.of()) : load(Path.of(key));
                currentFile = key;
            }
            return current;
        }
    }

    public static Connections load(Path file) {
        JsonNode root;
        try {
            root = JsonMapper.shared().readTree(Files.readString(file));
        } catch (IOException | RuntimeException e) {
            throw new IllegalStateException("cannot read the job's connections from " + file + " (" + ENV + "): "
                    + e.getMessage(), e);
        }
        var byName = new java.util.LinkedHashMap<String, JsonNode>();
        for (JsonNode connection : root.path("connections")) {
            byName.put(connection.path("name").asString(), connection);
        }
        return new Connections(byName);
    }

    public List<String> names() {
        return List.copyOf(byName.keySet());
    }

    /** When this job's credentials stop working, or null when they do not expire (or there are none). */
    public Instant expiresAt(String name) {
        String at = byName.containsKey(name) ? byName.get(name).path("expiresAt").asString("") : "";
        return at.isEmpty() ? null : Instant.parse(at);
    }

    /** The S3 client for a location: its named connection, else the connection for its bucket, else the only one. */
    public S3Client s3(S3Uri location) {
        return clients.computeIfAbsent(connectionFor(location), this::newClient);
    }

    /**
     * Which connection a location is read through, for messages: "the connection 'lake'", or the AWS SDK's own
     * credentials where this job has no S3 connection.
     */
    public String describe(S3Uri location) {
        String name = connectionFor(location);
        return name.isEmpty() ? "the AWS SDK's default credentials (this job has no S3 connection)"
                : "the connection '" + name + "'";
    }

    /**
     * The connection's name ("" for the SDK's defaults). {@code s3://name@bucket/key} names it; otherwise the one
     * S3 connection for the bucket, or the job's only S3 connection. Two connections for the same bucket, or several
     * for other buckets, are refused with the list: silently picking one could read with the wrong credentials.
     */
    String connectionFor(S3Uri location) {
        if (location.connection() != null) {
            JsonNode named = byName.get(location.connection());
            if (named == null || !"s3".equals(named.path("type").asString())) {
                throw new IllegalArgumentException(location + " names the connection '" + location.connection()
                        + "', but this job has " + (byName.isEmpty() ? "no connections" : "only " + byName.keySet()));
            }
            return location.connection();
        }
        var forBucket = new ArrayList<String>();
        var s3 = new ArrayList<String>();
        for (var entry : byName.entrySet()) {
            if ("s3".equals(entry.getValue().path("type").asString())) {
                if (location.bucket().equals(entry.getValue().path("bucket").asString())) {
                    forBucket.add(entry.getKey());
                }
                s3.add(entry.getKey());
            }
        }
        if (forBucket.size() == 1) {
            return forBucket.getFirst();
        }
        if (forBucket.size() > 1) {
            throw new IllegalArgumentException(location + " could mean " + forBucket.size() + " connections of this "
                    + "job, which all name the bucket '" + location.bucket() + "': " + String.join(", ", forBucket)
                    + ". Say which one, for example " + location.withConnection(forBucket.getFirst()));
        }
        if (s3.size() > 1) {
            throw new IllegalArgumentException("None of this job's S3 connections (" + String.join(", ", s3.stream()
                    .map(n -> n + " for bucket '" + byName.get(n).path("bucket").asString() + "'").toList())
                    + ") is for the bucket '" + location.bucket() + "' of " + location + ". Name one, for example "
                    + location.withConnection(s3.getFirst()) + ", or add a connection for that bucket in the Data "
                    + "tab and let jobs receive it");
        }
        return s3.size() == 1 ? s3.getFirst() : "";
    }

    private S3Client newClient(String name) {
        JsonNode connection = byName.get(name);
        var builder = S3Client.builder()
                .httpClient(UrlConnectionHttpClient.builder().connectionTimeout(Duration.ofSeconds(10))
                        .socketTimeout(Duration.ofSeconds(60)).build());
        if (connection == null) {
            // No Kiln connection: the SDK's own defaults, as the aws CLI would use them.
            builder.credentialsProvider(DefaultCredentialsProvider.builder().build());
            String endpoint = System.getenv("AWS_ENDPOINT_URL");
            if (endpoint != null && !endpoint.isBlank()) {
                builder.endpointOverride(java.net.URI.create(endpoint)).forcePathStyle(true);
            }
            if (System.getenv("AWS_REGION") == null && System.getenv("AWS_DEFAULT_REGION") == null) {
                builder.region(Region.US_EAST_1);
            }
            return builder.build();
        }
        String region = connection.path("region").asString("");
        builder.region(Region.of(region.isBlank() ? "us-east-1" : region))
                .forcePathStyle(connection.path("pathStyle").asBoolean(false))
                .credentialsProvider(credentials(connection));
        String endpoint = connection.path("endpoint").asString("");
        if (!endpoint.isBlank()) {
            builder.endpointOverride(java.net.URI.create(endpoint));
        }
        return builder.build();
    }

    private static AwsCredentialsProvider credentials(JsonNode connection) {
        String keyId = connection.path("accessKeyId").asString("");
        if (keyId.isBlank()) {
            return DefaultCredentialsProvider.builder().build(); // the machine's own role
        }
        String secret = connection.path("secretAccessKey").asString("");
        String token = connection.path("sessionToken").asString("");
        return StaticCredentialsProvider.create(token.isBlank() ? AwsBasicCredentials.create(keyId, secret)
                : AwsSessionCredentials.create(keyId, secret, token));
    }

    /** A JDBC connection to a SQL connection of the studio (PostgreSQL, Snowflake). Close it when done. */
    public Connection jdbc(String name) throws SQLException {
        JsonNode connection = byName.get(name);
        if (connection == null || !"jdbc".equals(connection.path("type").asString())) {
            throw new IllegalArgumentException("this job has no SQL connection named '" + name + "'; it has "
                    + (byName.isEmpty() ? "none (add one in the Data tab)" : byName.keySet()));
        }
        var properties = new Properties();
        for (var entry : connection.path("properties").properties()) {
            properties.put(entry.getKey(), entry.getValue().asString());
        }
        String pem = connection.path("privateKeyPem").asString("");
        if (!pem.isBlank()) {
            properties.put("privateKey", privateKey(pem));
        }
        return DriverManager.getConnection(connection.path("url").asString(), properties);
    }

    private static java.security.PrivateKey privateKey(String pem) {
        byte[] der = Base64.getMimeDecoder().decode(pem.replaceAll("-----[A-Z ]+-----", "").strip());
        try {
            return KeyFactory.getInstance("RSA").generatePrivate(new PKCS8EncodedKeySpec(der));
        } catch (java.security.GeneralSecurityException e) {
            throw new IllegalStateException("the connection's private key is not an RSA PKCS#8 key: " + e.getMessage());
        }
    }
}
