package dev.kiln.server.browser;

import com.microsoft.playwright.BrowserContext;
import com.microsoft.playwright.Locator;
import com.microsoft.playwright.Page;
import com.microsoft.playwright.options.AriaRole;
import dev.kiln.server.ServerTestSupport;
import dev.kiln.server.security.UserAccounts;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

import java.nio.file.Path;
import java.util.regex.Pattern;

import static com.microsoft.playwright.assertions.PlaywrightAssertions.assertThat;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * A person's first session in a real browser: sign in, create a studio, create a file, type, save, reload, and
 * find the text and its commit. Screenshots land in target/screenshots/ for people to look at.
 */
class StudioBrowserIT extends BrowserTestBase {

    @Autowired
    dev.kiln.server.config.KilnProperties properties;

    @Test
    void createEditCommitReloadAndSeeHistory() {
        try (var context = chromium.browser().newContext(new com.microsoft.playwright.Browser.NewContextOptions().setViewportSize(1400, 850))) {
            var page = signedIn(context, "admin", ADMIN_PASSWORD);

            page.locator("#new-studio").click();
            page.locator("#prompt-field input").fill("Browser studio");
            page.locator("#prompt-ok").click();
            page.waitForURL(Pattern.compile(".*/studio/.*"));
            assertThat(page.locator("#studio-name")).hasText("Browser studio");
            assertThat(page.locator("[data-path='README.md']")).isVisible();
            var studioUrl = page.url();

            page.locator("#new-file").click();
            page.locator("#prompt-field input").fill("notes/hello.py");
            page.locator("#prompt-ok").click();
            assertThat(page.locator("#file-title")).hasText("notes/hello.py");
            assertThat(page.locator("#editor .status-text")).hasText("Connected");

            editorContent(page).click();
            page.keyboard().type("print('hello from kiln')");
            // Every keystroke goes to the server; the mark clears once it has confirmed them.
            assertThat(page.locator("#dirty-mark")).isHidden();
            page.keyboard().press("Control+s");
            assertThat(page.locator("#history .kiln-history-item")).hasCount(2);
            assertThat(page.locator("#history .kiln-history-item").first()).containsText("Edit notes/hello.py");
            assertThat(page.locator("#history .kiln-history-item").first()).containsText("Administrator");

            page.reload();
            openFile(page, "notes/hello.py");
            assertThat(editorContent(page)).hasText("print('hello from kiln')");
            // Python syntax highlighting: the string literal gets its own styled span.
            assertThat(editorContent(page).locator("span").first()).isVisible();
            page.screenshot(new Page.ScreenshotOptions().setPath(SCREENSHOTS.resolve("studio-after-reload.png")));

            // The older version (the empty file from "Create") opens read-only in the history viewer.
            page.locator("#history .kiln-history-item").last().click();
            assertThat(page.locator("#revision-viewer .cm-content")).hasAttribute("contenteditable", "false");
            page.screenshot(new Page.ScreenshotOptions().setPath(SCREENSHOTS.resolve("studio-history.png")));
            page.getByRole(AriaRole.BUTTON, new Page.GetByRoleOptions().setName("Close")).click();

            // A binary file (say, weights copied in) opens read-only with a notice instead of garbled text.
            var studioId = studioUrl.substring(studioUrl.lastIndexOf('/') + 1);
            writeBytes(properties.workspacesDir().resolve(studioId).resolve("weights.bin"), new byte[]{0, 1, 2, (byte) 0xff});
            page.locator("#refresh-files").click();
            openFile(page, "weights.bin");
            assertThat(page.locator("#editor-notice")).containsText("binary file (4 bytes)");
            assertThat(editorContent(page)).hasAttribute("contenteditable", "false");

            // With the connection down, typing stays in the editor, is marked unsent, and leaving asks first.
            openFile(page, "notes/hello.py");
            assertThat(page.locator("#editor .status-text")).hasText("Connected");
            page.evaluate("() => document.querySelector('#editor').session.close()");
            editorContent(page).click();
            page.keyboard().press("End");
            page.keyboard().type("  # unsent");
            assertThat(page.locator("#dirty-mark")).isVisible();
            assertThat(page.locator("#editor .status-text")).containsText("unsent change");
            page.getByRole(AriaRole.LINK, new Page.GetByRoleOptions().setName("My studios")).click();
            assertThat(page.getByText("Leave with unsent changes?")).isVisible();
            page.getByRole(AriaRole.BUTTON, new Page.GetByRoleOptions().setName("Cancel")).click();
            // Still in the studio, the open file named in the address (?file=, so a reload reopens it).
            assertThat(page).hasURL(java.util.regex.Pattern.compile(".*" + studioUrl.substring(studioUrl.indexOf("/studio/")) + "\\?file=.*"));
            assertThat(editorContent(page)).containsText("# unsent");

            // Leaving the page with unsent changes makes the browser ask first; staying keeps them. (Leaving by
            // navigation: headless Chromium sometimes crashes in page.close(runBeforeUnload), the same dialog.)
            var asked = new java.util.concurrent.atomic.AtomicReference<String>();
            page.onDialog(dialog -> {
                asked.set(dialog.type());
                dialog.dismiss();
            });
            page.evaluate("() => { window.location.href = '/'; }");
            // Playwright for Java delivers events only inside its own calls, so wait through one.
            context.waitForCondition(() -> asked.get() != null, new BrowserContext.WaitForConditionOptions().setTimeout(10_000));
            assertThat(asked.get()).isEqualTo("beforeunload");
            assertThat(editorContent(page)).containsText("# unsent");
        }
    }

