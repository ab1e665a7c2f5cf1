package dev.kiln.server.data;

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
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * SQL work is bounded. 40 queries against a database that accepts connections and never says a word (a local TCP
 * server, allowlisted): the per-studio and the total limits refuse what is over them with 429, and after a cancel or
 * the login timeout no thread is left in the JDBC driver, no socket open, no slot taken.
 */
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT)
class SqlLimitsIT {
    static ServerSocket silent;
    static final List<Socket> accepted = new CopyOnWriteArrayList<>();

    @DynamicPropertySource
    static void properties(DynamicPropertyRegistry registry) {
        ServerTestSupport.freshDataDirectory(registry);
        registry.add("kiln.data.allowed-endpoints", () -> "127.0.0.1:" + silent.getLocalPort());
        registry.add("kiln.data.sql.connect-timeout", () -> "4s");
    }

    /** Accepts every connection and never reads or writes a byte. */
    @BeforeAll
    static void silentDatabase() throws IOException {
        silent = new ServerSocket(0, 100, InetAddress.getLoopbackAddress());
        Thread.ofVirtual().start(() -> {
            while (!silent.isClosed()) {
                try {
                    accepted.add(silent.accept());
                } catch (IOException e) {
                    return;
                }
            }
        });
    }

    @AfterAll
    static void stop() throws IOException {
        silent.close();
        for (Socket socket : accepted) {
            socket.close();
        }
    }

    @LocalServerPort
    int port;
    @Autowired
    UserAccounts accounts;
    @Autowired
    SqlQueries queries;

    /** Threads with a JDBC driver's frame on their stack: the ones a hung database would hold for good. */
    static List<String> threadsInTheDriver() {
        var found = new ArrayList<String>();
        Thread.getAllStackTraces().forEach((thread, stack) -> {
            if (Arrays.stream(stack).anyMatch(frame -> frame.getClassName().startsWith("org.postgresql"))) {
                found.add(thread.getName());
            }
        });
        return found;
    }

    @Test
    void fortyQueriesToADatabaseThatNeverAnswersLeaveNoThreadBehind() throws Exception {
        KilnPrincipal owner = ServerTestSupport.newUser(accounts, "Hal Hung");
        var session = KilnHttp.signIn("http://localhost:" + port, owner.getUsername(), "password-" + owner.getUsername());
        var studios = new ArrayList<String>();
        var connections = new ArrayList<String>();
        for (int i = 0; i < 10; i++) {
            String studio = session.postJson("/api/studios", "{\"name\":\"Hung " + i + "\"}").path("id").asString();
            studios.add(studio);
            connections.add(session.postJson("/api/studios/" + studio + "/connections", """
                    {"name":"silent","kind":"postgresql","settings":{"url":"jdbc:postgresql://127.0.0.1:%d/db",
                     "user":"u"},"secret":{"password":"p"}}""".formatted(silent.getLocalPort())).path("id").asString());
        }
        int threadsBefore = Thread.activeCount();

        // 4 in each of 10 studios: 32 run (kiln.data.sql.max-total), 8 are refused; a 5th in a studio is refused too.
        var started = new ArrayList<String[]>();
        var refused = new ArrayList<String>();
        for (int i = 0; i < 10; i++) {
            for (int n = 0; n < 4; n++) {
                var response = session.post("/api/studios/" + studios.get(i) + "/connections/" + connections.get(i)
                        + "/queries", "{\"sql\":\"select 1\"}");
                if (response.statusCode() == 201) {
                    started.add(new String[] {studios.get(i), KilnHttp.JSON.readTree(response.body()).path("id")
                            .asString()});
                } else {
                    assertThat(response.statusCode()).as(response.body()).isEqualTo(429);
                    refused.add(KilnHttp.JSON.readTree(response.body()).path("detail").asString());
                }
            }
        }
        assertThat(started).hasSize(32);
        assertThat(refused).hasSize(8).allSatisfy(detail -> assertThat(detail).startsWith("Too many queries running "
                + "on this Kiln (32"));
        var fifth = session.post("/api/studios/" + studios.get(0) + "/connections/" + connections.get(0) + "/queries",
                "{\"sql\":\"select 1\"}");
        assertThat(fifth.statusCode()).isEqualTo(429);
        assertThat(fifth.body()).contains("this studio has 4 open");
        await().atMost(Duration.ofSeconds(3)).until(() -> accepted.size() >= 32);
        assertThat(threadsInTheDriver()).hasSizeLessThanOrEqualTo(32);

        // Half are cancelled; the other half run into Kiln's login timeout (4 s here), whatever the URL says.
        for (String[] query : started.subList(0, 16)) {
            session.post("/api/studios/" + query[0] + "/connections/queries/" + query[1] + "/cancel", "{}");
        }
        await().atMost(Duration.ofSeconds(3)).until(() -> started.subList(0, 16).stream().allMatch(q ->
                status(session, q).equals("CANCELLED")));
        await().atMost(Duration.ofSeconds(15)).until(() -> started.stream().noneMatch(q ->
                status(session, q).equals("RUNNING")));
        for (String[] query : started.subList(16, 32)) {
            var state = KilnHttp.JSON.readTree(session.get("/api/studios/" + query[0] + "/connections/queries/"
                    + query[1]).body());
            assertThat(state.path("status").asString()).isEqualTo("FAILED");
            assertThat(state.path("error").asString()).isEqualTo(EndpointPolicy.UNREACHABLE);
        }
        await().atMost(Duration.ofSeconds(5)).until(() -> threadsInTheDriver().isEmpty());
        assertThat(queries.open()).isZero();
        await().atMost(Duration.ofSeconds(5)).until(() -> accepted.stream().allMatch(SqlLimitsIT::closedByKiln));
        System.out.printf("threads: %d before, %d after 40 hung queries (the SQL pool's idle threads end after 30 s)%n",
                threadsBefore, Thread.activeCount());

        // The slots are free again.
        assertThat(session.post("/api/studios/" + studios.get(9) + "/connections/" + connections.get(9) + "/queries",
                "{\"sql\":\"select 1\"}").statusCode()).isEqualTo(201);
    }

    static String status(KilnHttp session, String[] query) {
        return KilnHttp.JSON.readTree(session.get("/api/studios/" + query[0] + "/connections/queries/" + query[1])
                .body()).path("status").asString();
    }

    /** The other end hung up: a read sees the end of the stream (Kiln's startup message first). */
    static boolean closedByKiln(Socket socket) {
        try {
            socket.setSoTimeout(200);
            var in = socket.getInputStream();
            while (true) {
                if (in.read() < 0) {
                    return true;
                }
            }
        } catch (java.net.SocketTimeoutException e) {
            return false;
        } catch (IOException e) {
            return true; // reset by the peer: closed as well
        }
    }
}
