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
 * the first bytes are read) and of malformed CSV; the secret never leaves the server and is encrypted at rest. And
 * what a connection may not do: reach an address the admin did not allow (a stand-in for the metadata service on
 * 127.0.0.1), use the server's own AWS credentials (fake ones in its system properties), or make the server hold
 * more than a preview of an object whose server ignores Range.
 */
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT)
class DataConnectionsIT {
    static final String IDENTITY = SeededS3.IDENTITY;
    static final String CREDENTIAL = SeededS3.CREDENTIAL;
    static final String SERVER_KEY = "AKIASERVERFAKEKEY0001";
    static final long HUNDRED_MB = 100L << 20;
    static S3ProxyServer s3proxy;
    static int s3port;
    /** Not allowed: a stand-in for the cloud metadata service, and a port nothing listens on. */
    static StandInEndpoint metadata;
    static int closedPort;
    /** Allowed: an endpoint that records the requests it gets, and one that ignores Range and sends 100 MB. */
    static StandInEndpoint recorder;
    static StandInEndpoint ignoresRange;

    @DynamicPropertySource
    static void dataDirectory(DynamicPropertyRegistry registry) {
        ServerTestSupport.freshDataDirectory(registry);
        // Exactly the test's own servers on 127.0.0.1; the metadata stand-in and the closed port stay out.
        registry.add("kiln.data.allowed-endpoints", () -> "127.0.0.1:" + s3port + ", 127.0.0.1:" + recorder.port()
                + ", 127.0.0.1:" + ignoresRange.port());
    }

    @BeforeAll
    static void startS3() throws Exception {
        s3proxy = SeededS3.start();
        s3port = s3proxy.port;
        metadata = StandInEndpoint.metadataService();
        try (var socket = new java.net.ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            closedPort = socket.getLocalPort();
        }
        recorder = StandInEndpoint.start(exchange -> {
            byte[] body = "<ListBucketResult><Name>datasets</Name><IsTruncated>false</IsTruncated></ListBucketResult>"
                    .getBytes();
            exchange.sendResponseHeaders(200, body.length);
            exchange.getResponseBody().write(body);
        });
        ignoresRange = StandInEndpoint.start(exchange -> {
            exchange.getResponseHeaders().set("Last-Modified", "Tue, 01 Dec 2026 10:00:00 GMT");
            if (exchange.getRequestMethod().equals("HEAD")) {
                exchange.getResponseHeaders().set("Content-Length", String.valueOf(HUNDRED_MB));
                exchange.sendResponseHeaders(200, -1);
            } else {
                exchange.sendResponseHeaders(200, HUNDRED_MB); // the whole object, whatever Range said
                ignoresRange.send(exchange, HUNDRED_MB);
            }
        });
        // The server's own AWS identity, as the SDK's default chain would find it.
        System.setProperty("aws.accessKeyId", SERVER_KEY);
        System.setProperty("aws.secretAccessKey", "server-secret-not-for-users");
    }

