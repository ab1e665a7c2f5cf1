package dev.kiln.server.browser;

import com.microsoft.playwright.Browser;
import com.microsoft.playwright.Page;
import com.microsoft.playwright.assertions.LocatorAssertions;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.util.regex.Pattern;

import static com.microsoft.playwright.assertions.PlaywrightAssertions.assertThat;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * Runs as experiments: two runs of the template's module with different learning rates, named, each trained for the
 * template's default few epochs; the whole log searched and downloaded; both runs compared (their loss curves on one
 * chart, the differing argument highlighted in the table); and the last job selected again after a reload.
 */
class RunsBrowserIT extends BrowserTestBase {

    @Test
    void twoRunsComparedTheirLogSearchedAndDownloaded() throws Exception {
        try (var context = chromium.browser().newContext(new Browser.NewContextOptions().setViewportSize(1600, 1000)
                .setAcceptDownloads(true))) {
            var page = signedIn(context, "admin", ADMIN_PASSWORD);
            page.locator("#new-studio").click();
            page.locator("#prompt-field input").fill("Runs studio");
            page.locator("#prompt-ok").click();
            page.waitForURL(Pattern.compile(".*/studio/.*"));
            page.locator("#machine").click();
            page.locator("#machine-types vaadin-radio-button").first().click();
            page.locator("#machine-apply").click();
            assertThat(page.locator("#machine")).hasAttribute("data-phase", "READY");
            page.locator("#machine-close").click();
            page.locator("#tab-jobs").click();

            run(page, "baseline with a long name that the list shows whole", "lr=0.005 samples=1024");
            waitForStatus(page, "SUCCEEDED");
            // The template's defaults: a few epochs, one line per checkpoint, paths relative to the job's folder.
            String log = logText(page);
            assertThat(log).contains("fit_start").contains("max_epochs=5").doesNotContain("max_epochs=-1")
                    .contains("checkpoint path=checkpoints/epoch=4-");
            assertThat(log.lines().filter(l -> l.contains("] checkpoint ")).count()).isEqualTo(5);
            run(page, "higher lr", "lr=0.05 samples=1024");
            waitForStatus(page, "SUCCEEDED");
            assertThat(page.locator("#jobs").getByText("baseline with a long name that the list shows whole"))
                    .isVisible();

            // Search the first run's log, then download all of it.
            page.locator("#jobs").getByText("baseline with a long name").click();
            assertThat(page.locator("#job-title")).hasText("baseline with a long name that the list shows whole");
            var search = page.locator("#job-log input[type=search]");
            search.fill("checkpoint path");
            assertThat(page.locator("#job-log")).hasAttribute("data-matches", "5");
            search.press("Enter");
            assertThat(page.locator("#job-log")).hasAttribute("data-current", "1");
            assertThat(page.locator("#job-log .cm-log-current")).isVisible();
            page.screenshot(new Page.ScreenshotOptions().setPath(SCREENSHOTS.resolve("runs-log-search.png")));
            var download = page.waitForDownload(() -> page.locator("#job-log-download").click());
            assertThat(download.suggestedFilename()).isEqualTo("job-1 baseline with a long name that the list shows whole.log");
            String downloaded = Files.readString(download.path());
            assertThat(downloaded).contains("kiln: job 1: example.SumRegression lr=0.005 samples=1024")
                    .contains("kiln: succeeded: Finished");
            assertThat(downloaded.lines().count()).isEqualTo(logText(page).lines().count());

            // Compare both: each metric's curves on one chart, the differing argument marked.
            page.locator(".kiln-compare-box[data-job='1']").click();
            page.locator(".kiln-compare-box[data-job='2']").click();
            page.locator("#job-compare").click();
            assertThat(page.locator("#compare-title")).hasText("Comparing 2 runs");
            assertThat(page.locator("#compare-charts [data-metric='loss']")).hasAttribute("data-runs", "2");
            assertThat(page.locator("#compare-charts [data-metric='val_loss']")).hasAttribute("data-runs", "2");
            assertThat(page.locator("#compare-table tr[data-row='lr']")).hasAttribute("data-differs", "true");
            assertThat(page.locator("#compare-table tr[data-row='lr']")).containsText("0.05");
            assertThat(page.locator("#compare-table tr[data-row='samples']")).hasAttribute("data-differs", "false");
            assertThat(page.locator("#compare-table tr[data-row='lowest val_loss'] td")).hasCount(2);
            page.screenshot(new Page.ScreenshotOptions().setPath(SCREENSHOTS.resolve("runs-compare.png")));

            // Back, select the second run, leave and come back: it is selected again.
            page.locator("#compare-close").click();
            page.locator("#jobs").getByText("higher lr").click();
            assertThat(page.locator("#job-title")).hasText("higher lr");
            page.reload();
            page.locator("#tab-jobs").click();
            assertThat(page.locator("#job-title")).hasText("higher lr");
        }
    }

    private static void run(Page page, String name, String args) {
        page.locator("#job-run").click();
        assertThat(page.locator("#run-entry input")).hasValue("example.SumRegression");
        page.locator("#run-args input").fill(args);
        page.locator("#run-name input").fill(name);
        page.locator("#run-start").click();
        assertThat(page.locator("#job-title")).hasText(name);
    }

    private static void waitForStatus(Page page, String status) {
        assertThat(page.locator("#job-status")).hasAttribute("data-status", status,
                new LocatorAssertions.HasAttributeOptions().setTimeout(180_000));
        page.waitForFunction("() => document.querySelector('#job-log').getText().includes('kiln: succeeded')");
    }

    private static String logText(Page page) {
        return (String) page.evaluate("() => document.querySelector('#job-log').getText()");
    }
}
