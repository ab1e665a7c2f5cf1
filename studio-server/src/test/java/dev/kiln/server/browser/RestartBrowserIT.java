package dev.kiln.server.browser;

import com.microsoft.playwright.Page;
import com.microsoft.playwright.options.AriaRole;
import dev.kiln.collab.ChangeSet;
import dev.kiln.server.KilnHttp;
import dev.kiln.server.KilnServerProcess;
import dev.kiln.server.collab.CollabSocketClient;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.sql.DriverManager;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Pattern;

import static com.microsoft.playwright.assertions.PlaywrightAssertions.assertThat;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * The server restarts under people who are working: a signed-in browser and a socket client keep going after a
 * graceful restart and after a kill -9, without signing in again, and what was typed while the server was down
 * arrives. When a session did end, the page says so, does not retry in a loop, and the text typed meanwhile is sent
 * once the person has signed in again. The server is the packaged jar, as its own process, on one data directory.
 */
class RestartBrowserIT {

    static Chromium chromium;

    @BeforeAll
    static void startBrowser() {
        chromium = Chromium.launch();
        com.microsoft.playwright.assertions.PlaywrightAssertions.setDefaultAssertionTimeout(60_000);
    }

    @AfterAll
    static void stopBrowser() {
        if (chromium != null) {
            chromium.close();
        }
    }

