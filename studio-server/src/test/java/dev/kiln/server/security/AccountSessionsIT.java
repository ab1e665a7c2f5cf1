package dev.kiln.server.security;

import dev.kiln.server.KilnHttp;
import dev.kiln.server.ServerTestSupport;
import dev.kiln.server.studio.SharingService;
import dev.kiln.server.studio.StudioService;
import dev.kiln.api.security.UserDirectory;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.WebSocket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.CopyOnWriteArrayList;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Accounts and sessions against a running server, with real HTTP sessions and sockets: the session cookie's
 * attributes, an administrator's disable / reset / delete ending the user's sessions and open editor and terminal
 * sockets at once, a password change ending the other sessions only, {@code /git} Basic throttled, and request
 * bodies refused before they are read.
 */
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT,
        properties = {"server.forward-headers-strategy=native", "kiln.max-request-size=2MB"})
class AccountSessionsIT {

    @DynamicPropertySource
    static void dataDirectory(DynamicPropertyRegistry registry) {
        ServerTestSupport.freshDataDirectory(registry);
    }

    @LocalServerPort
    int port;
    @Autowired
    UserAccounts accounts;
    @Autowired
    UserDirectory directory;
    @Autowired
    StudioService studios;
    @Autowired
    SharingService sharing;

    final List<Socket> sockets = new CopyOnWriteArrayList<>();

    @AfterEach
    void clear() {
        ServerTestSupport.signOut();
        for (var socket : sockets) {
            try {
                socket.close();
            } catch (IOException ignored) {
                // closing anyway
            }
        }
    }

    String base() {
        return "http://localhost:" + port;
    }

    KilnHttp session(KilnPrincipal user) {
        return KilnHttp.signIn(base(), user.getUsername(), "password-" + user.getUsername());
    }

    /** A studio owned by someone else, shared with {@code user} as editor; returns its id. */
    String sharedStudioFor(KilnPrincipal user) {
        var owner = ServerTestSupport.newUser(accounts, "Studio Owner");
        ServerTestSupport.signIn(owner);
        var studioId = studios.create("Team").id();
        var token = sharing.createLink(studioId, "editor", null).token();
        ServerTestSupport.signIn(user);
        sharing.join(token);
        ServerTestSupport.signOut();
        return studioId;
    }

    void asAdmin() {
        ServerTestSupport.signIn(accounts.find("admin").orElseThrow());
    }

    @Test
    void theSessionCookieIsSameSiteLaxAndSecureBehindAnHttpsProxy() throws Exception {
        var http = HttpClient.newHttpClient();
        var plain = http.send(HttpRequest.newBuilder(URI.create(base() + "/login")).build(), HttpResponse.BodyHandlers.ofString());
        var cookie = plain.headers().allValues("Set-Cookie").stream().filter(c -> c.startsWith("SESSION=")).findFirst().orElseThrow();
        assertThat(cookie).contains("SameSite=Lax", "HttpOnly").doesNotContain("Secure");

        var proxied = http.send(HttpRequest.newBuilder(URI.create(base() + "/login")).header("X-Forwarded-Proto", "https").build(),
                HttpResponse.BodyHandlers.ofString());
        var secure = proxied.headers().allValues("Set-Cookie").stream().filter(c -> c.startsWith("SESSION=")).findFirst().orElseThrow();
        assertThat(secure).contains("SameSite=Lax", "HttpOnly", "Secure");
    }

    @Test
    void disablingAUserEndsTheirSessionAndClosesTheirEditorAndTerminalAtOnce() {
        var eve = ServerTestSupport.newUser(accounts, "Eve");
        var studioId = sharedStudioFor(eve);
        var web = session(eve);
        assertThat(web.get("/api/studios").statusCode()).isEqualTo(200);
        var editor = Socket2.open(web, "/collab/" + studioId + "?path=README.md", "{\"type\":\"hello\",\"clientId\":\"eve-tab\"}");
        editor.awaitText("welcome");
        var terminal = Socket2.open(web, "/terminal/" + studioId + "?name=1", null);
        terminal.awaitText("No machine is running");

        asAdmin();
        directory.setDisabled(eve.getUsername(), true);

        await().atMost(Duration.ofSeconds(2)).untilAsserted(() -> assertThat(List.of(editor.closeCode, terminal.closeCode))
                .containsExactly(4403, 4403));
        assertThat(editor.texts).anyMatch(t -> t.contains("revoked") && t.contains("disabled your account"));
        assertThat(web.get("/api/studios").statusCode()).as("the HTTP session is gone").isEqualTo(401);
    }

