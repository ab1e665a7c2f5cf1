package dev.kiln.server.data;

import dev.kiln.training.storage.S3ProxyServer;

import dev.kiln.server.KilnHttp;
import dev.kiln.server.ServerTestSupport;
import dev.kiln.server.security.KilnPrincipal;
import dev.kiln.server.security.UserAccounts;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;
import tools.jackson.databind.JsonNode;


import static org.assertj.core.api.Assertions.assertThat;

/**
 * S3 connections against a real S3-compatible server (S3Proxy on its file system backend, started by the test as its
 * own process): wrong credentials, a missing bucket, listing with paging, previews of CSV, of a large object (only
 * the first bytes are read) and of malformed CSV; the secret never leaves the server and is encrypted at rest.
 */
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT)
class DataConnectionsIT {
    static final String IDENTITY = SeededS3.IDENTITY;
    static final String CREDENTIAL = SeededS3.CREDENTIAL;
    static S3ProxyServer s3proxy;
    static int s3port;

    @DynamicPropertySource
    static void dataDirectory(DynamicPropertyRegistry registry) {
        ServerTestSupport.freshDataDirectory(registry);
    }

    @BeforeAll
    static void startS3() throws Exception {
        s3proxy = SeededS3.start();
        s3port = s3proxy.port;
    }

    @AfterAll
    static void stopS3() {
        s3proxy.close();
    }

    @LocalServerPort
    int port;
    @Autowired
    UserAccounts accounts;
    @Autowired
    JdbcClient jdbc;
    @Autowired
    dev.kiln.server.config.KilnProperties properties;

    static String csrfHeader(KilnHttp session) {
        return KilnHttp.JSON.readTree(session.get("/api/studios/csrf").body()).path("headerName").asString();
    }

    static String csrfToken(KilnHttp session) {
        return KilnHttp.JSON.readTree(session.get("/api/studios/csrf").body()).path("token").asString();
    }

    String connection(KilnHttp session, String studio, String name, String bucket, String secret) {
        var response = session.post("/api/studios/" + studio + "/connections", """
                {"name":"%s","kind":"s3","settings":{"bucket":"%s","endpoint":"http://127.0.0.1:%d","pathStyle":"true",
                 "region":"us-east-1"},"secret":{"accessKeyId":"%s","secretAccessKey":"%s"}}"""
                .formatted(name, bucket, s3port, IDENTITY, secret));
        assertThat(response.statusCode()).as(response.body()).isEqualTo(201);
        assertThat(response.body()).doesNotContain(secret);
        return KilnHttp.JSON.readTree(response.body()).path("id").asString();
    }

