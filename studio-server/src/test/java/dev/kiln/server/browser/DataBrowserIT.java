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

/**
 * A user adds an S3 connection to a real S3-compatible server, tests it, browses the bucket and previews a CSV; the
 * owner gives it to the studio's jobs; SQL against a real PostgreSQL a page at a time, exported to the bucket.
 */
class DataBrowserIT extends BrowserTestBase {
    static S3ProxyServer s3;
    static dev.kiln.server.persistence.PostgresServer postgres;

    /** The test's own S3 and PostgreSQL servers on 127.0.0.1, and nothing else internal. */
    @org.springframework.test.context.DynamicPropertySource
    static void allowTheTestServers(org.springframework.test.context.DynamicPropertyRegistry registry) {
        registry.add("kiln.data.allowed-endpoints", () -> s3.endpoint().replace("http://", "") + ","
                + postgres.jdbcUrl("x").replaceAll(".*//([^/]+)/.*", "$1"));
    }

    @BeforeAll
    static void startS3() throws Exception {
        s3 = SeededS3.start();
        postgres = dev.kiln.server.persistence.PostgresServer.start();
    }

    @AfterAll
    static void stopS3() {
        s3.close();
        postgres.close();
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
            addS3(page);

            page.locator("#data-test").click();
            assertThat(page.locator("#data-verdict")).containsText("Connected");
            // Not given to jobs until the owner says so.
            assertThat(page.locator("#data-for-jobs")).not().hasAttribute("checked", "");
            page.locator("#data-for-jobs").click();
            assertThat(page.locator("#data-verdict")).containsText("Jobs now receive 'datasets'.");
            assertThat(page.locator("#data-for-jobs")).hasAttribute("checked", "");
            page.screenshot(new Page.ScreenshotOptions().setPath(SCREENSHOTS.resolve("data-for-jobs.png")));
            assertThat(page.locator("#data-objects")).containsText("iris.csv");
            assertThat(page.locator("#data-objects")).containsText("shards/");
            page.locator("#data-objects").getByText("iris.csv").click();
            assertThat(page.locator("#data-table")).containsText("virginica");
            assertThat(page.locator("#data-table")).containsText("species");
            page.screenshot(new Page.ScreenshotOptions().setPath(SCREENSHOTS.resolve("data-preview.png")));

            // A Parquet table: its schema, its first rows, and the s3:// path a job reads it from.
            page.locator("#data-objects").getByText("tables/").click();
            page.locator("#data-objects").getByText("flowers.parquet").click();
            assertThat(page.locator("#data-schema")).containsText("500 rows in 1 row group, 3 columns");
            assertThat(page.locator("#data-table")).containsText("setosa");
            assertThat(page.locator("#data-uri")).hasText("s3://datasets/tables/flowers.parquet");
            assertThat(page.locator("#data-preview")).containsText("first 50 rows shown");
            page.screenshot(new Page.ScreenshotOptions().setPath(SCREENSHOTS.resolve("data-parquet.png")));
            page.locator("#data-objects").getByText("fake.parquet").click();
            assertThat(page.locator("#data-preview")).containsText("not a readable Parquet file");
            // The Data tab's "Up" button exactly: the file tree's "Upload files" and "Upload a folder" match "Up" too.
            page.getByRole(com.microsoft.playwright.options.AriaRole.BUTTON,
                    new Page.GetByRoleOptions().setName("Up").setExact(true)).click();

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
        try (var context = chromium.browser().newContext(new Browser.NewContextOptions().setViewportSize(1500, 950))) {
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
                    new Page.GetByRoleOptions().setName("PostgreSQL")).click();
            page.locator("#db-name input").fill("warehouse");
            page.locator("#db-url input").fill(postgres.jdbcUrl("postgres"));
            page.locator("#db-user input").fill(postgres.user());
            page.locator("#db-save").click();
            page.locator("#data-test").click();
            assertThat(page.locator("#data-verdict")).containsText("Connected");

            page.locator("#sql-text textarea").fill("select id, city from trips order by id");
            page.locator("#sql-text textarea").press("Control+Enter"); // runs it, as in every SQL editor
            assertThat(page.locator("#sql-status")).containsText("Rows 1-100, more follow");
            assertThat(page.locator("#sql-results")).containsText("city-1");
            assertThat(page.locator("#sql-previous")).isHidden();
            page.locator("#sql-next").click();
            assertThat(page.locator("#sql-status")).containsText("Rows 101-200");
            assertThat(page.locator("#sql-results")).containsText("city-101");
            // The last page: now the row count is known, and the pages before are there to go back to.
            page.locator("#sql-next").click();
            assertThat(page.locator("#sql-status")).hasText("Rows 201-250 of 250");
            page.locator("#sql-previous").click();
            assertThat(page.locator("#sql-status")).hasText("Rows 101-200 of 250");
            assertThat(page.locator("#sql-results")).containsText("city-101"); // the grid draws the rows in view
            page.screenshot(new Page.ScreenshotOptions().setPath(SCREENSHOTS.resolve("data-sql.png")));

            // Export every row to the bucket as Parquet, through the export dialog.
            addS3(page);
            page.locator("#data-connection").click();
            page.getByRole(com.microsoft.playwright.options.AriaRole.OPTION,
                    new Page.GetByRoleOptions().setName(Pattern.compile("warehouse"))).click();
            page.locator("#sql-export").click();
            page.locator("#export-destination").click();
            page.getByRole(com.microsoft.playwright.options.AriaRole.OPTION,
                    new Page.GetByRoleOptions().setName(Pattern.compile("^datasets"))).click();
            assertThat(page.locator("#export-name input")).hasValue(Pattern.compile("exports/query-.*\\.parquet"));
            page.locator("#export-name input").fill("exports/trips.parquet");
            page.screenshot(new Page.ScreenshotOptions().setPath(SCREENSHOTS.resolve("data-export.png")));
            page.locator("#export-start").click();
            assertThat(page.locator("#data-transfers")).containsText("→ s3://datasets/exports/trips.parquet: exported");
            try (var client = s3.client()) {
                byte[] file = client.getObjectAsBytes(b -> b.bucket("datasets").key("exports/trips.parquet"))
                        .asByteArray();
                try (var reader = dev.hardwood.reader.ParquetFileReader.open(dev.hardwood.InputFile.of(
                        java.nio.ByteBuffer.wrap(file)))) {
                    org.assertj.core.api.Assertions.assertThat(reader.getFileMetaData().numRows()).isEqualTo(250);
                }
            }

            page.locator("#sql-text textarea").fill("select * from nowhere");
            page.locator("#sql-run").click();
            assertThat(page.locator("#sql-status")).containsText("relation \"nowhere\" does not exist");
        }
    }

    /** Adds the test server's "datasets" bucket as an S3 connection, through the Add S3 dialog. */
    static void addS3(Page page) {
        page.locator("#data-add").click();
        page.locator("#conn-name input").fill("datasets");
        page.locator("#conn-bucket input").fill("datasets");
        page.locator("#conn-endpoint input").fill(s3.endpoint());
        page.locator("#conn-path-style").click();
        page.locator("#conn-key input").fill(SeededS3.IDENTITY);
        page.locator("#conn-secret input").fill(SeededS3.CREDENTIAL);
        page.locator("#conn-save").click();
    }
}
