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
 * cursor, a long query is cancelled, SQL errors are shown verbatim, and an export streams every row as CSV onto the
 * studio's machine. (Snowflake uses the same path with its driver; its settings are unit-tested.)
 */
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT)
class SqlQueriesIT {
    static PostgresServer postgres;

    @DynamicPropertySource
    static void dataDirectory(DynamicPropertyRegistry registry) {
        ServerTestSupport.freshDataDirectory(registry);
    }

    @BeforeAll
    static void database() throws Exception {
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
        Thread.sleep(500);
        session.post(base + "/queries/" + slow + "/cancel", "{}");
        long start = System.nanoTime();
        JsonNode cancelled = finished(session, base, slow);
        assertThat(cancelled.path("status").asString()).isEqualTo("CANCELLED");
        assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(20));

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
}
