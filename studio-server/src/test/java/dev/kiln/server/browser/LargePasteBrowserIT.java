package dev.kiln.server.browser;

import com.microsoft.playwright.Page;
import dev.kiln.server.ServerTestSupport;
import org.junit.jupiter.api.Test;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

import java.nio.file.Files;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Pattern;

import static com.microsoft.playwright.assertions.PlaywrightAssertions.assertThat;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * Pastes in a real browser, with a 3 MB file size limit: 1.5 million characters (over the 1 MiB per change that used
 * to wedge the file) are sent and confirmed; 3.5 million (over the limit) are refused with the reason shown, leave
 * the queue instead of being sent again and again, and can be downloaded; the editor goes on working.
 */
class LargePasteBrowserIT extends BrowserTestBase {

    @DynamicPropertySource
    static void smallerFiles(DynamicPropertyRegistry registry) {
        registry.add("kiln.max-file-size", () -> "3MB");
    }

    @Test
    void aPasteUpToTheLimitWorksAndOneOverItIsRefusedRecoverably() throws Exception {
        var user = ServerTestSupport.newUser(accounts, "Paster");
        try (var context = chromium.browser().newContext(new com.microsoft.playwright.Browser.NewContextOptions().setAcceptDownloads(true))) {
            var page = signedIn(context, user);
            page.setDefaultTimeout(60_000);
            page.locator("#new-studio").click();
            page.locator("#prompt-field input").fill("Pastes");
            page.locator("#prompt-ok").click();
            page.waitForURL(Pattern.compile(".*/studio/.*"));
            openLiveFile(page, "README.md");
            var pushes = new AtomicInteger();
            page.onWebSocket(ws -> ws.onFrameSent(frame -> {
                var text = frame.text();
                if (text != null && text.startsWith("{\"type\":\"push\"")) {
                    pushes.incrementAndGet();
                }
            }));

            int before = text(page).length();
            paste(page, 1_500_000, 'a');
            assertThat(page.locator("#editor .status-text")).hasText("Connected");
            assertThat(text(page)).hasSize(before + 1_500_000);

            paste(page, 3_500_000, 'b');
            var notice = page.locator("#editor .notice");
            assertThat(notice).containsText("Not saved");
            assertThat(notice).containsText("limit");
            page.screenshot(new Page.ScreenshotOptions().setPath(SCREENSHOTS.resolve("paste-refused.png")));
            // The editor shows the server's text again, with nothing left to send and nothing sent again.
            org.awaitility.Awaitility.await().atMost(java.time.Duration.ofSeconds(30))
                    .untilAsserted(() -> assertThat(text(page)).hasSize(before + 1_500_000));
            assertThat(page.locator("#editor .status-text")).hasText("Connected");
            int sent = pushes.get();
            page.waitForTimeout(3000);
            assertThat(pushes.get()).as("nothing is sent again and again").isEqualTo(sent);

            // The refused text can be downloaded: the whole file as it was with the paste.
            var download = page.waitForDownload(() -> notice.getByText("Download your version").click());
            var kept = Files.readString(download.path());
            assertThat(kept).hasSize(before + 5_000_000);
            assertThat(kept).contains("bbbbbbbbbb");

            // And the editor goes on working.
            editorContent(page).click();
            page.keyboard().press("Control+End");
            page.keyboard().type(" still editing");
            assertThat(page.locator("#editor .status-text")).hasText("Connected");
            assertThat(text(page)).endsWith(" still editing");
        }
    }

    /** A paste event with {@code count} copies of {@code c}, as the browser fires it for Ctrl+V. */
    private static void paste(Page page, int count, char c) {
        editorContent(page).click();
        page.keyboard().press("Control+End");
        editorContent(page).evaluate("(el, [n, c]) => { const data = new DataTransfer(); data.setData('text/plain', c.repeat(n)); "
                + "el.dispatchEvent(new ClipboardEvent('paste', { clipboardData: data, bubbles: true, cancelable: true })); }",
                java.util.List.of(count, String.valueOf(c)));
    }
}
