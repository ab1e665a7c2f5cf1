package dev.kiln.server.browser;

import com.microsoft.playwright.BrowserContext;
import com.microsoft.playwright.Locator;
import com.microsoft.playwright.Page;
import com.microsoft.playwright.options.AriaRole;
import dev.kiln.server.ServerTestSupport;
import dev.kiln.server.security.KilnPrincipal;
import dev.kiln.server.security.UserAccounts;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

import java.nio.file.Path;
import java.util.regex.Pattern;

import static com.microsoft.playwright.assertions.PlaywrightAssertions.assertThat;

/** A running Kiln and a headless Chromium, with the steps every browser test takes: sign in, open a file. */
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT)
abstract class BrowserTestBase {

    static final Path SCREENSHOTS = Path.of("target", "screenshots");
    static final String ADMIN_PASSWORD = "admin-password-for-tests";

    @DynamicPropertySource
    static void dataDirectory(DynamicPropertyRegistry registry) {
        ServerTestSupport.freshDataDirectory(registry);
    }

    static Chromium chromium;

    @LocalServerPort
    int port;
    @Autowired
    UserAccounts accounts;

    @BeforeAll
    static void startBrowser() {
        chromium = Chromium.launch();
        // Assertions wait up to 15 s (Playwright's default is 5): a machine starting on a busy 2-core CI host, a JVM
        // in its sandbox included, can take longer than 5 s to be ready.
        com.microsoft.playwright.assertions.PlaywrightAssertions.setDefaultAssertionTimeout(15_000);
    }

    /**
     * A browser that crashed in one test (it happens to headless Chromium, rarely) is replaced before the next, so
     * one crash fails one test rather than every test after it in the class.
     */
    @org.junit.jupiter.api.BeforeEach
    void browserAlive() {
        if (chromium != null && !chromium.browser().isConnected()) {
            try {
                chromium.close();
            } catch (RuntimeException alreadyGone) {
                // the crashed browser's driver may be gone too
            }
            chromium = Chromium.launch();
        }
    }

    @AfterAll
    static void stopBrowser() {
        if (chromium != null) {
            chromium.close();
        }
    }

    String url(String path) {
        return "http://localhost:" + port + path;
    }

    Page signedIn(BrowserContext context, String user, String password) {
        var page = context.newPage();
        page.setDefaultTimeout(30_000);
        page.navigate(url("/"));
        page.waitForURL(Pattern.compile(".*/login"));
        page.getByLabel("Username").fill(user);
        page.getByLabel("Password", new Page.GetByLabelOptions().setExact(true)).fill(password);
        page.getByRole(AriaRole.BUTTON, new Page.GetByRoleOptions().setName("Log in")).click();
        assertThat(page.getByText("My studios")).isVisible();
        return page;
    }

    Page signedIn(BrowserContext context, KilnPrincipal user) {
        return signedIn(context, user.getUsername(), "password-" + user.getUsername());
    }

    static Locator editorContent(Page page) {
        return page.locator("#editor .cm-content");
    }

    /** The document's text as CodeMirror holds it (the DOM also holds other people's name labels). */
    static String text(Page page) {
        return (String) page.evaluate("() => document.querySelector('#editor').getText()");
    }

    /**
     * Opens a file from the tree. While the tree redraws (the machine reported a change, or it stopped) a row can be
     * there twice for a moment, or a click can land on the row being replaced: then it clicks again, as a person would.
     */
    static void openFile(Page page, String path) {
        for (int attempt = 0; attempt < 3; attempt++) {
            page.locator("[data-path='" + path + "']").first().click();
            try {
                page.locator("#file-title").filter(new com.microsoft.playwright.Locator.FilterOptions().setHasText(path))
                        .waitFor(new com.microsoft.playwright.Locator.WaitForOptions().setTimeout(6000));
                break;
            } catch (com.microsoft.playwright.TimeoutError lost) {
                // click again
            }
        }
        assertThat(page.locator("#file-title")).hasText(path);
    }

    /** Opens a text file and waits until it is connected for live editing. */
    static void openLiveFile(Page page, String path) {
        openFile(page, path);
        assertThat(page.locator("#editor .status-text")).containsText("Connected");
    }
}