    @Test
    void nobodyIsSignedOutByAGracefulOrAKill9Restart() throws Exception {
        try (var kiln = new KilnServerProcess(KilnServerProcess.freshDataDir("kiln-restart-"), Map.of()).start();
             var context = chromium.browser().newContext()) {
            var api = KilnHttp.signIn(kiln.base(), "admin", KilnServerProcess.PASSWORD);
            var studio = api.postJson("/api/studios", "{\"name\":\"Restarts\"}").get("id").asString();
            api.put(fileUrl(studio, "notes.md"), "{\"text\":\"\",\"baseVersion\":\"\"}");
            var socket = CollabSocketClient.connect(api, studio, "notes.md", "script");

            var page = signIn(context, kiln);
            page.navigate(kiln.base() + "/studio/" + studio);
            openLive(page, "notes.md");
            type(page, "[typed before]");
            awaitAllSent(page);

            for (var restart : new String[] {"graceful", "kill -9"}) {
                if (restart.equals("graceful")) {
                    kiln.stop();
                } else {
                    kiln.kill();
                }
                socket.abort();
                type(page, "[typed while down: " + restart + "]");
                assertThat(page.locator("#editor .status-text")).containsText("kept here");
                kiln.start();
                // The editor reconnects by itself with the same session cookie and sends what was kept.
                awaitAllSent(page);
                assertThat(page.url()).doesNotContain("/login");
                // So does a script, with the session it signed in with before the restart.
                socket.reconnect(api, studio, "notes.md");
                int before = socket.version();
                socket.edit(doc -> ChangeSet.replace(doc.length(), doc.length(), doc.length(), "[script after " + restart + "]"));
                socket.awaitSettled(before + 1, Duration.ofSeconds(30));
                assertThat(api.get("/api/studios").statusCode()).as("the API session survived the " + restart + " restart").isEqualTo(200);
            }
            // The page's server-side state is gone after a restart; reloading it finds the person still signed in.
            page.reload();
            page.waitForURL(Pattern.compile(".*/studio/.*"));
            openLive(page, "notes.md");
            await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> assertThat(BrowserTestBase.text(page))
                    .contains("[typed before]", "[typed while down: graceful]", "[typed while down: kill -9]",
                            "[script after graceful]", "[script after kill -9]"));
            page.screenshot(new Page.ScreenshotOptions().setPath(BrowserTestBase.SCREENSHOTS.resolve("restart-after-kill.png")));
        }
    }

    @Test
    void anEndedSessionLeadsToSignInAndTheTextTypedMeanwhileIsSentAfter() throws Exception {
        var dataDir = KilnServerProcess.freshDataDir("kiln-signed-out-");
        try (var kiln = new KilnServerProcess(dataDir, Map.of()).start(); var context = chromium.browser().newContext()) {
            var api = KilnHttp.signIn(kiln.base(), "admin", KilnServerProcess.PASSWORD);
            var studio = api.postJson("/api/studios", "{\"name\":\"Signed out\"}").get("id").asString();
            api.put(fileUrl(studio, "notes.md"), "{\"text\":\"\",\"baseVersion\":\"\"}");
            var page = signIn(context, kiln);
            page.navigate(kiln.base() + "/studio/" + studio);
            openLive(page, "notes.md");
            type(page, "[sent]");
            awaitAllSent(page);

            // Keep Vaadin's own requests from reaching the server for a while: after a restart its client reloads the
            // page, which would lead to the sign-in page by itself; here the editor must find out on its own.
            page.route(Pattern.compile(".*[?&]v-r=uidl.*"), route -> route.abort());
            // The server goes down and every session ends with it (as if they had expired meanwhile).
            kiln.stop();
            endAllSessions(dataDir);
            type(page, "[typed while signed out]");
            var sockets = new AtomicInteger();
            page.onWebSocket(ws -> sockets.incrementAndGet());
            kiln.start();

            var notice = page.locator("#editor .notice");
            assertThat(notice).containsText("Your session has ended");
            assertThat(notice).containsText("unsent change");
            assertThat(page.locator("#editor .status-text")).containsText("Signed out");
            page.screenshot(new Page.ScreenshotOptions().setPath(BrowserTestBase.SCREENSHOTS.resolve("restart-signed-out.png")));
            int attempts = sockets.get();
            page.waitForTimeout(6000);
            assertThat(sockets.get()).as("no socket retried after the 401").isEqualTo(attempts);

            page.unrouteAll();
            notice.getByRole(AriaRole.BUTTON, new com.microsoft.playwright.Locator.GetByRoleOptions().setName("Sign in again")).click();
            page.waitForURL(Pattern.compile(".*/login"));
            fillSignIn(page);
            // Back on the studio, with the file open again (it is in the address), the kept text goes out.
            page.waitForURL(Pattern.compile(".*/studio/.*file=notes.md.*"));
            assertThat(page.locator("#file-title")).hasText("notes.md");
            awaitAllSent(page);
            await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> assertThat(liveText(kiln, studio, "notes.md"))
                    .isEqualTo("[sent][typed while signed out]"));
        }
    }

    /** The text the server holds now (a fresh socket's welcome). */
    private static String liveText(KilnServerProcess kiln, String studio, String path) {
        var session = KilnHttp.signIn(kiln.base(), "admin", KilnServerProcess.PASSWORD);
        try (var probe = CollabSocketClient.connect(session, studio, path, "probe-" + System.nanoTime())) {
            return probe.doc();
        }
    }

    private static void endAllSessions(Path dataDir) throws Exception {
        try (var db = DriverManager.getConnection("jdbc:sqlite:" + dataDir.resolve("db/kiln.sqlite")); var statement = db.createStatement()) {
            statement.execute("delete from spring_session_attributes");
            statement.execute("delete from spring_session");
        }
    }

    private static String fileUrl(String studio, String path) {
        return "/api/studios/" + studio + "/file?path=" + URLEncoder.encode(path, StandardCharsets.UTF_8);
    }

    private static Page signIn(com.microsoft.playwright.BrowserContext context, KilnServerProcess kiln) {
        var page = context.newPage();
        page.setDefaultTimeout(60_000);
        page.navigate(kiln.base() + "/");
        page.waitForURL(Pattern.compile(".*/login"));
        fillSignIn(page);
        assertThat(page.getByText("My studios")).isVisible();
        return page;
    }

    private static void fillSignIn(Page page) {
        page.getByLabel("Username").fill("admin");
        page.getByLabel("Password", new Page.GetByLabelOptions().setExact(true)).fill(KilnServerProcess.PASSWORD);
        page.getByRole(AriaRole.BUTTON, new Page.GetByRoleOptions().setName("Log in")).click();
    }

    private static void openLive(Page page, String path) {
        page.locator("[data-path='" + path + "']").click();
        assertThat(page.locator("#editor .status-text")).containsText("Connected");
    }

    private static void type(Page page, String text) {
        BrowserTestBase.editorContent(page).click();
        page.keyboard().press("Control+End");
        page.keyboard().type(text);
    }

    /** Connected with nothing left to send. */
    private static void awaitAllSent(Page page) {
        assertThat(page.locator("#editor .status-text")).hasText(Pattern.compile("^Connected( · .*)?$"));
        assertThat(page.locator("#editor .status-text")).not().containsText("sending");
    }
}
