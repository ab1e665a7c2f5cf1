package dev.kiln.server.browser;

import com.microsoft.playwright.Browser;
import com.microsoft.playwright.Page;
import org.junit.jupiter.api.Test;

import java.util.regex.Pattern;

import static com.microsoft.playwright.assertions.PlaywrightAssertions.assertThat;

/**
 * A file's history as it is written: pauses in typing become one commit that names the file and the person, the
 * history shows new commits without a refresh, Ctrl+S closes a commit, and any two versions compare side by side.
 */
class HistoryBrowserIT extends BrowserTestBase {

    @Test
    void pausesFoldIntoOneCommitTheHistoryFollowsAndTwoVersionsCompare() {
        try (var context = chromium.browser().newContext(new Browser.NewContextOptions().setViewportSize(1500, 950))) {
            var page = signedIn(context, "admin", ADMIN_PASSWORD);
            page.locator("#new-studio").click();
            page.locator("#prompt-field input").fill("History studio");
            page.locator("#prompt-ok").click();
            page.waitForURL(Pattern.compile(".*/studio/.*"));
            page.locator("#new-file").click();
            page.locator("#prompt-field input").fill("notes.md");
            page.locator("#prompt-ok").click();
            assertThat(page.locator("#editor .status-text")).hasText("Connected");
            var items = page.locator("#history .kiln-history-item");
            assertThat(items).hasCount(1); // "Create notes.md"

            // Two pauses in typing (each written back about 2 s later): one commit, shown without a refresh.
            editorContent(page).click();
            page.keyboard().type("first line");
            assertThat(items).hasCount(2, new com.microsoft.playwright.assertions.LocatorAssertions.HasCountOptions()
                    .setTimeout(20_000));
            assertThat(items.first()).containsText("Edit notes.md (Administrator)");
            page.waitForTimeout(3000);
            page.keyboard().type("\nsecond line");
            page.waitForTimeout(6000); // written back, and the history looked again
            assertThat(items).hasCount(2);

            // Ctrl+S closes that commit; what follows is a new one.
            page.keyboard().press("Control+s");
            // The save waits until the server has everything typed; what is typed after it lands goes into a new commit.
            assertThat(page.getByText("Committed notes.md")).isVisible();
            page.keyboard().type("\nthird line");
            assertThat(items).hasCount(3, new com.microsoft.playwright.assertions.LocatorAssertions.HasCountOptions()
                    .setTimeout(20_000));

            // The middle version against the newest: side by side, the third line added on the right.
            items.nth(1).click();
            page.locator("#revision-compare").click();
            page.getByRole(com.microsoft.playwright.options.AriaRole.OPTION).nth(1).click(); // the current text
            var diff = page.locator("#revision-diff");
            assertThat(diff).isVisible();
            assertThat(diff).hasAttribute("data-chunks", "1");
            assertThat(diff.locator(".cm-merge-b .cm-changedLine").last()).containsText("third line");
            assertThat(diff.locator(".cm-merge-a")).containsText("second line");
            page.screenshot(new Page.ScreenshotOptions().setPath(SCREENSHOTS.resolve("history-diff.png")));
        }
    }
}
