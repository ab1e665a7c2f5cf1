package dev.kiln.server.collab;

import dev.kiln.server.KilnHttp;

import dev.kiln.collab.ChangeSet;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Kill -9 the server in the middle of a session: after a restart on the same data directory, every edit a client
 * had been told was accepted is there, the edits made while the server was down arrive when the clients reconnect,
 * and no edit appears twice.
 */
class CollabCrashIT {

    static final String PASSWORD = "crash-test-password";
    final Path dataDir = tempDir();
    final int port = freePort();
    Process server;

    @AfterEach
    void stop() {
        if (server != null) {
            server.destroyForcibly();
        }
    }

    @Test
    void noAcknowledgedEditIsLostAndOfflineEditsArriveAfterARestart() throws Exception {
        start();
        var admin = KilnHttp.signIn(base(), "admin", PASSWORD);
        var studioId = admin.postJson("/api/studios", "{\"name\":\"Crash\"}").get("id").asString();
        var alice = CollabSocketClient.connect(admin, studioId, "README.md", "tab-a");
        var bob = CollabSocketClient.connect(KilnHttp.signIn(base(), "admin", PASSWORD), studioId, "README.md", "tab-b");

        for (int i = 1; i <= 30; i++) {
            var token = "[A" + i + "]";
            alice.edit(doc -> ChangeSet.replace(doc.length(), doc.length(), doc.length(), token));
            var other = "[B" + i + "]";
            bob.edit(doc -> ChangeSet.replace(doc.length(), 0, 0, other));
        }
        alice.awaitSettled(60, Duration.ofSeconds(20));
        bob.awaitSettled(60, Duration.ofSeconds(20));

        // Alice keeps typing; the server dies under her.
        for (int i = 31; i <= 60; i++) {
            var token = "[A" + i + "]";
            alice.edit(doc -> ChangeSet.replace(doc.length(), doc.length(), doc.length(), token));
        }
        server.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
        alice.abort();
        bob.abort();
        var acknowledged = alice.confirmedText();
        int acknowledgedVersion = alice.version();

        // Bob types while the server is down.
        for (int i = 31; i <= 35; i++) {
            var token = "[B" + i + "]";
            bob.editOffline(doc -> ChangeSet.replace(doc.length(), 0, 0, token));
        }

        start();
        // Before anyone reconnects, the restarted server already holds every acknowledged edit.
        var session = KilnHttp.signIn(base(), "admin", PASSWORD);
        try (var probe = CollabSocketClient.connect(session, studioId, "README.md", "probe")) {
            assertThat(probe.version()).isGreaterThanOrEqualTo(acknowledgedVersion);
            // Alice's acknowledged text, possibly followed by pushes that became durable just before the kill.
            assertThat(probe.doc()).startsWith(acknowledged);
        }

        alice.reconnect(session, studioId, "README.md");
        bob.reconnect(KilnHttp.signIn(base(), "admin", PASSWORD), studioId, "README.md");
        var end = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        while (System.nanoTime() < end && (alice.pending() > 0 || bob.pending() > 0 || alice.version() != bob.version())) {
            alice.flush();
            bob.flush();
            Thread.sleep(20);
        }
        assertThat(alice.pending()).isZero();
        assertThat(bob.pending()).isZero();
        assertThat(alice.doc()).isEqualTo(bob.doc());
        var text = alice.doc();
        for (int i = 1; i <= 60; i++) {
            assertThat(count(text, "[A" + i + "]")).as("[A" + i + "] exactly once").isEqualTo(1);
        }
        for (int i = 1; i <= 35; i++) {
            assertThat(count(text, "[B" + i + "]")).as("[B" + i + "] exactly once").isEqualTo(1);
        }
        alice.close();
        bob.close();
    }

    private static int count(String text, String token) {
        return (int) Pattern.compile(Pattern.quote(token)).matcher(text).results().count();
    }

    private String base() {
        return "http://localhost:" + port;
    }

    private void start() throws Exception {
        var jar = Path.of("target", "kiln.jar");
        assertThat(jar).as("the packaged server (run through mvn verify)").exists();
        var java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        var builder = new ProcessBuilder(java, "-jar", jar.toString(), "--server.port=" + port).redirectErrorStream(true);
        builder.environment().put("KILN_DATA_DIR", dataDir.toString());
        builder.environment().put("KILN_ADMIN_PASSWORD", PASSWORD);
        server = builder.start();
        var ready = new CountDownLatch(1);
        var process = server;
        var reader = new Thread(() -> {
            try (var lines = new BufferedReader(new InputStreamReader(process.getInputStream()))) {
                String line;
                while ((line = lines.readLine()) != null) {
                    if (line.contains("Kiln is ready at")) {
                        ready.countDown();
                    }
                }
            } catch (IOException ignored) {
                // the process was killed
            }
        });
        reader.setDaemon(true);
        reader.start();
        assertThat(ready.await(90, TimeUnit.SECONDS)).as("Kiln started").isTrue();
    }

    private static Path tempDir() {
        try {
            return Files.createTempDirectory("kiln-crash-");
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    private static int freePort() {
        try (var socket = new ServerSocket(0)) {
            return socket.getLocalPort();
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }
}