    private static void writeBytes(Path file, byte[] bytes) {
        try {
            java.nio.file.Files.write(file, bytes);
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    @Test
    void twoTabsOfTheSameFileSeeEachOthersTypingLive() {
        try (var context = chromium.browser().newContext()) {
            var first = signedIn(context, "admin", ADMIN_PASSWORD);
            first.locator("#new-studio").click();
            first.locator("#prompt-field input").fill("Two tabs");
            first.locator("#prompt-ok").click();
            first.waitForURL(Pattern.compile(".*/studio/.*"));
            openFile(first, "README.md");

            var second = context.newPage();
            second.navigate(first.url());
            openFile(second, "README.md");
            assertThat(second.locator("#editor .count")).hasText("2 people here");

            editorContent(first).click();
            first.keyboard().press("Control+Home");
            first.keyboard().type("From the first tab. ");
            assertThat(editorContent(second)).containsText("From the first tab. ");

            editorContent(second).click();
            second.keyboard().press("Control+End");
            second.keyboard().type(" From the second tab.");
            assertThat(editorContent(first)).containsText("From the second tab.");
            org.awaitility.Awaitility.await().atMost(java.time.Duration.ofSeconds(10))
                    .until(() -> text(first).equals(text(second)));
            second.screenshot(new Page.ScreenshotOptions().setPath(SCREENSHOTS.resolve("studio-two-tabs.png")));
        }
    }

    @Test
    void anotherUserOpeningTheLinkIsToldNotFoundOrNoAccess() {
        String studioUrl;
        try (var context = chromium.browser().newContext()) {
            var owner = signedIn(context, "admin", ADMIN_PASSWORD);
            owner.locator("#new-studio").click();
            owner.locator("#prompt-field input").fill("Admin's secret studio");
            owner.locator("#prompt-ok").click();
            owner.waitForURL(Pattern.compile(".*/studio/.*"));
            studioUrl = owner.url();
        }
        var other = ServerTestSupport.newUser(accounts, "Other");
        try (var context = chromium.browser().newContext()) {
            var page = signedIn(context, other.getUsername(), "password-" + other.getUsername());
            assertThat(page.getByText("Admin's secret studio")).hasCount(0);
            page.navigate(studioUrl);
            assertThat(page.locator("#studio-not-found")).containsText("Studio not found, or you have no access to it.");
            assertThat(page.getByText("Admin's secret studio")).hasCount(0);
            assertThat(page.locator("#file-tree")).hasCount(0);
        }
    }

    @Test
    void wrongPasswordsAreRefused() {
        try (var context = chromium.browser().newContext()) {
            var page = context.newPage();
            page.navigate(url("/login"));
            page.getByLabel("Username").fill("admin");
            page.getByLabel("Password", new Page.GetByLabelOptions().setExact(true)).fill("not-the-password");
            page.getByRole(AriaRole.BUTTON, new Page.GetByRoleOptions().setName("Log in")).click();
            page.waitForURL(Pattern.compile(".*/login\\?error.*"));
            assertThat(page.getByText("Incorrect username or password")).isVisible();
            assertThat(page.getByText("My studios")).hasCount(0);
        }
    }
}