    @Test
    void resettingOrDeletingAnAccountEndsItsSessionsToo() {
        var fred = ServerTestSupport.newUser(accounts, "Fred");
        var studioId = sharedStudioFor(fred);
        var web = session(fred);
        var editor = Socket2.open(web, "/collab/" + studioId + "?path=README.md", "{\"type\":\"hello\",\"clientId\":\"fred-tab\"}");
        editor.awaitText("welcome");
        asAdmin();
        directory.resetPassword(fred.getUsername(), "reset-by-the-admin");
        await().atMost(Duration.ofSeconds(2)).untilAsserted(() -> assertThat(editor.closeCode).isEqualTo(4403));
        assertThat(web.get("/api/studios").statusCode()).isEqualTo(401);

        var again = KilnHttp.signIn(base(), fred.getUsername(), "reset-by-the-admin");
        assertThat(again.get("/api/studios").statusCode()).isEqualTo(200);
        asAdmin();
        directory.delete(fred.getUsername());
        assertThat(again.get("/api/studios").statusCode()).isEqualTo(401);
    }

    @Test
    void changingYourOwnPasswordEndsYourOtherSessionsButNotThisOne() {
        var gwen = ServerTestSupport.newUser(accounts, "Gwen");
        var laptop = session(gwen);
        var phone = session(gwen);
        var changed = laptop.put("/api/account/password",
                "{\"current\":\"password-" + gwen.getUsername() + "\",\"password\":\"gwen-new-password\"}");
        assertThat(changed.statusCode()).as(changed.body()).isEqualTo(204);
        assertThat(laptop.get("/api/studios").statusCode()).isEqualTo(200);
        assertThat(phone.get("/api/studios").statusCode()).isEqualTo(401);
    }

    @Test
    void gitBasicIsThrottledLikeTheSignInForm() throws Exception {
        var hal = ServerTestSupport.newUser(accounts, "Hal");
        ServerTestSupport.signIn(hal);
        var studioId = studios.create("Repo").id();
        ServerTestSupport.signOut();
        var refs = base() + "/git/" + studioId + ".git/info/refs?service=git-upload-pack";
        var http = HttpClient.newHttpClient();
        java.util.function.Function<String, HttpResponse<String>> fetch = password -> {
            var basic = Base64.getEncoder().encodeToString((hal.getUsername() + ":" + password).getBytes(StandardCharsets.UTF_8));
            try {
                return http.send(HttpRequest.newBuilder(URI.create(refs)).header("Authorization", "Basic " + basic).build(),
                        HttpResponse.BodyHandlers.ofString());
            } catch (IOException | InterruptedException e) {
                throw new IllegalStateException(e);
            }
        };
        assertThat(fetch.apply("password-" + hal.getUsername()).statusCode()).isEqualTo(200);
        for (int i = 0; i < 30; i++) {
            assertThat(fetch.apply("wrong-" + i).statusCode()).isIn(401, 429);
        }
        var right = fetch.apply("password-" + hal.getUsername());
        assertThat(right.statusCode()).as("the right password right after 30 wrong ones").isEqualTo(429);
        assertThat(right.headers().firstValue("Retry-After")).isPresent();
        assertThat(right.body()).contains("Too many failed sign-ins");
    }

