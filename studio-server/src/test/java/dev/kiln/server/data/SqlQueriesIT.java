package dev.kiln.server.data;

import dev.kiln.server.KilnHttp;
import dev.kiln.server.ServerTestSupport;
import dev.kiln.server.config.KilnProperties;
import dev.kiln.server.persistence.PostgresServer;
import dev.kiln.server.security.KilnPrincipal;
import dev.kiln.server.security.UserAccounts;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;
import tools.jackson.databind.JsonNode;

import java.nio.file.Files;
import java.sql.DriverManager;
import java.time.Duration;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * The SQL query path against a real PostgreSQL the test starts: 10,000 rows come a page at a time from an open
 * cursor, a long query is cancelled (and its connection is gone from the database), a newer query in the same editor
 * and an abandoned cursor close theirs, SQL errors are shown verbatim, and an export streams every row as CSV onto the
 * studio's machine. JDBC drivers load once at start: a jar that shows up later never runs. (Snowflake uses the same
 * path with its driver; its settings are unit-tested.)
 */
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT)
class SqlQueriesIT {
    static PostgresServer postgres;
    static dev.kiln.training.storage.S3ProxyServer s3;
    static java.nio.file.Path driversDir;

    @DynamicPropertySource
    static void dataDirectory(DynamicPropertyRegistry registry) {
        ServerTestSupport.freshDataDirectory(registry);
        registry.add("kiln.data.allowed-endpoints", () -> postgres.jdbcUrl("x").replaceAll(".*//([^/]+)/.*", "$1")
                + "," + s3.endpoint().replace("http://", ""));
        registry.add("kiln.data.drivers-dir", () -> driversDir.toString());
    }

    @BeforeAll
    static void database() throws Exception {
        driversDir = Files.createTempDirectory("kiln-drivers");
        DriverJars.write(driversDir.resolve("at-start.jar"), "net.snowflake.fromfolder.Driver",
                "kiln.test.driver.at-start");
        s3 = dev.kiln.training.storage.S3ProxyServer.start();
        postgres = PostgresServer.start();
        try (var connection = DriverManager.getConnection(postgres.jdbcUrl("postgres"), postgres.user(), "");
             var statement = connection.createStatement()) {
            statement.execute("create table sales (id int primary key, region text, amount numeric)");
            statement.execute("insert into sales select i, case when i % 2 = 0 then 'north' else 'south, east' end, "
                    + "i * 1.5 from generate_series(1, 10000) as i");
        }
    }

    @AfterAll
    static void stop() {
        postgres.close();
        s3.close();
    }

    @Autowired
    SqlQueries queries;
    @Autowired
    JdbcDrivers drivers;

    /** Kiln's connections to the database whose last query contains {@code marker}, as the database sees them. */
    static int kilnConnections(String marker) throws Exception {
        try (var connection = DriverManager.getConnection(postgres.jdbcUrl("postgres"), postgres.user(), "");
             var statement = connection.prepareStatement("select count(*) from pg_stat_activity "
                     + "where application_name = 'Kiln' and position(? in query) > 0")) {
            statement.setString(1, marker);
            try (var rows = statement.executeQuery()) {
                rows.next();
                return rows.getInt(1);
            }
        }
    }

    @Test
    void driversLoadOnceAtStartAndAJarDroppedLaterNeverRuns() throws Exception {
        assertThat(System.getProperty("kiln.test.driver.at-start")).as("the admin's folder is read at start")
                .isEqualTo("ran");
        assertThat(drivers.forKind("snowflake").getClass().getName()).isEqualTo("net.snowflake.fromfolder.Driver");

        // Planted afterwards, where a terminal could put it: the admin's folder and the old <data>/drivers.
        DriverJars.write(driversDir.resolve("later.jar"), "org.postgresql.planted.Driver", "kiln.test.driver.later");
        DriverJars.write(properties.dataDir().resolve("drivers/planted.jar"), "org.postgresql.planted2.Driver",
                "kiln.test.driver.planted");
        KilnPrincipal owner = ServerTestSupport.newUser(accounts, "Dru Driver");
        var session = KilnHttp.signIn("http://localhost:" + port, owner.getUsername(), "password-" + owner.getUsername());
        String studio = session.postJson("/api/studios", "{\"name\":\"Drivers\"}").path("id").asString();
        String base = "/api/studios/" + studio + "/connections";
        String connection = session.postJson(base, """
                {"name":"warehouse","kind":"postgresql","settings":{"url":"%s","user":"%s"},"secret":{"password":"x"}}"""
                .formatted(postgres.jdbcUrl("postgres"), postgres.user())).path("id").asString();
        assertThat(session.post(base + "/" + connection + "/test", "{}").body()).contains("Connected");
        String query = session.postJson(base + "/" + connection + "/queries", "{\"sql\":\"select 42\"}").path("id")
                .asString();
        assertThat(finished(session, base, query).path("rows").toString()).isEqualTo("[[\"42\"]]");
        assertThat(System.getProperty("kiln.test.driver.later")).isNull();
        assertThat(System.getProperty("kiln.test.driver.planted")).isNull();
    }

