package dev.kiln.server.collab;

import dev.kiln.server.KilnHttp;

import dev.kiln.collab.ChangeSet;
import dev.kiln.collab.EditingTrace;
import dev.kiln.server.ServerTestSupport;
import dev.kiln.server.security.KilnPrincipal;
import dev.kiln.server.security.UserAccounts;
import dev.kiln.server.studio.SharingService;
import dev.kiln.server.studio.StudioService;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.WebSocket;
import java.net.http.WebSocketHandshakeException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CompletionException;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

/** Several real WebSocket clients against a running server: co-editing, roles, revocation, write-back, the trace. */
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT)
class CollabWebSocketIT {

    @DynamicPropertySource
    static void dataDirectory(DynamicPropertyRegistry registry) {
        ServerTestSupport.freshDataDirectory(registry);
    }

    @LocalServerPort
    int port;
    @Autowired
    UserAccounts accounts;
    @Autowired
    StudioService studios;
    @Autowired
    SharingService sharing;

    KilnPrincipal owner;
    KilnPrincipal editor;
    KilnPrincipal viewer;
    String studioId;
    String editorToken;
    final List<CollabSocketClient> clients = new ArrayList<>();

    String base() {
        return "http://localhost:" + port;
    }

    KilnHttp session(KilnPrincipal user) {
        return KilnHttp.signIn(base(), user.getUsername(), "password-" + user.getUsername());
    }

    CollabSocketClient connect(KilnPrincipal user, String path, String clientId) {
        var client = CollabSocketClient.connect(session(user), studioId, path, clientId);
        clients.add(client);
        return client;
    }

    @BeforeEach
    void studioSharedWithAnEditorAndAViewer() {
        owner = ServerTestSupport.newUser(accounts, "Olivia Owner");
        editor = ServerTestSupport.newUser(accounts, "Eddie Editor");
        viewer = ServerTestSupport.newUser(accounts, "Vera Viewer");
        ServerTestSupport.signIn(owner);
        studioId = studios.create("Shared").id();
        editorToken = sharing.createLink(studioId, "editor", null).token();
        var viewerToken = sharing.createLink(studioId, "viewer", Duration.ofDays(1)).token();
        ServerTestSupport.signIn(editor);
        sharing.join(editorToken);
        ServerTestSupport.signIn(viewer);
        sharing.join(viewerToken);
        ServerTestSupport.signOut();
    }

    @AfterEach
    void closeClients() {
        clients.forEach(CollabSocketClient::close);
        ServerTestSupport.signOut();
    }

    @Test
    void severalClientsTypingAtOnceAllEndWithTheServersText() throws Exception {
        var ada = connect(owner, "README.md", "owner-tab");
        var bob = connect(editor, "README.md", "editor-tab");
        var eve = connect(editor, "README.md", "editor-tab-2");
        var vic = connect(viewer, "README.md", "viewer-tab");
        assertThat(vic.received().get(0).path("role").asString()).isEqualTo("viewer");

        var pool = Executors.newFixedThreadPool(3);
        long seed = System.nanoTime();
        for (var client : List.of(ada, bob, eve)) {
            pool.submit(() -> {
                var random = new Random(seed + client.clientId.hashCode());
                for (int i = 0; i < 150; i++) {
                    client.edit(doc -> {
                        int at = random.nextInt(doc.length() + 1);
                        int to = Math.min(doc.length(), at + (random.nextInt(4) == 0 ? random.nextInt(3) : 0));
                        return ChangeSet.replace(doc.length(), at, to, client.clientId.substring(0, 1) + i(random));
                    });
                }
            });
        }
        pool.shutdown();
        assertThat(pool.awaitTermination(60, TimeUnit.SECONDS)).isTrue();

        await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> {
            var serverText = liveText("README.md");
            for (var client : List.of(ada, bob, eve, vic)) {
                client.flush();
                assertThat(client.pending()).as(client.clientId + " pending (seed " + seed + ")").isZero();
                assertThat(client.doc()).as(client.clientId + " (seed " + seed + ")").isEqualTo(serverText);
            }
        });
        assertThat(ada.doc()).contains("o", "e");

