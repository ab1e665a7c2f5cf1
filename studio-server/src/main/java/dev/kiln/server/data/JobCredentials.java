package dev.kiln.server.data;

import java.security.PrivateKey;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.http.urlconnection.UrlConnectionHttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.sts.StsClient;

/**
 * What a job receives of its studio's data connections: the document the agent writes to a file only the job can
 * read (the training runtime's {@code Connections} reads it) and deletes when the job ends. S3 on AWS gets temporary
 * credentials from STS (GetSessionToken, {@code ttl}), so a leaked file stops working on its own; S3-compatible
 * stores without STS get the connection's keys; a connection using the machine's role gets no keys at all. Only
 * the connections the studio's owner gave to jobs are built here (see {@code DataConnections#forJob}).
 */
public final class JobCredentials {
    /** The document and the lines to put in the job's log about connections it could not receive. */
    public record ForJob(Map<String, Object> document, List<String> notes) {}

    interface Sts {
        /** Temporary credentials for these long-lived keys: key id, secret, session token, expiry. */
        String[] sessionToken(String region, String accessKeyId, String secretAccessKey, Duration ttl);
    }

    static final Sts AWS_STS = (region, accessKeyId, secretAccessKey, ttl) -> {
        try (var sts = StsClient.builder().region(Region.of(region)).httpClient(UrlConnectionHttpClient.create())
                .credentialsProvider(StaticCredentialsProvider.create(AwsBasicCredentials.create(accessKeyId,
                        secretAccessKey))).build()) {
            var credentials = sts.getSessionToken(b -> b.durationSeconds((int) ttl.toSeconds())).credentials();
            return new String[] {credentials.accessKeyId(), credentials.secretAccessKey(), credentials.sessionToken(),
                    credentials.expiration().toString()};
        }
    };

    private final Sts sts;
    private final Duration ttl;
    private final Clock clock;

    JobCredentials(Sts sts, Duration ttl, Clock clock) {
        this.sts = sts;
        this.ttl = ttl;
        this.clock = clock;
    }

    /** One connection as stored: its name, kind, settings and decrypted secret. */
    record Source(String name, String kind, Map<String, String> settings, Map<String, String> secret) {}

    ForJob build(List<Source> sources) {
        var entries = new ArrayList<Map<String, Object>>();
        var notes = new ArrayList<String>();
        for (Source source : sources) {
            try {
                entries.add(switch (source.kind()) {
                    case "s3" -> s3(source);
                    case "snowflake", "postgresql" -> jdbc(source);
                    default -> throw new DataException("connections of kind " + source.kind() + " are not given to jobs");
                });
            } catch (RuntimeException e) {
                notes.add("data connection '" + source.name() + "' is not available to this job: " + e.getMessage());
            }
        }
        var document = new LinkedHashMap<String, Object>();
        document.put("issuedAt", clock.instant().toString());
        document.put("connections", entries);
        return new ForJob(document, notes);
    }

    /** Keys of the document whose values are secrets (masked wherever a job's output is shown). */
    private static final java.util.Set<String> SECRET_KEYS = java.util.Set.of("accessKeyId", "secretAccessKey",
            "sessionToken", "privateKeyPem", "password");

    /** The secret values in a document built here: keys, tokens, passwords, private keys. */
    static List<String> secretValues(Map<String, Object> document) {
        var values = new ArrayList<String>();
        collect(document, values);
        return values;
    }

    private static void collect(Object node, List<String> values) {
        if (node instanceof Map<?, ?> map) {
            map.forEach((key, value) -> {
                if (value instanceof String text && SECRET_KEYS.contains(String.valueOf(key))) {
                    values.add(text);
                } else {
                    collect(value, values);
                }
            });
        } else if (node instanceof List<?> list) {
            list.forEach(item -> collect(item, values));
        }
    }

    private Map<String, Object> s3(Source source) {
        var entry = new LinkedHashMap<String, Object>();
        entry.put("name", source.name());
        entry.put("type", "s3");
        var settings = source.settings();
        for (String name : List.of("bucket", "region", "endpoint")) {
            entry.put(name, settings.getOrDefault(name, ""));
        }
        entry.put("pathStyle", Boolean.parseBoolean(settings.getOrDefault("pathStyle", "false")));
        String keyId = source.secret().getOrDefault("accessKeyId", "");
        if (keyId.isBlank()) {
            return entry; // the machine's own role: nothing to hand over
        }
        String secret = source.secret().getOrDefault("secretAccessKey", "");
        if (settings.getOrDefault("endpoint", "").isBlank()) {
            String region = EndpointGuard.region(settings);
            String[] temporary;
            try {
                temporary = sts.sessionToken(region, keyId, secret, ttl);
            } catch (RuntimeException e) {
                throw new DataException("AWS STS gave no short-lived credentials (" + e.getMessage() + "); the "
                        + "long-lived keys are not handed to jobs. Allow sts:GetSessionToken for this user, or use "
                        + "the machine's role");
            }
            entry.put("accessKeyId", temporary[0]);
            entry.put("secretAccessKey", temporary[1]);
            entry.put("sessionToken", temporary[2]);
            entry.put("expiresAt", temporary[3]);
        } else {
            // An S3-compatible store (MinIO, Ceph, S3Proxy...): most have no STS, so the job gets the keys, in a file
            // that lives as long as the job.
            entry.put("accessKeyId", keyId);
            entry.put("secretAccessKey", secret);
            entry.put("expiresAt", clock.instant().plus(ttl).toString());
        }
        return entry;
    }

    private static Map<String, Object> jdbc(Source source) {
        var settings = JdbcSettings.of(source.kind(), source.settings(), source.secret());
        var entry = new LinkedHashMap<String, Object>();
        entry.put("name", source.name());
        entry.put("type", "jdbc");
        entry.put("kind", source.kind());
        entry.put("url", settings.url());
        var properties = new LinkedHashMap<String, String>();
        settings.properties().forEach((key, value) -> {
            if (value instanceof PrivateKey key1) {
                // Decrypted here, so the job needs no passphrase; the runtime turns it back into a PrivateKey.
                entry.put("privateKeyPem", "-----BEGIN PRIVATE KEY-----\n"
                        + Base64.getMimeEncoder(64, "\n".getBytes()).encodeToString(key1.getEncoded())
                        + "\n-----END PRIVATE KEY-----\n");
            } else {
                properties.put(key.toString(), value.toString());
            }
        });
        entry.put("properties", properties);
        return entry;
    }
}