    @Test
    void aNewerQueryInTheSameEditorAndAnAbandonedCursorCloseTheirConnections() throws Exception {
        KilnPrincipal owner = ServerTestSupport.newUser(accounts, "Sue Superseded");
        var session = KilnHttp.signIn("http://localhost:" + port, owner.getUsername(), "password-" + owner.getUsername());
        String studio = session.postJson("/api/studios", "{\"name\":\"Editors\"}").path("id").asString();
        String base = "/api/studios/" + studio + "/connections";
        String connection = session.postJson(base, """
                {"name":"warehouse","kind":"postgresql","settings":{"url":"%s","user":"%s"},"secret":{"password":"x"}}"""
                .formatted(postgres.jdbcUrl("postgres"), postgres.user())).path("id").asString();
        String run = base + "/" + connection + "/queries";
        String sql = "select id, 'superseded' as marker from sales order by id";
        String first = session.postJson(run, "{\"sql\":\"" + sql + "\",\"editor\":\"e1\"}")
                .path("id").asString();
        assertThat(finished(session, base, first).path("more").asBoolean()).isTrue(); // an open cursor
        String other = session.postJson(run, "{\"sql\":\"" + sql + "\",\"editor\":\"e2\"}")
                .path("id").asString();
        finished(session, base, other);
        assertThat(queries.open(studio)).isEqualTo(2);

        String second = session.postJson(run, "{\"sql\":\"" + sql + "\",\"editor\":\"e1\"}")
                .path("id").asString();
        finished(session, base, second);
        JsonNode replaced = KilnHttp.JSON.readTree(session.get(base + "/queries/" + first).body());
        assertThat(replaced.path("status").asString()).isEqualTo("CANCELLED");
        assertThat(replaced.path("error").asString()).contains("a newer query replaced it");
        assertThat(queries.open(studio)).isEqualTo(2); // e1's second and e2's
        await().atMost(Duration.ofSeconds(10)).until(() -> kilnConnections("'superseded'") == 2);

        // Nobody reads them for longer than kiln.data.sql.idle-timeout: closed.
        queries.closeIdle(java.time.Instant.now().plus(Duration.ofMinutes(11)));
        assertThat(queries.open(studio)).isZero();
        await().atMost(Duration.ofSeconds(10)).until(() -> kilnConnections("'superseded'") == 0);
        assertThat(session.get(base + "/queries/" + second).statusCode()).isEqualTo(404);
    }

    @LocalServerPort
    int port;
    @Autowired
    UserAccounts accounts;
    @Autowired
    KilnProperties properties;

    JsonNode finished(KilnHttp session, String base, String queryId) {
        await().atMost(Duration.ofSeconds(30)).until(() -> !KilnHttp.JSON.readTree(session.get(base + "/queries/"
                + queryId).body()).path("status").asString().equals("RUNNING"));
        return KilnHttp.JSON.readTree(session.get(base + "/queries/" + queryId).body());
    }

    @Test
    void pagedCancelableQueriesWithVerbatimErrorsAndAStreamedExport() throws Exception {
        KilnPrincipal owner = ServerTestSupport.newUser(accounts, "Quinn Query");
        var session = KilnHttp.signIn("http://localhost:" + port, owner.getUsername(), "password-" + owner.getUsername());
        String studio = session.postJson("/api/studios", "{\"name\":\"SQL\"}").path("id").asString();
        String base = "/api/studios/" + studio + "/connections";
        String connection = session.postJson(base, """
                {"name":"warehouse","kind":"postgresql","settings":{"url":"%s","user":"%s"},"secret":{"password":"x"}}"""
                .formatted(postgres.jdbcUrl("postgres"), postgres.user())).path("id").asString();
        assertThat(session.post(base + "/" + connection + "/test", "{}").body()).contains("Connected");

        String query = session.postJson(base + "/" + connection + "/queries",
                "{\"sql\":\"select id, region, amount from sales order by id\"}").path("id").asString();
        JsonNode first = finished(session, base, query);
        assertThat(first.path("status").asString()).isEqualTo("READY");
        assertThat(first.path("columns").toString()).isEqualTo("[\"id\",\"region\",\"amount\"]");
        assertThat(first.path("rows")).hasSize(100);
        assertThat(first.path("rows").get(0).toString()).isEqualTo("[\"1\",\"south, east\",\"1.5\"]");
        assertThat(first.path("more").asBoolean()).isTrue();
        JsonNode second = KilnHttp.JSON.readTree(session.get(base + "/queries/" + query + "?next=true").body());
        assertThat(second.path("page").asInt()).isEqualTo(1);
        assertThat(second.path("rows").get(0).get(0).asString()).isEqualTo("101");

        String slow = session.postJson(base + "/" + connection + "/queries", "{\"sql\":\"select pg_sleep(60)\"}")
                .path("id").asString();
        await().atMost(Duration.ofSeconds(10)).until(() -> kilnConnections("pg_sleep(60)") == 1);
        session.post(base + "/queries/" + slow + "/cancel", "{}");
        long start = System.nanoTime();
        JsonNode cancelled = finished(session, base, slow);
        assertThat(cancelled.path("status").asString()).isEqualTo("CANCELLED");
        assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(20));
        // Its connection is gone from the database, and its slot is free: only the paged query's cursor stays.
        await().atMost(Duration.ofSeconds(10)).until(() -> kilnConnections("pg_sleep(60)") == 0);
        assertThat(queries.open(studio)).isEqualTo(1);