    @Test
    void anOversizedBodyIsRefusedBeforeAByteOfItIsRead() throws Exception {
        var ivy = ServerTestSupport.newUser(accounts, "Ivy");
        var web = session(ivy);
        var studioId = web.postJson("/api/studios", "{\"name\":\"Big\"}").path("id").asString();
        var csrf = KilnHttp.JSON.readTree(web.get("/api/studios/csrf").body());

        // 60 MB announced, nothing sent: the answer must come without the server waiting for the body.
        var socket = connect();
        var out = socket.getOutputStream();
        out.write(("PUT /api/studios/" + studioId + "/file?path=big.txt HTTP/1.1\r\nHost: localhost\r\n"
                + "Cookie: " + web.cookieHeader() + "\r\n" + csrf.path("headerName").asString() + ": " + csrf.path("token").asString()
                + "\r\nContent-Type: application/json\r\nContent-Length: " + (60L << 20) + "\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
        out.flush();
        var answer = readResponse(socket.getInputStream());
        assertThat(answer).startsWith("HTTP/1.1 413").contains("application/problem+json", "kiln.max-request-size");
        assertThat(web.get("/api/studios/" + studioId + "/file?path=big.txt").statusCode()).isEqualTo(404);

        // A chunked body of undeclared size is cut at the limit (2 MB here) while it is read.
        var chunked = connect();
        var chunkedOut = chunked.getOutputStream();
        chunkedOut.write(("PUT /api/studios/" + studioId + "/file?path=big.txt HTTP/1.1\r\nHost: localhost\r\n"
                + "Cookie: " + web.cookieHeader() + "\r\n" + csrf.path("headerName").asString() + ": " + csrf.path("token").asString()
                + "\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
        var writer = CompletableFuture.runAsync(() -> writeChunks(chunkedOut, 8L << 20));
        var cut = readResponse(chunked.getInputStream());
        assertThat(cut).startsWith("HTTP/1.1 413").contains("kiln.max-request-size");
        writer.exceptionally(e -> null).join();
        assertThat(web.get("/api/studios/" + studioId + "/file?path=big.txt").statusCode()).isEqualTo(404);

        // Under the limit, a save works as before.
        var small = web.put("/api/studios/" + studioId + "/file?path=small.txt",
                "{\"text\":\"" + "x".repeat(500_000) + "\",\"baseVersion\":\"\"}");
        assertThat(small.statusCode()).as(small.body()).isEqualTo(200);
    }

    private Socket connect() throws IOException {
        var socket = new Socket("localhost", port);
        socket.setSoTimeout(10_000);
        sockets.add(socket);
        return socket;
    }

    /** {"text":"xxxx... as HTTP chunks until {@code total} bytes or the server stops reading. */
    private static void writeChunks(OutputStream out, long total) {
        var chunk = "x".repeat(64 * 1024).getBytes(StandardCharsets.US_ASCII);
        try {
            var start = "{\"text\":\"".getBytes(StandardCharsets.US_ASCII);
            out.write((Integer.toHexString(start.length) + "\r\n").getBytes(StandardCharsets.US_ASCII));
            out.write(start);
            out.write("\r\n".getBytes(StandardCharsets.US_ASCII));
            for (long sent = 0; sent < total; sent += chunk.length) {
                out.write((Integer.toHexString(chunk.length) + "\r\n").getBytes(StandardCharsets.US_ASCII));
                out.write(chunk);
                out.write("\r\n".getBytes(StandardCharsets.US_ASCII));
            }
            out.write("0\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
            out.flush();
        } catch (IOException stoppedReading) {
            // the server answered and closed: expected
        }
    }

    /** The status line, headers and (short) body of one response; reads until the body is complete or EOF. */
    private static String readResponse(InputStream in) throws IOException {
        var bytes = new ByteArrayOutputStream();
        var buffer = new byte[8192];
        int n;
        try {
            while ((n = in.read(buffer)) > 0) {
                bytes.write(buffer, 0, n);
                var text = bytes.toString(StandardCharsets.UTF_8);
                int headersEnd = text.indexOf("\r\n\r\n");
                var length = java.util.regex.Pattern.compile("(?i)content-length: *(\\d+)").matcher(text);
                if (headersEnd > 0 && length.find() && bytes.size() >= headersEnd + 4 + Integer.parseInt(length.group(1))) {
                    break;
                }
                if (headersEnd > 0 && text.endsWith("\r\n0\r\n\r\n")) {
                    break;
                }
            }
        } catch (java.net.SocketException reset) {
            // the server may close right after answering
        }
        return bytes.toString(StandardCharsets.UTF_8);
    }

    /** A minimal WebSocket client: the texts it received and how it was closed. */
    static final class Socket2 implements WebSocket.Listener {
        final List<String> texts = new CopyOnWriteArrayList<>();
        private final StringBuilder partial = new StringBuilder();
        volatile int closeCode = -1;

        static Socket2 open(KilnHttp session, String pathAndQuery, String hello) {
            var listener = new Socket2();
            var uri = URI.create(session.base.replaceFirst("^http", "ws") + pathAndQuery.replace(" ", URLEncoder.encode(" ", StandardCharsets.UTF_8)));
            var socket = HttpClient.newHttpClient().newWebSocketBuilder().header("Cookie", session.cookieHeader())
                    .buildAsync(uri, listener).join();
            if (hello != null) {
                socket.sendText(hello, true).join();
            }
            return listener;
        }

        void awaitText(String part) {
            await().atMost(Duration.ofSeconds(10)).until(() -> texts.stream().anyMatch(t -> t.contains(part)));
        }

        @Override
        public CompletionStage<?> onText(WebSocket webSocket, CharSequence data, boolean last) {
            partial.append(data);
            if (last) {
                texts.add(partial.toString());
                partial.setLength(0);
            }
            webSocket.request(1);
            return null;
        }

        @Override
        public CompletionStage<?> onClose(WebSocket webSocket, int statusCode, String reason) {
            closeCode = statusCode;
            return null;
        }

        @Override
        public void onError(WebSocket webSocket, Throwable error) {
            closeCode = 1006;
        }
    }
}
