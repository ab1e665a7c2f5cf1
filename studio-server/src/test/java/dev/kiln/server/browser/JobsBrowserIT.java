package dev.kiln.server.browser;

import com.microsoft.playwright.Browser;
import com.microsoft.playwright.Locator;
import com.microsoft.playwright.Page;
import org.junit.jupiter.api.Test;

import java.util.regex.Pattern;

import static com.microsoft.playwright.assertions.PlaywrightAssertions.assertThat;

/**
 * Jobs as a user runs them: start the machine, run the example module on two ranks from the Jobs tab, watch its log
 * and the live loss chart fill in, see the machine's usage in the header, cancel it; then break the code and follow
 * the compile error from the job to the line in the editor.
 */
class JobsBrowserIT extends BrowserTestBase {

    @Test
    void runWatchCancelAndFollowACompileError() {
        try (var context = chromium.browser().newContext(new Browser.NewContextOptions().setViewportSize(1500, 950))) {
            var page = signedIn(context, "admin", ADMIN_PASSWORD);
            page.locator("#new-studio").click();
            page.locator("#prompt-field input").fill("Jobs studio");
            page.locator("#prompt-ok").click();
            page.waitForURL(Pattern.compile(".*/studio/.*"));

            page.locator("#machine").click();
            // The picker says what each type is and whether it can start now.
            assertThat(page.locator("#machine-types [data-type='local-1']")).containsText("1 core · 1 GiB memory · no GPU");
            assertThat(page.locator("#machine-types [data-type='local-1'] .kiln-machine-availability"))
                    .hasText("Can start now");
            page.screenshot(new Page.ScreenshotOptions().setPath(SCREENSHOTS.resolve("machine-picker.png")));
            page.locator("#machine-types").getByText("This computer · 2 cores").click();
            page.locator("#machine-apply").click();
            assertThat(page.locator("#machine")).hasAttribute("data-phase", "READY");
            page.locator("#machine-close").click();
            assertThat(page.locator("#machine-usage")).containsText(Pattern.compile("CPU \\d+% of 2 cores"));

            page.locator("#tab-jobs").click();
            page.locator("#job-run").click();
            assertThat(page.locator("#run-entry input")).hasValue("example.SumRegression");
            page.locator("#run-args input").fill("--trainer.max-epochs=100000");
            page.locator("#run-devices input").fill("2");
            page.locator("#run-start").click();

            assertThat(page.locator("#job-status")).hasAttribute("data-status", "RUNNING",
                    new com.microsoft.playwright.assertions.LocatorAssertions.HasAttributeOptions().setTimeout(90_000));
            page.waitForFunction("() => document.querySelector('#job-log').getText().includes('started rank 1')");
            Locator chart = page.locator("#job-charts");
            assertThat(chart).hasAttribute("data-points-loss", Pattern.compile("[1-9]\\d*"),
                    new com.microsoft.playwright.assertions.LocatorAssertions.HasAttributeOptions().setTimeout(60_000));
            // One chart per metric, the loss on a log scale; step and epoch make no chart of their own.
            assertThat(chart.locator("[data-metric='loss'] canvas")).isVisible();
            assertThat(chart.locator("[data-metric='loss']")).hasAttribute("data-log", "true");
            assertThat(chart.locator("[data-metric='lr']")).isAttached();
            assertThat(chart.locator("[data-metric='step'], [data-metric='epoch']")).hasCount(0);
            page.waitForTimeout(2500); // a few more points, for the screenshot
            page.screenshot(new Page.ScreenshotOptions().setPath(SCREENSHOTS.resolve("jobs-running.png")));

            // A switch while the job runs asks first, and says the job will resume.
            page.locator("#machine").click();
            page.locator("#machine-types vaadin-radio-button").first().click();
            page.locator("#machine-apply").click();
            assertThat(page.getByText("Switch while a job runs?")).isVisible();
            assertThat(page.getByText("resumes on the new machine", new Page.GetByTextOptions().setExact(false)))
                    .isVisible();
            page.locator("#confirm-cancel").click();
            page.locator("#machine-close").click();
            assertThat(page.locator("#machine")).hasText(Pattern.compile(".*2 cores.*"));

            page.locator("#job-cancel").click();
            assertThat(page.locator("#job-status")).hasAttribute("data-status", "CANCELLED",
                    new com.microsoft.playwright.assertions.LocatorAssertions.HasAttributeOptions().setTimeout(30_000));
            assertThat(page.locator("#job-detail")).containsText("Cancelled by Administrator");

            // Break the module, run it again: the compile error links to the line.
            openLiveFile(page, "src/main/java/example/SumRegression.java");
            editorContent(page).click();
            page.keyboard().press("Control+End");
            page.keyboard().type("\nthis is not java");
            page.keyboard().press("Control+s");
            page.waitForTimeout(500);
            page.locator("#job-rerun").click();
            page.locator("#run-args input").fill("--trainer.max-epochs=1");
            page.locator("#run-devices input").fill("1");
            page.locator("#run-start").click();
            assertThat(page.locator("#job-status")).hasAttribute("data-status", "FAILED",
                    new com.microsoft.playwright.assertions.LocatorAssertions.HasAttributeOptions().setTimeout(60_000));
            assertThat(page.locator("#job-detail")).containsText("does not compile");
            Locator error = page.locator("#job-diagnostics .kiln-diagnostic").first();
            assertThat(error).containsText("src/main/java/example/SumRegression.java:");
            error.click();
            assertThat(page.locator("#editor .cm-lintRange-error, #editor .cm-lint-marker-error").first()).isAttached();
            page.screenshot(new Page.ScreenshotOptions().setPath(SCREENSHOTS.resolve("jobs-compile-error.png")));
        }
    }
}