        String wrong = session.postJson(base + "/" + connection + "/queries", "{\"sql\":\"select * from nope\"}")
                .path("id").asString();
        JsonNode failed = finished(session, base, wrong);
        assertThat(failed.path("status").asString()).isEqualTo("FAILED");
        assertThat(failed.path("error").asString()).contains("relation \"nope\" does not exist");

        // Export every row onto the machine.
        session.startMachine(studio, "local-1");
        session.postJson(base + "/queries/" + query + "/export", "{\"fileName\":\"sales.csv\"}");
        await().atMost(Duration.ofSeconds(60)).until(() -> KilnHttp.JSON.readTree(session.get("/api/studios/" + studio
                + "/transfers").body()).findValuesAsString("status").contains("DONE"));
        var lines = Files.readAllLines(properties.dataDir().resolve("machines").resolve(studio)
                .resolve("home/data/sales.csv"));
        assertThat(lines).hasSize(10_001);
        assertThat(lines.get(0)).isEqualTo("id,region,amount");
        assertThat(lines.get(1)).isEqualTo("1,\"south, east\",1.5");
        assertThat(lines.get(10_000)).isEqualTo("10000,north,15000.0");
        assertThat(session.get("/exports/not-a-token").statusCode()).isEqualTo(404);
        session.post("/api/studios/" + studio + "/machine/stop", "{}");
    }

    @Test
    void resultsExportAsParquetToTheMachineAndToS3AndAFailedExportLeavesNothing() throws Exception {
        try (var client = s3.client()) {
            client.createBucket(b -> b.bucket("exports"));
            KilnPrincipal owner = ServerTestSupport.newUser(accounts, "Pia Parquet");
            var session = KilnHttp.signIn("http://localhost:" + port, owner.getUsername(), "password-"
                    + owner.getUsername());
            String studio = session.postJson("/api/studios", "{\"name\":\"Parquet\"}").path("id").asString();
            String base = "/api/studios/" + studio + "/connections";
            String warehouse = session.postJson(base, """
                    {"name":"warehouse","kind":"postgresql","settings":{"url":"%s","user":"%s"},"secret":{"password":"x"}}"""
                    .formatted(postgres.jdbcUrl("postgres"), postgres.user())).path("id").asString();
            String bucket = session.postJson(base, """
                    {"name":"exports","kind":"s3","settings":{"bucket":"exports","endpoint":"%s","pathStyle":"true"},
                     "secret":{"accessKeyId":"%s","secretAccessKey":"%s"}}""".formatted(s3.endpoint(),
                    dev.kiln.training.storage.S3ProxyServer.IDENTITY, dev.kiln.training.storage.S3ProxyServer.CREDENTIAL))
                    .path("id").asString();
            String query = session.postJson(base + "/" + warehouse + "/queries", """
                    {"sql":"select id, cast(amount as numeric(12,2)) as amount, id % 2 = 0 as even,                     timestamptz '2026-01-01 00:00:00+00' + id * interval '1 minute' as at,                     case when id % 10 = 0 then null else region end as region from sales order by id"}""")
                    .path("id").asString();
            assertThat(finished(session, base, query).path("status").asString()).isEqualTo("READY");

            // To S3, as Parquet: a multipart upload, then previewed through the same connection.
            String transfers = "/api/studios/" + studio + "/transfers";
            session.postJson(base + "/queries/" + query + "/export",
                    "{\"connection\":\"" + bucket + "\",\"key\":\"sales/all.parquet\"}");
            await().atMost(Duration.ofSeconds(60)).until(() -> !KilnHttp.JSON.readTree(session.get(transfers).body())
                    .findValuesAsString("status").contains("RUNNING"));
            assertThat(session.get(transfers).body()).contains("s3://exports/sales/all.parquet").contains("DONE");
            JsonNode preview = KilnHttp.JSON.readTree(session.get(base + "/" + bucket
                    + "/preview?key=sales/all.parquet").body());
            assertThat(preview.path("kind").asString()).isEqualTo("parquet");
            assertThat(preview.path("text").asString()).contains("10,000 rows").contains("amount: BYTE_ARRAY")
                    .contains("at: INT64");
            assertThat(preview.path("rows").get(0).toString()).isEqualTo("[\"id\",\"amount\",\"even\",\"at\",\"region\"]");
            assertThat(preview.path("rows").get(1).toString()).isEqualTo(
                    "[\"1\",\"1.50\",\"false\",\"2026-01-01T00:01:00Z\",\"south, east\"]");
            assertThat(preview.path("rows").get(10).get(4).asString()).isEmpty(); // id 10: a null region

            // A query that fails half-way through the export: the transfer says why and no object appears.
            String failing = session.postJson(base + "/" + warehouse + "/queries",
                    "{\"sql\":\"select i, 1 / (i - 150000) as boom from generate_series(1, 200000) as i\"}")
                    .path("id").asString();
            assertThat(finished(session, base, failing).path("status").asString()).isEqualTo("READY");
            session.postJson(base + "/queries/" + failing + "/export",
                    "{\"connection\":\"" + bucket + "\",\"key\":\"sales/broken.csv\"}");
            await().atMost(Duration.ofSeconds(60)).until(() -> KilnHttp.JSON.readTree(session.get(transfers).body())
                    .findValuesAsString("status").contains("FAILED"));
            assertThat(session.get(transfers).body()).contains("division by zero");
            assertThat(client.listObjectsV2(b -> b.bucket("exports").prefix("sales/")).contents())
                    .extracting(o -> o.key()).containsExactly("sales/all.parquet");

            // Onto the machine, as Parquet: the file Hardwood reads back has every row.
            session.startMachine(studio, "local-1");
            session.postJson(base + "/queries/" + query + "/export", "{\"fileName\":\"sales.parquet\"}");
            await().atMost(Duration.ofSeconds(60)).until(() -> KilnHttp.JSON.readTree(session.get(transfers).body())
                    .findValuesAsString("target").contains("data/sales.parquet") && session.get(transfers).body()
                    .matches("(?s).*data/sales.parquet[^}]*DONE.*"));
            var file = properties.dataDir().resolve("machines").resolve(studio).resolve("home/data/sales.parquet");
            try (var reader = dev.hardwood.reader.ParquetFileReader.open(dev.hardwood.InputFile.of(file))) {
                assertThat(reader.getFileMetaData().numRows()).isEqualTo(10_000);
            }
            assertThat(session.post(base + "/queries/" + query + "/export", "{\"fileName\":\"..\"}").statusCode())
                    .isEqualTo(400);
            session.post("/api/studios/" + studio + "/machine/stop", "{}");
        }
    }

    @Test
    void aPrepJobReadsAQueryThroughTheStudiosConnection() throws Exception {
        KilnPrincipal owner = ServerTestSupport.newUser(accounts, "Sam Sql");
        var session = KilnHttp.signIn("http://localhost:" + port, owner.getUsername(), "password-" + owner.getUsername());
        String studio = session.postJson("/api/studios", "{\"name\":\"SQL prep\"}").path("id").asString();
        session.postJson("/api/studios/" + studio + "/connections", """
                {"name":"warehouse","kind":"postgresql","settings":{"url":"%s","user":"%s"},"secret":{"password":"x"},
                 "forJobs":true}""".formatted(postgres.jdbcUrl("postgres"), postgres.user()));
        session.startMachine(studio, "local-1");
        JsonNode job = session.runJob(studio, "example.PrepareData", "sql=warehouse",
                "query=select id as a, id * 2 as b, amount as y from sales where id <= 5000 order by id",
                "target=data/from-sql", "label=y");
        String log = session.jobLog(studio, job.path("id").asString(), "");
        assertThat(job.path("status").asString()).as(log).isEqualTo("SUCCEEDED");
        assertThat(log).contains("wrote 5,000 rows of 2 features to data/from-sql");
        var index = properties.dataDir().resolve("machines").resolve(studio).resolve("home/workspace/data/from-sql/index.json");
        assertThat(Files.readString(index)).contains("\"rows\" : 5000");
        session.post("/api/studios/" + studio + "/machine/stop", "{}");
    }
}
