package dev.kiln.server.browser;

import com.microsoft.playwright.Browser;
import com.microsoft.playwright.Page;
import dev.kiln.server.data.SeededS3;
import dev.kiln.training.storage.S3ProxyServer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.util.regex.Pattern;

import static com.microsoft.playwright.assertions.PlaywrightAssertions.assertThat;

/** A user adds an S3 connection to a real S3-compatible server, tests it, browses the bucket and previews a CSV. */
class DataBrowserIT extends BrowserTestBase {
    static S3ProxyServer s3;

    @BeforeAll
    static void startS3() throws Exception {
        s3 = SeededS3.start();
    }

    @AfterAll
    static void stopS3() {
        s3.close();
    }

    @Test
    void addAnS3ConnectionBrowseAndPreviewACsv() {
        try (var context = chromium.browser().newContext(new Browser.NewContextOptions().setViewportSize(1500, 950))) {
            var page = signedIn(context, "admin", ADMIN_PASSWORD);
            page.locator("#new-studio").click();
            page.locator("#prompt-field input").fill("Data studio");
            page.locator("#prompt-ok").click();
            page.waitForURL(Pattern.compile(".*/studio/.*"));

            page.locator("#tab-data").click();
            page.locator("#data-add").click();
            page.locator("#conn-name input").fill("datasets");
            page.locator("#conn-bucket input").fill("datasets");
            page.locator("#conn-endpoint input").fill(s3.endpoint());
            page.locator("#conn-path-style").click();
            page.locator("#conn-key input").fill(SeededS3.IDENTITY);
            page.locator("#conn-secret input").fill(SeededS3.CREDENTIAL);
            page.locator("#conn-save").click();

            page.locator("#data-test").click();
            assertThat(page.locator("#data-verdict")).containsText("Connected");
            assertThat(page.locator("#data-objects")).containsText("iris.csv");
            assertThat(page.locator("#data-objects")).containsText("shards/");
            page.locator("#data-objects").getByText("iris.csv").click();
            assertThat(page.locator("#data-table")).containsText("virginica");
            assertThat(page.locator("#data-table")).containsText("species");
            page.screenshot(new Page.ScreenshotOptions().setPath(SCREENSHOTS.resolve("data-preview.png")));

            // Download the 5 MB file onto the studio's machine, with its progress shown.
            page.locator("#machine").click();
            page.locator("#machine-types").getByText("This computer · 1 core").click();
            page.locator("#machine-apply").click();
            assertThat(page.locator("#machine")).hasAttribute("data-phase", "READY");
            page.locator("#machine-close").click();
            page.locator("#data-objects").getByText("big.txt").click();
            assertThat(page.locator("#data-preview")).containsText("first 64 KB shown");
            page.locator("#data-download").click();
            assertThat(page.locator("#data-transfers")).containsText("big.txt → ~/data/big.txt: downloaded (4.9 MB)");
            page.screenshot(new Page.ScreenshotOptions().setPath(SCREENSHOTS.resolve("data-download.png")));
            org.assertj.core.api.Assertions.assertThat(page.content()).doesNotContain(SeededS3.CREDENTIAL);
        }
    }

    @Test
    void queryADatabaseAPageAtATime() throws Exception {
        try (var postgres = dev.kiln.server.persistence.PostgresServer.start();
             var context = chromium.browser().newContext(new Browser.NewContextOptions().setViewportSize(1500, 950))) {
            try (var connection = java.sql.DriverManager.getConnection(postgres.jdbcUrl("postgres"), postgres.user(), "");
                 var statement = connection.createStatement()) {
                statement.execute("create table trips (id int, city text)");
                statement.execute("insert into trips select i, 'city-' || i from generate_series(1, 250) as i");
            }
            var page = signedIn(context, "admin", ADMIN_PASSWORD);
            page.locator("#new-studio").click();
            page.locator("#prompt-field input").fill("SQL studio");
            page.locator("#prompt-ok").click();
            page.waitForURL(Pattern.compile(".*/studio/.*"));
            page.locator("#tab-data").click();
            page.locator("#data-add-sql").click();
            page.locator("#db-kind").click();
            page.getByRole(com.microsoft.playwright.options.AriaRole.OPTION,
                    new Page.GetByRoleOptions().setName("postgresql")).click();
            page.locator("#db-name input").fill("warehouse");
            page.locator("#db-url input").fill(postgres.jdbcUrl("postgres"));
            page.locator("#db-user input").fill(postgres.user());
            page.locator("#db-save").click();
            page.locator("#data-test").click();
            assertThat(page.locator("#data-verdict")).containsText("Connected");

            page.locator("#sql-text textarea").fill("select id, city from trips order by id");
            page.locator("#sql-run").click();
            assertThat(page.locator("#sql-status")).containsText("Rows 1-100, more follow");
            assertThat(page.locator("#sql-results")).containsText("city-1");
            page.locator("#sql-next").click();
            assertThat(page.locator("#sql-status")).containsText("Rows 101-200");
            assertThat(page.locator("#sql-results")).containsText("city-101");
            page.screenshot(new Page.ScreenshotOptions().setPath(SCREENSHOTS.resolve("data-sql.png")));

            page.locator("#sql-text textarea").fill("select * from nowhere");
            page.locator("#sql-run").click();
            assertThat(page.locator("#sql-status")).containsText("relation \"nowhere\" does not exist");
        }
    }
}
