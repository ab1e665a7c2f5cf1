package dev.kiln.server.data;

import java.nio.file.Files;
import java.nio.file.Path;
import java.security.PrivateKey;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.Base64;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.json.JsonMapper;

import dev.kiln.training.storage.Connections;
import dev.kiln.training.storage.S3Uri;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * What a job receives of its studio's connections. AWS STS cannot run here, so a stand-in answers GetSessionToken;
 * the rest is the real code path, down to the training runtime reading the document back.
 */
class JobCredentialsTest {
    static final Clock CLOCK = Clock.fixed(Instant.parse("2026-11-23T08:00:00Z"), ZoneOffset.UTC);
    static final Map<String, String> KEYS = Map.of("accessKeyId", "AKIALONGLIVED", "secretAccessKey", "long-lived-secret");

    @TempDir
    Path dir;

    @Test
    void awsGetsTemporaryCredentialsAndNeverTheLongLivedSecret() throws Exception {
        var asked = new Duration[1];
        var credentials = new JobCredentials((region, id, secret, ttl) -> {
            assertThat(region).isEqualTo("eu-west-1");
            assertThat(id).isEqualTo("AKIALONGLIVED");
            asked[0] = ttl;
            return new String[] {"ASIATEMPORARY", "temporary-secret", "session-token", "2026-11-23T20:00:00Z"};
        }, Duration.ofHours(12), CLOCK);
        var forJob = credentials.build(List.of(new JobCredentials.Source("lake", "s3",
                Map.of("bucket", "my-lake", "region", "eu-west-1"), KEYS)));
        String document = JsonMapper.shared().writeValueAsString(forJob.document());
        assertThat(asked[0]).isEqualTo(Duration.ofHours(12));
        assertThat(document).contains("ASIATEMPORARY", "session-token", "2026-11-23T20:00:00Z")
                .doesNotContain("long-lived-secret", "AKIALONGLIVED");
        assertThat(forJob.notes()).isEmpty();

        // The runtime reads it back: the bucket picks the connection, and the expiry is known.
        Path file = Files.writeString(dir.resolve("connections.json"), document);
        var connections = Connections.load(file);
        assertThat(connections.names()).containsExactly("lake");
        assertThat(connections.expiresAt("lake")).isEqualTo(Instant.parse("2026-11-23T20:00:00Z"));
        try (var s3 = connections.s3(S3Uri.parse("s3://my-lake/prepared/"))) {
            assertThat(s3.serviceClientConfiguration().region().id()).isEqualTo("eu-west-1");
        }
    }

    @Test
    void whenStsRefusesTheJobRunsWithoutThatConnectionAndSaysWhy() {
        var credentials = new JobCredentials((region, id, secret, ttl) -> {
            throw new IllegalStateException("User is not authorized to perform: sts:GetSessionToken");
        }, Duration.ofHours(1), CLOCK);
        var forJob = credentials.build(List.of(
                new JobCredentials.Source("lake", "s3", Map.of("bucket", "my-lake"), KEYS),
                new JobCredentials.Source("role", "s3", Map.of("bucket", "other"), Map.of())));
        String document = JsonMapper.shared().writeValueAsString(forJob.document());
        assertThat(document).doesNotContain("long-lived-secret").contains("\"role\"");
        assertThat(forJob.notes()).singleElement().asString().contains("'lake' is not available to this job")
                .contains("sts:GetSessionToken").contains("long-lived keys are not handed to jobs");
    }

    @Test
    void s3CompatibleStoresGetTheKeysForTheJobsLifetimeAndRolesGetNone() {
        var credentials = new JobCredentials((region, id, secret, ttl) -> {
            throw new AssertionError("no STS for an S3-compatible store");
        }, Duration.ofHours(12), CLOCK);
        var forJob = credentials.build(List.of(
                new JobCredentials.Source("minio", "s3", Map.of("bucket", "b", "endpoint", "http://minio:9000",
                        "pathStyle", "true"), KEYS),
                new JobCredentials.Source("role", "s3", Map.of("bucket", "c"), Map.of())));
        @SuppressWarnings("unchecked")
        var entries = (List<Map<String, Object>>) forJob.document().get("connections");
        assertThat(entries.get(0)).containsEntry("accessKeyId", "AKIALONGLIVED").containsEntry("pathStyle", true)
                .containsEntry("expiresAt", "2026-11-23T20:00:00Z");
        assertThat(entries.get(1)).doesNotContainKeys("accessKeyId", "secretAccessKey", "sessionToken");
    }

    @Test
    @SuppressWarnings("unchecked")
    void sqlConnectionsCarryTheirJdbcSettingsWithTheKeyDecrypted() throws Exception {
        PrivateKey key = JdbcSettingsTest.rsaKey();
        String pem = JdbcSettingsTest.pem(key);
        var forJob = new JobCredentials(null, Duration.ofHours(1), CLOCK).build(List.of(
                new JobCredentials.Source("warehouse", "snowflake", Map.of("account", "myorg-myaccount",
                        "user", "KILN", "warehouse", "COMPUTE_WH"), Map.of("privateKey", pem)),
                new JobCredentials.Source("sales", "postgresql", Map.of("url", "jdbc:postgresql://db:5432/sales",
                        "user", "analyst"), Map.of("password", "pg-secret"))));
        @SuppressWarnings("unchecked")
        var entries = (List<Map<String, Object>>) forJob.document().get("connections");
        assertThat(entries.get(0)).containsEntry("type", "jdbc")
                .containsEntry("url", "jdbc:snowflake://myorg-myaccount.snowflakecomputing.com/");
        assertThat((Map<String, String>) entries.get(0).get("properties")).containsEntry("authenticator", "SNOWFLAKE_JWT")
                .containsEntry("warehouse", "COMPUTE_WH").doesNotContainKey("privateKey");
        String sent = (String) entries.get(0).get("privateKeyPem");
        assertThat(Base64.getMimeDecoder().decode(sent.replaceAll("-----[A-Z ]+-----", "").strip()))
                .isEqualTo(key.getEncoded());
        assertThat((Map<String, String>) entries.get(1).get("properties")).containsEntry("user", "analyst")
                .containsEntry("password", "pg-secret");
    }
}
