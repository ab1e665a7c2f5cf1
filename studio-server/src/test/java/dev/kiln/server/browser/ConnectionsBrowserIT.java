package dev.kiln.server.browser;

import com.microsoft.playwright.Browser;
import com.microsoft.playwright.Page;
import com.microsoft.playwright.assertions.LocatorAssertions;
import dev.kiln.server.data.SeededS3;
import dev.kiln.training.storage.S3ProxyServer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.util.regex.Pattern;

import static com.microsoft.playwright.assertions.PlaywrightAssertions.assertThat;

/**
 * Connections a person can fix: a connection saved with a mistyped secret fails its test, its secret is rotated in the
 * edit dialog and the test passes; a malformed CSV previews as a sentence; a connection is deleted. Two connections
 * for one bucket make a job's {@code s3://bucket} ambiguous: the job refuses it and lists them.
 */
class ConnectionsBrowserIT extends BrowserTestBase {
    static S3ProxyServer s3;

    @org.springframework.test.context.DynamicPropertySource
    static void allowTheTestServer(org.springframework.test.context.DynamicPropertyRegistry registry) {
        registry.add("kiln.data.allowed-endpoints", () -> s3.endpoint().replace("http://", ""));
    }

    @BeforeAll
    static void startS3() throws Exception {
        s3 = SeededS3.start();
    }

    @AfterAll
    static void stopS3() {
        s3.close();
    }

    @Test
    void aMistypedSecretIsRotatedAndAnAmbiguousBucketIsRefusedWithTheList() {
        try (var context = chromium.browser().newContext(new Browser.NewContextOptions().setViewportSize(1500, 950))) {
            var page = signedIn(context, "admin", ADMIN_PASSWORD);
            page.locator("#new-studio").click();
            page.locator("#prompt-field input").fill("Connections studio");
            page.locator("#prompt-ok").click();
            page.waitForURL(Pattern.compile(".*/studio/.*"));
            page.locator("#tab-data").click();

            add(page, "datasets", "not-the-secret");
            page.locator("#data-test").click();
            assertThat(page.locator("#data-verdict")).containsText("Wrong credentials");
            assertThat(page.locator("#data-verdict")).hasAttribute("data-kind", "error");

            // Rotate the secret: the key id stays, only the secret is typed again.
            page.locator("#data-edit").click();
            assertThat(page.locator("#conn-name input")).hasValue("datasets");
            assertThat(page.locator("#conn-endpoint input")).hasValue(s3.endpoint());
            assertThat(page.locator("#conn-secret input")).hasAttribute("placeholder", "unchanged");
            page.locator("#conn-secret input").fill(SeededS3.CREDENTIAL);
            page.screenshot(new Page.ScreenshotOptions().setPath(SCREENSHOTS.resolve("connection-edit.png")));
            page.locator("#conn-save").click();
            assertThat(page.locator("#data-verdict")).containsText("Saved 'datasets'");
            page.locator("#data-test").click();
            assertThat(page.locator("#data-verdict")).containsText("Connected");

            // A malformed CSV says what is wrong in words.
            page.locator("#data-objects").getByText("broken.csv").click();
            assertThat(page.locator("#data-preview")).containsText("a quoted value that starts on line 2 is never "
                    + "closed");
            assertThat(page.locator("#data-preview")).not().containsText("org.apache");

            // A second connection for the same bucket, both given to jobs: s3://datasets is now ambiguous.
            page.locator("#data-for-jobs").click();
            assertThat(page.locator("#data-verdict")).containsText("Jobs now receive 'datasets'.");
            add(page, "datasets-copy", SeededS3.CREDENTIAL);
            page.locator("#data-for-jobs").click();
            assertThat(page.locator("#data-verdict")).containsText("Jobs now receive 'datasets-copy'.");

            page.locator("#machine").click();
            page.locator("#machine-types vaadin-radio-button").first().click();
            page.locator("#machine-apply").click();
            assertThat(page.locator("#machine")).hasAttribute("data-phase", "READY");
            page.locator("#machine-close").click();
            page.locator("#tab-jobs").click();
            page.locator("#job-run").click();
            page.locator("#run-args input").fill("data=s3://datasets/shards");
            page.locator("#run-start").click();
            assertThat(page.locator("#job-status")).hasAttribute("data-status", "FAILED",
                    new LocatorAssertions.HasAttributeOptions().setTimeout(180_000));
            page.waitForFunction("() => document.querySelector('#job-log').getText().includes('could mean 2 "
                    + "connections')");
            String log = (String) page.evaluate("() => document.querySelector('#job-log').getText()");
            org.assertj.core.api.Assertions.assertThat(log).contains("could mean 2 connections of this job, which "
                    + "all name the bucket 'datasets': datasets, datasets-copy. Say which one, for example "
                    + "s3://datasets@datasets/shards");
            page.locator("#job-log input[type=search]").fill("could mean");
            page.screenshot(new Page.ScreenshotOptions().setPath(SCREENSHOTS.resolve("connection-ambiguous.png")));

            // Delete the copy: it is gone from the list.
            page.locator("#tab-data").click();
            page.locator("#data-connection").click();
            page.getByRole(com.microsoft.playwright.options.AriaRole.OPTION,
                    new Page.GetByRoleOptions().setName(Pattern.compile("^datasets-copy"))).click();
            page.locator("#data-delete").click();
            page.locator("#confirm-button").click();
            assertThat(page.locator("#data-verdict")).containsText("Deleted 'datasets-copy'.");
            page.locator("#data-connection").click();
            assertThat(page.getByRole(com.microsoft.playwright.options.AriaRole.OPTION)).hasCount(1);
            org.assertj.core.api.Assertions.assertThat(page.content()).doesNotContain(SeededS3.CREDENTIAL);
        }
    }

    private static void add(Page page, String name, String secret) {
        page.locator("#data-add").click();
        page.locator("#conn-name input").fill(name);
        page.locator("#conn-bucket input").fill("datasets");
        page.locator("#conn-endpoint input").fill(s3.endpoint());
        page.locator("#conn-path-style").click();
        page.locator("#conn-key input").fill(SeededS3.IDENTITY);
        page.locator("#conn-secret input").fill(secret);
        page.locator("#conn-save").click();
        assertThat(page.locator("#data-connection")).containsText(name);
    }
}