        // Presence: everyone is listed with the name the server knows, not one the client made up.
        var presence = vic.awaitMessage(m -> m.path("type").asString().equals("presence") && m.path("participants").size() == 4, Duration.ofSeconds(5));
        assertThat(presence.toString()).contains("Olivia Owner", "Eddie Editor", "Vera Viewer");
    }

    private static String i(Random random) {
        return String.valueOf((char) ('a' + random.nextInt(26)));
    }

    /** The server's text, as a fresh client sees it. */
    private String liveText(String path) {
        try (var probe = CollabSocketClient.connect(session(owner), studioId, path, "probe-" + System.nanoTime())) {
            return probe.doc();
        }
    }

    @Test
    void openEditorsCostLittleMemoryAndLargeFramesStillArriveWhole() {
        // Each connection's receive buffer is small (a limit as large as a file once cost 44 MB of heap per editor,
        // and some 140 open editors exhausted a 6 GB heap); frames larger than it arrive in parts.
        var memory = java.lang.management.ManagementFactory.getMemoryMXBean();
        System.gc();
        long before = memory.getHeapMemoryUsage().getUsed();
        for (int i = 0; i < 40; i++) {
            connect(editor, "README.md", "many-" + i);
        }
        System.gc();
        long grown = memory.getHeapMemoryUsage().getUsed() - before;
        assertThat(grown).as("heap grown by 40 open editors").isLessThan(400L << 20);

        var ada = connect(owner, "README.md", "big-frames");
        String big = "x".repeat(300_000); // several times the receive buffer
        int version = ada.version();
        ada.edit(doc -> ChangeSet.replace(doc.length(), 0, 0, big));
        ada.awaitSettled(version + 1, Duration.ofSeconds(20));
        assertThat(liveText("README.md")).startsWith(big);

        // A frame over the frame limit (twice the file limit plus 1 MiB) still closes the connection with 1009.
        var flood = connect(owner, "README.md", "over-limit");
        flood.send("{\"type\":\"ping\",\"pad\":\"" + "y".repeat(22 << 20) + "\"}");
        await().atMost(Duration.ofSeconds(20)).until(() -> flood.closeCode != -1);
        assertThat(flood.closeCode).isEqualTo(1009);
    }

    @Test
    void aViewersPushIsRefusedEvenFromAModifiedClient() {
        var vic = connect(viewer, "README.md", "viewer-tab");
        var before = vic.doc();
        vic.send("{\"type\":\"push\",\"version\":" + vic.version() + ",\"updates\":[{\"clientId\":\"viewer-tab\",\"changes\":[[0,\"pwned \"]," + before.length() + "]}]}");

        var error = vic.awaitMessage(m -> m.path("type").asString().equals("error"), Duration.ofSeconds(5));
        assertThat(error.path("code").asString()).isEqualTo("read-only");
        assertThat(liveText("README.md")).isEqualTo(before);
    }

    @Test
    void editsAreWrittenBackToGitCreditingEveryEditor() {
        var ada = connect(owner, "README.md", "owner-tab");
        var bob = connect(editor, "README.md", "editor-tab");
        ada.edit(doc -> ChangeSet.replace(doc.length(), 0, 0, "From Olivia. "));
        ada.awaitSettled(1, Duration.ofSeconds(10));
        bob.awaitSettled(1, Duration.ofSeconds(10));
        bob.edit(doc -> ChangeSet.replace(doc.length(), doc.length(), doc.length(), "\nFrom Eddie."));
        bob.awaitSettled(2, Duration.ofSeconds(10));

        ServerTestSupport.signIn(owner);
        await().pollInSameThread().atMost(Duration.ofSeconds(15)).untilAsserted(() -> {
            var file = studios.read(studioId, "README.md");
            assertThat(file.text()).startsWith("From Olivia. ").endsWith("\nFrom Eddie.");
            // The read may come from the live document; the commit lands with the write-back about 2 s later.
            assertThat(studios.history(studioId, "README.md").get(0).message())
                    .isEqualTo("Edit README.md (Olivia Owner, Eddie Editor)");
        });
        var latest = studios.history(studioId, "README.md").get(0);
        assertThat(latest.authorName()).isEqualTo("Olivia Owner");
        assertThat(fullMessage(latest.commitId())).contains("Co-authored-by: Eddie Editor");
    }

    @Autowired
    dev.kiln.server.studio.Workspaces workspaces;

    private String fullMessage(String commitId) {
        try (var git = org.eclipse.jgit.api.Git.open(workspaces.get(studioId).root().toFile());
             var walk = new org.eclipse.jgit.revwalk.RevWalk(git.getRepository())) {
            return walk.parseCommit(org.eclipse.jgit.lib.ObjectId.fromString(commitId)).getFullMessage();
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    @Test
    void revokingTheLinkEndsTheEditorsConnectionAtOnce() {
        var bob = connect(editor, "README.md", "editor-tab");
        var ada = connect(owner, "README.md", "owner-tab");

        ServerTestSupport.signIn(owner);
        sharing.revoke(studioId, editorToken);

        bob.awaitMessage(m -> m.path("type").asString().equals("revoked"), Duration.ofSeconds(2));
        await().atMost(Duration.ofSeconds(2)).until(() -> bob.closeCode == 4403);
        assertThat(ada.closeCode).isEqualTo(-1);
        var api = session(owner);
        assertThat(api.get("/api/studios/" + studioId).statusCode()).isEqualTo(200);
        assertThatThrownBy(() -> session(editor).postJson("/api/studios/joined/" + editorToken, "{}"))
                .hasMessageContaining("404");
        assertThat(session(editor).get("/api/studios/" + studioId).statusCode()).isEqualTo(404);
    }

    @Test
    void theHandshakeRefusesStrangersAndAnonymousCallers() {
        var stranger = ServerTestSupport.newUser(accounts, "Stranger");
        var strangerSession = session(stranger);
        assertThat(handshakeStatus(strangerSession.cookieHeader(), studioId, "README.md")).isEqualTo(404);
        assertThat(handshakeStatus("", studioId, "README.md")).isEqualTo(401);
        assertThat(handshakeStatus(session(owner).cookieHeader(), studioId, "../../etc/passwd")).isEqualTo(400);
    }

    private int handshakeStatus(String cookie, String studio, String path) {
        var builder = HttpClient.newHttpClient().newWebSocketBuilder();
        if (!cookie.isEmpty()) {
            builder.header("Cookie", cookie);
        }
        try {
            builder.buildAsync(URI.create("ws://localhost:" + port + "/collab/" + studio + "?path="
                    + java.net.URLEncoder.encode(path, java.nio.charset.StandardCharsets.UTF_8)), new WebSocket.Listener() {
            }).join().abort();
            return 101;
        } catch (CompletionException e) {
            if (e.getCause() instanceof WebSocketHandshakeException handshake) {
                return handshake.getResponse().statusCode();
            }
            throw e;
        }
    }

    @Autowired
    dev.kiln.server.studio.LiveStudios liveStudios;
    @Autowired
    dev.kiln.server.studio.StudioActivity activity;

    /** What the server holds live for a studio has owners, and deleting the studio releases it in all of them. */
    @Test
    void deletingAStudioReleasesWhatTheServerHeldLiveForIt() {
        var ada = connect(owner, "README.md", "owner-tab");
        ada.edit(doc -> ChangeSet.replace(doc.length(), 0, 0, "typed just before the studio went\n"));
        ada.flush();
        activity.touch(studioId);
        assertThat(liveStudios.holding(studioId)).contains("CollabDocuments", "StudioActivity");

        ServerTestSupport.signIn(owner);
        studios.delete(studioId);
        ada.awaitMessage(m -> m.path("type").asString().equals("closed")
                && m.path("message").asString().contains("deleted"), Duration.ofSeconds(5));
        assertThat(liveStudios.holding(studioId)).as("nothing of the deleted studio is held any more").isEmpty();
    }

    @Test
    void theAutomergeTraceReplayedThroughTheWebSocketEndsWithItsText() {
        var file = EditingTrace.locate("automerge-paper.json.gz");
        if (file.isEmpty()) {
            Assumptions.assumeFalse("true".equals(System.getenv("CI")), "CI must have the trace");
            Assumptions.abort("editing trace not found beside the checkout");
        }
        var trace = EditingTrace.read(file.get());
        ServerTestSupport.signIn(owner);
        studios.createFile(studioId, "paper.md");
        ServerTestSupport.signOut();

        var typist = connect(owner, "paper.md", "typist");
        int sent = 0;
        var patches = trace.patches();
        while (sent < patches.size()) {
            int batchEnd = Math.min(patches.size(), sent + 1024);
            for (var patch : patches.subList(sent, batchEnd)) {
                typist.editOffline(doc -> ChangeSet.replace(doc.length(), patch.pos(), patch.pos() + patch.delete(), patch.insert()));
            }
            sent = batchEnd;
            typist.flush();
            typist.awaitSettled(sent, Duration.ofSeconds(60));
        }
        assertThat(typist.doc()).isEqualTo(trace.endContent());
        assertThat(liveText("paper.md")).isEqualTo(trace.endContent());
    }
}
