package dev.kiln.server.browser;

import com.microsoft.playwright.Browser;
import com.microsoft.playwright.Page;
import org.junit.jupiter.api.Test;

import java.util.regex.Pattern;

import static com.microsoft.playwright.assertions.PlaywrightAssertions.assertThat;

/**
 * The editor as a person moves around a workspace: files open in tabs, Ctrl+P finds a file by a few letters, a
 * search across the files opens a result at its line, long lines wrap on request; and two named terminals on the
 * machine, each its own shell, both seen by a teammate.
 */
class EditorBrowserIT extends BrowserTestBase {

    @Test
    void tabsQuickOpenSearchAcrossFilesWrapAndTwoTerminals() {
        try (var context = chromium.browser().newContext(new Browser.NewContextOptions().setViewportSize(1500, 950))) {
            var page = signedIn(context, "admin", ADMIN_PASSWORD);
            page.locator("#new-studio").click();
            page.locator("#prompt-field input").fill("Editor studio");
            page.locator("#prompt-ok").click();
            page.waitForURL(Pattern.compile(".*/studio/.*"));
            String studioUrl = page.url();

            openLiveFile(page, "README.md");
            assertThat(page.locator("#tab-strip .kiln-tab")).hasCount(1);

            // Ctrl+P: a few letters of the path, Enter.
            editorContent(page).click();
            page.keyboard().press("Control+p");
            assertThat(page.locator("#quick-open-query")).isVisible();
            page.locator("#quick-open-query input").fill("sumreg");
            assertThat(page.locator("#quick-open-results .kiln-quick-row").first())
                    .hasAttribute("data-path", "src/main/java/example/SumRegression.java");
            page.locator("#quick-open-query input").press("Enter");
            assertThat(page.locator("#file-title")).hasText("src/main/java/example/SumRegression.java");
            var tabs = page.locator("#tab-strip .kiln-tab");
            assertThat(tabs).hasCount(2);
            assertThat(page.locator("#tab-strip .kiln-tab[data-active='true']"))
                    .hasAttribute("data-tab", "src/main/java/example/SumRegression.java");

            // Back to the first tab, then close it: the other one is active again.
            page.locator("#tab-strip .kiln-tab[data-tab='README.md']").click();
            assertThat(page.locator("#file-title")).hasText("README.md");
            assertThat(page.locator("#editor .status-text")).containsText("Connected");
            page.locator("#tab-strip .kiln-tab[data-tab='README.md'] .kiln-tab-close").click();
            assertThat(tabs).hasCount(1);
            assertThat(page.locator("#file-title")).hasText("src/main/java/example/SumRegression.java");

            // Search every file; a result opens its file at the line.
            page.keyboard().press("Control+Shift+F");
            page.locator("#search-files-query input").fill("mse_loss(forward");
            page.locator("#search-files-query input").press("Enter");
            assertThat(page.locator("#search-files-summary")).containsText("2 matches");
            var result = page.locator("#search-files-results .kiln-search-row").nth(1);
            String line = result.getAttribute("data-line");
            page.screenshot(new Page.ScreenshotOptions().setPath(SCREENSHOTS.resolve("editor-search.png")));
            result.click();
            assertThat(page.locator("#file-title")).hasText("src/main/java/example/SumRegression.java");
            assertThat(page.locator("#editor .cm-activeLine")).containsText("val_loss");
            assertThat(page.locator("#editor .cm-lineNumbers .cm-activeLineGutter")).hasText(line);

            // Long lines wrap on request.
            assertThat(page.locator("#editor .cm-content")).not().hasClass(Pattern.compile(".*cm-lineWrapping.*"));
            page.locator("#wrap-toggle").click();
            assertThat(page.locator("#editor .cm-content")).hasClass(Pattern.compile(".*cm-lineWrapping.*"));

            // A long file name wraps in the tree: never cut off, and the tree never scrolls sideways.
            String longName = "a-rather-long-file-name-that-the-tree-used-to-cut-off.md";
            page.locator("#new-file").click();
            page.locator("#prompt-field input").fill(longName);
            page.locator("#prompt-ok").click();
            assertThat(page.locator("#file-tree [data-path='" + longName + "']")).isVisible();
            Object fits = page.locator("#file-tree").evaluate("""
                    (grid, path) => {
                      const table = grid.shadowRoot.querySelector('#table');
                      const name = grid.querySelector(`[data-path='${path}'] span`).getBoundingClientRect();
                      return table.scrollWidth <= table.clientWidth + 1 && name.right <= grid.getBoundingClientRect().right;
                    }""", longName);
            org.assertj.core.api.Assertions.assertThat(fits).isEqualTo(true);
            page.screenshot(new Page.ScreenshotOptions().setPath(SCREENSHOTS.resolve("editor-tree.png")));

            // Two terminals, each its own shell.
            page.locator("#machine").click();
            page.locator("#machine-types vaadin-radio-button").first().click();
            page.locator("#machine-apply").click();
            assertThat(page.locator("#machine")).hasAttribute("data-phase", "READY");
            page.locator("#machine-close").click();
            page.locator("#terminal-1 .xterm-screen").click();
            page.keyboard().type("echo one-$((40+2))\n");
            assertThat(page.locator("#terminal-1 .xterm-rows")).containsText("one-42");
            page.locator("#terminal-new").click();
            assertThat(page.locator("#prompt-field input")).hasValue("2");
            page.locator("#prompt-ok").click();
            assertThat(page.locator("#terminal-strip [data-terminal='2']")).hasAttribute("data-active", "true");
            page.locator("#terminal-2 .xterm-screen").click();
            page.keyboard().type("echo two-$((40+2))\n");
            assertThat(page.locator("#terminal-2 .xterm-rows")).containsText("two-42");
            page.screenshot(new Page.ScreenshotOptions().setPath(SCREENSHOTS.resolve("editor-terminals.png")));
            page.locator("#terminal-strip [data-terminal='1']").click();
            assertThat(page.locator("#terminal-1")).isVisible();
            assertThat(page.locator("#terminal-1 .xterm-rows")).not().containsText("two-42");

            // A teammate's browser (here a second tab) finds both, each with its own output.
            var other = context.newPage();
            other.navigate(studioUrl);
            assertThat(other.locator("#terminal-strip [data-terminal='2']")).isAttached();
            other.locator("#terminal-strip [data-terminal='2']").click();
            assertThat(other.locator("#terminal-2 .xterm-rows")).containsText("two-42");
        }
    }
}