    @AfterAll
    static void stopS3() {
        s3proxy.close();
        metadata.close();
        recorder.close();
        ignoresRange.close();
        System.clearProperty("aws.accessKeyId");
        System.clearProperty("aws.secretAccessKey");
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

    KilnHttp owner(String name) {
        KilnPrincipal owner = ServerTestSupport.newUser(accounts, name);
        return KilnHttp.signIn("http://localhost:" + port, owner.getUsername(), "password-" + owner.getUsername());
    }

    static java.net.http.HttpResponse<String> add(KilnHttp session, String studio, String name, String endpoint,
                                                  String keyJson) {
        return session.post("/api/studios/" + studio + "/connections", """
                {"name":"%s","kind":"s3","settings":{"bucket":"datasets","endpoint":"%s","pathStyle":"true"},
                 "secret":%s}""".formatted(name, endpoint, keyJson));
    }

    static String detail(java.net.http.HttpResponse<String> response) {
        return response.statusCode() + " " + KilnHttp.JSON.readTree(response.body()).path("detail").asString();
    }

    @Test
    void internalAddressesAreRefusedOnAddTestAndPreviewAndGetNoRequest() {
        var session = owner("Ida Internal");
        String studio = session.postJson("/api/studios", "{\"name\":\"Internal\"}").path("id").asString();
        String keys = "{\"accessKeyId\":\"user-key\",\"secretAccessKey\":\"user-secret\"}";
        String unreachable = "422 " + EndpointPolicy.UNREACHABLE;

        for (String endpoint : new String[] {metadata.url(), "http://169.254.169.254", "http://[::1]:" + metadata.port(),
                "http://localhost:" + metadata.port(), "http://127.0.0.1:" + closedPort}) {
            assertThat(detail(add(session, studio, "meta", endpoint, keys))).as(endpoint).isEqualTo(unreachable);
        }
        // A connection whose endpoint now leads inside (added when its name resolved elsewhere: DNS changes).
        String open = KilnHttp.JSON.readTree(add(session, studio, "open", recorder.url(), keys).body()).path("id")
                .asString();
        String closed = KilnHttp.JSON.readTree(add(session, studio, "closed", recorder.url(), keys).body()).path("id")
                .asString();
        pointAt(open, metadata.url());
        pointAt(closed, "http://127.0.0.1:" + closedPort);
        String base = "/api/studios/" + studio + "/connections/";
        assertThat(detail(session.post(base + open + "/test", "{}"))).isEqualTo(unreachable);
        assertThat(detail(session.get(base + open + "/preview?key=latest/meta-data/iam"))).isEqualTo(unreachable);
        assertThat(detail(session.get(base + open + "/objects"))).isEqualTo(unreachable);
        // An open port and a closed one answer alike: no port scan through Kiln.
        assertThat(detail(session.post(base + closed + "/test", "{}"))).isEqualTo(unreachable);
        assertThat(metadata.requests).as("the metadata stand-in never heard from Kiln").isEmpty();
        assertThat(session.get(base + open + "/preview?key=x").body()).doesNotContain("internal-secret", "ASIA");
    }

    void pointAt(String connectionId, String endpoint) {
        jdbc.sql("update data_connection set settings = ? where id = ?").params(
                "{\"bucket\":\"datasets\",\"endpoint\":\"" + endpoint + "\",\"pathStyle\":\"true\"}", connectionId).update();
    }

    @Test
    void aConnectionWithoutKeysNeverSignsWithTheServersCredentials() {
        var session = owner("Kim Keyless");
        String studio = session.postJson("/api/studios", "{\"name\":\"Keyless\"}").path("id").asString();
        var refused = add(session, studio, "mine", recorder.url(), "{}");
        assertThat(refused.statusCode()).isEqualTo(400);
        assertThat(detail(refused)).contains("does not let connections use the server's own AWS identity")
                .contains("kiln.data.server-role.enabled");

        // One that was stored without keys (before this version): refused when used, and nothing is signed.
        String keyed = KilnHttp.JSON.readTree(add(session, studio, "keyed", recorder.url(),
                "{\"accessKeyId\":\"user-key\",\"secretAccessKey\":\"user-secret\"}").body()).path("id").asString();
        String keyless = KilnHttp.JSON.readTree(add(session, studio, "old", recorder.url(),
                "{\"accessKeyId\":\"user-key\",\"secretAccessKey\":\"user-secret\"}").body()).path("id").asString();
        jdbc.sql("update data_connection set secret = '' where id = ?").param(keyless).update();
        String base = "/api/studios/" + studio + "/connections/";
        assertThat(session.post(base + keyed + "/test", "{}").statusCode()).isEqualTo(200);
        var used = session.post(base + keyless + "/test", "{}");
        assertThat(detail(used)).startsWith("422 Give an access key and its secret.");
        assertThat(session.get(base + keyless + "/objects").statusCode()).isEqualTo(422);
        assertThat(recorder.requests).isNotEmpty().allSatisfy(r -> assertThat(r.authorization()).contains("user-key")
                .doesNotContain(SERVER_KEY));
    }

    @Test
    void aPreviewOfAnEndpointThatIgnoresRangeReadsThePreviewAndNoMore() {
        var session = owner("Rae Range");
        String studio = session.postJson("/api/studios", "{\"name\":\"Range\"}").path("id").asString();
        String id = KilnHttp.JSON.readTree(add(session, studio, "rangeless", ignoresRange.url(),
                "{\"accessKeyId\":\"user-key\",\"secretAccessKey\":\"user-secret\"}").body()).path("id").asString();
        var threads = (com.sun.management.ThreadMXBean) java.lang.management.ManagementFactory.getThreadMXBean();
        long allocatedBefore = threads.getTotalThreadAllocatedBytes();
        var response = session.get("/api/studios/" + studio + "/connections/" + id + "/preview?key=huge.txt");
        long allocated = threads.getTotalThreadAllocatedBytes() - allocatedBefore;
        assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
        JsonNode preview = KilnHttp.JSON.readTree(response.body());
        assertThat(preview.path("size").asLong()).isEqualTo(HUNDRED_MB);
        assertThat(preview.path("truncated").asBoolean()).isTrue();
        assertThat(preview.path("text").asString().length()).isBetween(60_000, S3Browser.PREVIEW_BYTES);
        // The stand-in offered 100 MB; the server read its 64 KB, dropped the connection, and allocated little.
        org.awaitility.Awaitility.await().atMost(java.time.Duration.ofSeconds(10)).until(() ->
                ignoresRange.requests.stream().anyMatch(r -> r.method().equals("GET")));
        assertThat(ignoresRange.bytesSent.get()).as("bytes the endpoint got out").isLessThan(24L << 20);
        assertThat(allocated).as("bytes allocated in the whole JVM during the preview").isLessThan(48L << 20);
        System.out.printf("preview of a 100 MB object that ignores Range: endpoint sent %,d bytes, JVM allocated "
                + "%,d bytes%n", ignoresRange.bytesSent.get(), allocated);
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