    @Test
    void connectBrowseAndPreviewWithClearVerdictsAndTheSecretKeptOnTheServer() throws Exception {
        KilnPrincipal owner = ServerTestSupport.newUser(accounts, "Dana Data");
        var session = KilnHttp.signIn("http://localhost:" + port, owner.getUsername(), "password-" + owner.getUsername());
        String studio = session.postJson("/api/studios", "{\"name\":\"Data\"}").path("id").asString();
        String base = "/api/studios/" + studio + "/connections/";

        String wrong = connection(session, studio, "wrong", "datasets", "not-the-secret");
        var refused = session.post(base + wrong + "/test", "{}");
        assertThat(refused.statusCode()).isEqualTo(422);
        assertThat(refused.body()).contains("Wrong credentials");

        String missing = connection(session, studio, "missing", "no-such-bucket", CREDENTIAL);
        assertThat(session.post(base + missing + "/test", "{}").body()).contains("No such bucket 'no-such-bucket'");

        String good = connection(session, studio, "datasets", "datasets", CREDENTIAL);
        assertThat(session.post(base + good + "/test", "{}").body()).contains("Connected");

        JsonNode root = KilnHttp.JSON.readTree(session.get(base + good + "/objects").body());
        assertThat(root.path("entries").findValuesAsString("key")).contains("shards/", "iris.csv", "big.txt");

        var keys = new java.util.ArrayList<String>();
        String token = "";
        int pages = 0;
        do {
            JsonNode page = KilnHttp.JSON.readTree(session.get(base + good + "/objects?prefix=shards/&max=10&token="
                    + java.net.URLEncoder.encode(token, java.nio.charset.StandardCharsets.UTF_8)).body());
            page.path("entries").forEach(e -> keys.add(e.path("key").asString()));
            token = page.path("nextToken").isNull() || page.path("nextToken").isMissingNode() ? null
                    : page.path("nextToken").asString();
            pages++;
        } while (token != null && pages < 10);
        assertThat(pages).isEqualTo(3);
        assertThat(keys).hasSize(25).doesNotHaveDuplicates().contains("shards/part-000.bin", "shards/part-024.bin");

        JsonNode csv = KilnHttp.JSON.readTree(session.get(base + good + "/preview?key=iris.csv").body());
        assertThat(csv.path("kind").asString()).isEqualTo("csv");
        assertThat(csv.path("rows").get(0).toString()).isEqualTo("[\"sepal_length\",\"sepal_width\",\"species\"]");
        assertThat(csv.path("rows").get(3).get(2).asString()).isEqualTo("virginica");

        JsonNode big = KilnHttp.JSON.readTree(session.get(base + good + "/preview?key=big.txt").body());
        assertThat(big.path("size").asLong()).isEqualTo(17L * 300_000);
        assertThat(big.path("truncated").asBoolean()).isTrue();
        assertThat(big.path("text").asString().length()).isLessThanOrEqualTo(S3Browser.PREVIEW_BYTES)
                .isGreaterThan(60_000);

        var broken = session.get(base + good + "/preview?key=broken.csv");
        assertThat(broken.statusCode()).isEqualTo(422);
        assertThat(broken.body()).contains("not valid CSV");
        assertThat(session.get(base + good + "/preview?key=nothing-here.csv").body()).contains("No such object");

        // Parquet: schema and the first 50 of 500 rows, read with ranged GETs; a fake is refused clearly.
        JsonNode parquet = KilnHttp.JSON.readTree(session.get(base + good + "/preview?key=tables/flowers.parquet")
                .body());
        assertThat(parquet.path("kind").asString()).isEqualTo("parquet");
        assertThat(parquet.path("text").asString()).startsWith("500 rows in 1 row group, 3 columns")
                .contains("ID: INT64").contains("SPECIES: BYTE_ARRAY");
        assertThat(parquet.path("rows")).hasSize(1 + S3Browser.PREVIEW_ROWS);
        assertThat(parquet.path("rows").get(2).toString()).isEqualTo("[\"2\",\"3.0\",\"setosa\"]");
        assertThat(parquet.path("rows").get(1).get(2).asString()).isEmpty(); // a null
        assertThat(parquet.path("truncated").asBoolean()).isTrue();
        var fake = session.get(base + good + "/preview?key=tables/fake.parquet");
        assertThat(fake.statusCode()).isEqualTo(422);
        assertThat(fake.body()).contains("not a readable Parquet file");

        // Encrypted at rest; never in any answer.
        String stored = jdbc.sql("select settings || secret from data_connection where id = ?").param(good)
                .query(String.class).single();
        assertThat(stored).doesNotContain(CREDENTIAL).contains("datasets");
        assertThat(session.get("/api/studios/" + studio + "/connections").body()).doesNotContain(CREDENTIAL)
                .contains("\"hasSecret\":true");

        // Upload streams into the bucket; download lands on the studio's machine through a presigned URL.
        var upload = session.http.send(java.net.http.HttpRequest.newBuilder(java.net.URI.create(session.base
                        + base + good + "/objects?key=uploads/hello.txt")).header(csrfHeader(session), csrfToken(session))
                .PUT(java.net.http.HttpRequest.BodyPublishers.ofString("hello from kiln")).build(),
                java.net.http.HttpResponse.BodyHandlers.ofString());
        assertThat(upload.statusCode()).as(upload.body()).isEqualTo(204);
        assertThat(KilnHttp.JSON.readTree(session.get(base + good + "/preview?key=uploads/hello.txt").body())
                .path("text").asString()).isEqualTo("hello from kiln");

        var noMachine = session.post(base + good + "/download", "{\"key\":\"big.txt\"}");
        assertThat(noMachine.statusCode()).isEqualTo(409);
        assertThat(noMachine.body()).contains("Start the studio's machine first");
        session.startMachine(studio, "local-1");
        String transfer = session.postJson(base + good + "/download", "{\"key\":\"big.txt\"}").path("id").asString();
        org.awaitility.Awaitility.await().atMost(java.time.Duration.ofSeconds(60)).until(() -> KilnHttp.JSON.readTree(
                session.get("/api/studios/" + studio + "/transfers").body()).findValuesAsString("status").contains("DONE"));
        java.nio.file.Path downloaded = properties.dataDir().resolve("machines").resolve(studio)
                .resolve("home/data/big.txt");
        assertThat(downloaded).hasSize(17L * 300_000);
        assertThat(transfer).isNotBlank();
        session.post("/api/studios/" + studio + "/machine/stop", "{}");

        var stranger = ServerTestSupport.newUser(accounts, "Sid Stranger");
        var theirs = KilnHttp.signIn("http://localhost:" + port, stranger.getUsername(),
                "password-" + stranger.getUsername());
        assertThat(theirs.get(base + good + "/objects").statusCode()).isEqualTo(404);
        assertThat(theirs.post(base + good + "/test", "{}").statusCode()).isEqualTo(404);

        assertThat(session.delete(base + wrong)).isEqualTo(204);
        assertThat(session.post(base + wrong + "/test", "{}").statusCode()).isEqualTo(404);
        var snowflake = session.post("/api/studios/" + studio + "/connections",
                "{\"name\":\"wh\",\"kind\":\"snowflake\",\"settings\":{}}");
        assertThat(snowflake.statusCode()).isEqualTo(400);
        assertThat(snowflake.body()).contains("Snowflake account identifier");
    }
}
