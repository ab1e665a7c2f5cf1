package dev.kiln.server.browser;

import com.microsoft.playwright.Browser;
import com.microsoft.playwright.BrowserContext;
import com.microsoft.playwright.Locator;
import com.microsoft.playwright.Page;
import com.microsoft.playwright.assertions.LocatorAssertions;
import dev.kiln.machine.kernel.DebianPython;
import dev.kiln.server.KilnHttp;
import dev.kiln.server.ServerTestSupport;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.regex.Pattern;

import static com.microsoft.playwright.assertions.PlaywrightAssertions.assertThat;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * Notebooks as people use them, in real browsers against a real machine: Java cells with tables, a live chart, an
 * image and a progress bar; Markdown; a cell that prints for 20 s keeps running while the browser is closed and a
 * reopened browser shows every line; interrupt, restart and a dying kernel; Python on ipykernel; two people typing in
 * one cell and adding and moving cells at once.
 */
class NotebookBrowserIT extends BrowserTestBase {
    static final Browser.NewContextOptions WINDOW = new Browser.NewContextOptions().setViewportSize(1400, 1000);
    static final LocatorAssertions.ContainsTextOptions LONG = new LocatorAssertions.ContainsTextOptions().setTimeout(180_000);
    static final LocatorAssertions.HasAttributeOptions LONG_ATTRIBUTE = new LocatorAssertions.HasAttributeOptions().setTimeout(180_000);

    KilnHttp admin() {
        return KilnHttp.signIn(url(""), "admin", ADMIN_PASSWORD);
    }

    String studioWithNotebooks(KilnHttp admin, String name, String... notebooks) {
        String studioId = admin.postJson("/api/studios", "{\"name\":\"" + name + "\"}").path("id").asString();
        for (String path : notebooks) {
            var text = KilnHttp.JSON.createObjectNode().put("text", "").put("baseVersion", "");
            assertThat(admin.put("/api/studios/" + studioId + "/file?path=" + path, text.toString()).statusCode()).isEqualTo(200);
        }
        admin.startMachine(studioId, "local-2");
        return studioId;
    }

    Page openNotebook(BrowserContext context, String user, String password, String studioId, String path) {
        var page = signedIn(context, user, password);
        page.navigate(url("/studio/" + studioId));
        openFile(page, path);
        assertThat(page.locator("#nb-connection")).containsText("Connected");
        return page;
    }

    static Locator cell(Page page, int index) {
        return page.locator("#notebook .nb-cell").nth(index);
    }

    static void shot(Page page, String name) {
        page.screenshot(new Page.ScreenshotOptions().setPath(SCREENSHOTS.resolve(name)));
    }

    @Test
    void javaCellsRunRichOutputsAndSurviveAClosedBrowser() {
        var admin = admin();
        String studioId = studioWithNotebooks(admin, "Notebook studio", "analysis.ipynb");
        String token = admin.postJson("/api/studios/" + studioId + "/links", "{\"role\":\"viewer\"}").path("token").asString();
        var viewer = ServerTestSupport.newUser(accounts, "Wes Watcher");
        KilnHttp.signIn(url(""), viewer.getUsername(), "password-" + viewer.getUsername())
                .postJson("/api/studios/joined/" + token, "{}");
        try (var watcherContext = chromium.browser().newContext(WINDOW)) {
            Page watching;
            try (var context = chromium.browser().newContext(WINDOW)) {
                var page = openNotebook(context, "admin", ADMIN_PASSWORD, studioId, "analysis.ipynb");
                assertThat(page.locator("#notebook .nb-empty")).containsText("no cells yet");

                page.locator("#nb-add-code").click();
                page.keyboard().type("System.out.println(\"hello \" + (20 + 22));");
                page.keyboard().press("Shift+Enter");
                assertThat(cell(page, 0).locator(".nb-outputs")).containsText("hello 42", LONG);
                assertThat(cell(page, 0).locator(".nb-count")).hasText("[1]");
                assertThat(cell(page, 0).locator(".nb-run-info")).containsText("Administrator");
                assertThat(page.locator("#nb-kernel-state")).hasAttribute("data-state", "idle");

                // Shift+Enter made a new cell, focused. Shift+Tab shows what JShell's source analysis knows there.
                page.keyboard().type("Math.max");
                page.keyboard().press("Shift+Tab");
                var docs = cell(page, 1).locator(".nb-docs");
                assertThat(docs).containsText("int Math.max(int a, int b)");
                assertThat(docs).containsText("double Math.max(double a, double b)");
                shot(page, "notebook-documentation.png");
                page.keyboard().press("Escape");
                assertThat(docs).hasCount(0);
                page.keyboard().press("Control+a");
                page.keyboard().press("Backspace");

                // Shift+Enter on the last cell made a new one, focused: a table, a chart, a progress bar and an image.
                page.keyboard().type("var rows = table(List.of(\"name\", \"value\"), List.of(List.of(\"<b>a</b>\", 1), List.of(\"b\", 2)));\n"
                        + "display(rows);\n"
                        + "var chart = chart(\"demo\");\n"
                        + "for (int i = 0; i < 40; i++) { chart.add(\"loss\", i, 1.0 / (i + 1)); Thread.sleep(10); }\n"
                        + "chart.flush();\n"
                        + "var bar = progress(\"work\", 10);\n"
                        + "for (int i = 1; i <= 10; i++) { bar.update(i); Thread.sleep(20); }\n"
                        + "image(dev.kiln.training.runtime.Tensors.fromFloats(new float[3 * 24 * 24], 3, 24, 24));");
                page.keyboard().press("Shift+Enter");
                var rich = cell(page, 1);
                assertThat(rich).hasAttribute("data-state", "done", LONG_ATTRIBUTE);
                assertThat(rich.locator(".nb-html table td").first()).hasText("<b>a</b>"); // escaped, not bold
                assertThat(rich.locator("kiln-chart")).hasAttribute("data-points", "40");
                assertThat(rich.locator("kiln-chart canvas").first()).isVisible();
                assertThat(rich.locator(".nb-html .kiln-progress")).containsText("10/10");
                assertThat(rich.locator("img.nb-image")).isVisible();

                // Shift+Enter again made a new code cell: it becomes Markdown, rendered.
                page.keyboard().type("# Results\n\nThe *loss* goes down.");
                cell(page, 2).locator(".nb-type").selectOption("markdown");
                assertThat(cell(page, 2).locator(".nb-markdown-view h1")).hasText("Results");
                assertThat(cell(page, 2).locator(".nb-markdown-view em")).hasText("loss");
                shot(page, "notebook-java.png");

                // A cell that prints for 20 seconds.
                page.locator("#nb-add-code").click();
                assertThat(page.locator("#notebook .nb-cell")).hasCount(4);
                String ticker = cell(page, 3).getAttribute("data-cell");
                page.keyboard().type("for (int i = 1; i <= 20; i++) {\nSystem.out.println(\"line \" + i);\nThread.sleep(1000);\n}");
                assertThat(page.evaluate("id => document.querySelector('#notebook').cellText(id)", ticker))
                        .as("what was typed is in the new cell").asString().startsWith("for (int i = 1;").endsWith("}");
                page.keyboard().press("Control+Enter");
                shot(page, "notebook-ticking.png");
                assertThat(cell(page, 3).locator(".nb-outputs")).containsText("line 3", LONG);
                // A second person watches it stream.
                watching = openNotebook(watcherContext, viewer.getUsername(), "password-" + viewer.getUsername(), studioId,
                        "analysis.ipynb");
                assertThat(cell(watching, 3).locator(".nb-outputs")).containsText("line 5");
            }
            // The runner's browser is gone; the cell goes on, the watcher sees it go on, and the server records it.
            assertThat(cell(watching, 3).locator(".nb-outputs")).containsText("line 9", LONG);
            page(2000);
            try (var context = chromium.browser().newContext(WINDOW)) {
                var page = openNotebook(context, "admin", ADMIN_PASSWORD, studioId, "analysis.ipynb");
                var ticking = cell(page, 3);
                assertThat(ticking.locator(".nb-outputs")).containsText("line 7");
                shot(page, "notebook-reopened.png");
                assertThat(ticking).hasAttribute("data-state", "done", LONG_ATTRIBUTE);
                String text = (String) ticking.locator(".nb-outputs").evaluate("e => e.innerText");
                var expected = new StringBuilder();
                for (int i = 1; i <= 20; i++) {
                    expected.append("line ").append(i).append('\n');
                }
                assertThat(text.strip()).isEqualTo(expected.toString().strip());

                // Interrupt an endless loop; restart; a kernel that dies says so.
                page.locator("#nb-add-code").click();
                page.keyboard().type("while (true) { }");
                page.keyboard().press("Control+Enter");
                var spinning = cell(page, 4);
                assertThat(spinning).hasAttribute("data-state", "running", LONG_ATTRIBUTE);
                assertThat(spinning.locator(".nb-count")).hasText("[*]");
                page.locator("#nb-interrupt").click();
                assertThat(spinning).hasAttribute("data-state", "error", LONG_ATTRIBUTE);
                assertThat(spinning.locator(".nb-outputs")).containsText("Interrupted");

                page.locator("#nb-restart").click();
                assertThat(page.locator("#nb-kernel-state")).hasAttribute("data-state", "idle", LONG_ATTRIBUTE);
                page.locator("#nb-add-code").click();
                page.keyboard().type("System.exit(1);");
                page.keyboard().press("Control+Enter");
                assertThat(page.locator("#nb-kernel-state")).hasAttribute("data-state", "dead", LONG_ATTRIBUTE);
                assertThat(page.locator("#nb-kernel-detail")).containsText("exited with code 1");
                assertThat(cell(page, 5)).hasAttribute("data-state", "lost");
                shot(page, "notebook-dead.png");
            }
        }
    }

    private static void page(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    @Test
    void aMachineSwitchEndsTheKernelAndReRunsTheCellsThatRanOnTheNextWhileAViewerWatches() {
        var admin = admin();
        String studioId = studioWithNotebooks(admin, "Switch studio", "switch.ipynb");
        String token = admin.postJson("/api/studios/" + studioId + "/links", "{\"role\":\"viewer\"}").path("token").asString();
        var viewer = ServerTestSupport.newUser(accounts, "Val Viewer");
        KilnHttp.signIn(url(""), viewer.getUsername(), "password-" + viewer.getUsername())
                .postJson("/api/studios/joined/" + token, "{}");
        try (var context = chromium.browser().newContext(WINDOW); var viewerContext = chromium.browser().newContext(WINDOW)) {
            var page = openNotebook(context, "admin", ADMIN_PASSWORD, studioId, "switch.ipynb");
            page.locator("#nb-add-code").click();
            page.keyboard().type("int base = 40;");
            page.keyboard().press("Shift+Enter");
            assertThat(cell(page, 0)).hasAttribute("data-state", "done", LONG_ATTRIBUTE);
            page.keyboard().type("System.out.println(\"sum \" + (base + 2));");
            page.keyboard().press("Control+Enter");
            assertThat(cell(page, 1).locator(".nb-outputs")).containsText("sum 42", LONG);

            var watching = openNotebook(viewerContext, viewer.getUsername(), "password-" + viewer.getUsername(), studioId,
                    "switch.ipynb");
            assertThat(watching.locator("#nb-connection")).containsText("View only");
            assertThat(cell(watching, 1).locator(".nb-outputs")).containsText("sum 42");
            assertThat(cell(watching, 1).locator(".nb-run-info")).containsText("Administrator");
            assertThat(watching.locator("#nb-run-all")).isHidden();
            assertThat(cell(watching, 1).locator(".nb-run")).isHidden();

            admin.startMachine(studioId, "local-1"); // a switch: the kernel goes with the old machine
            assertThat(page.locator("#nb-kernel-detail")).containsText("The new machine is ready", LONG);
            assertThat(cell(page, 1).locator(".nb-outputs")).containsText("sum 42"); // the outputs stayed
            var offer = page.locator("#nb-rebuild-run");
            assertThat(offer).hasText("Re-run the 2 cells that ran, in order");
            assertThat(watching.locator("#nb-rebuild")).isHidden(); // a viewer is not offered to run anything
            shot(page, "notebook-switched.png");
            offer.click();
            assertThat(page.locator("#nb-rebuild")).isHidden();
            assertThat(page.locator("#nb-kernel-detail")).containsText("State rebuilt", LONG);
            assertThat(cell(page, 1)).hasAttribute("data-state", "done");
            assertThat(cell(page, 1).locator(".nb-outputs")).hasText("sum 42");
            assertThat(cell(watching, 1).locator(".nb-outputs")).hasText("sum 42");
            shot(page, "notebook-rebuilt.png");
        }
    }

    @Test
    void pythonCellsRunOnIpykernel() {
        DebianPython.require("ipykernel");
        var admin = admin();
        String studioId = studioWithNotebooks(admin, "Python studio", "py.ipynb");
        try (var context = chromium.browser().newContext(WINDOW)) {
            var page = openNotebook(context, "admin", ADMIN_PASSWORD, studioId, "py.ipynb");
            assertThat(page.locator("#nb-kernel-picker option[value=python3]")).hasCount(1,
                    new LocatorAssertions.HasCountOptions().setTimeout(60_000));
            page.locator("#nb-kernel-picker").selectOption("python3");
            assertThat(page.locator("#nb-kernel-state")).hasAttribute("data-state", "idle", LONG_ATTRIBUTE);
            page.locator("#nb-add-code").click();
            page.keyboard().type("import sys\nprint('py', 6 * 7)\nprint('careful', file=sys.stderr)\n1 / 0");
            page.keyboard().press("Shift+Enter");
            var first = cell(page, 0);
            assertThat(first).hasAttribute("data-state", "error", LONG_ATTRIBUTE);
            assertThat(first.locator(".nb-stream").first()).hasText("py 42");
            assertThat(first.locator(".nb-stderr")).hasText("careful");
            assertThat(first.locator(".nb-error")).containsText("ZeroDivisionError");
            shot(page, "notebook-python.png");

            // ipykernel's documentation (its inspect_reply), without the terminal colours it comes with.
            page.keyboard().type("len");
            page.keyboard().press("Shift+Tab");
            var docs = cell(page, 1).locator(".nb-docs");
            assertThat(docs).containsText("Return the number of items in a container");
            assertThat((String) docs.evaluate("e => e.textContent")).doesNotContain("\u001b");
        }
    }

    @Test
    void twoPeopleTypeInOneCellAndAddAndMoveCellsAtOnce() {
        var admin = admin();
        String studioId = admin.postJson("/api/studios", "{\"name\":\"Pair studio\"}").path("id").asString();
        String notebook = """
                {"nbformat": 4, "nbformat_minor": 5, "metadata": {}, "cells": [
                 {"cell_type": "code", "id": "first", "metadata": {}, "source": "int a = 1;", "outputs": [], "execution_count": null},
                 {"cell_type": "code", "id": "second", "metadata": {}, "source": "int b = 2;", "outputs": [], "execution_count": null}]}
                """;
        var body = KilnHttp.JSON.createObjectNode().put("text", notebook).put("baseVersion", "");
        assertThat(admin.put("/api/studios/" + studioId + "/file?path=pair.ipynb", body.toString()).statusCode()).isEqualTo(200);
        String token = admin.postJson("/api/studios/" + studioId + "/links", "{\"role\":\"editor\"}").path("token").asString();
        var mate = ServerTestSupport.newUser(accounts, "Pia Pair");
        KilnHttp.signIn(url(""), mate.getUsername(), "password-" + mate.getUsername())
                .postJson("/api/studios/joined/" + token, "{}");
        try (var ownerContext = chromium.browser().newContext(WINDOW); var mateContext = chromium.browser().newContext(WINDOW)) {
            var owner = openNotebook(ownerContext, "admin", ADMIN_PASSWORD, studioId, "pair.ipynb");
            var pia = openNotebook(mateContext, mate.getUsername(), "password-" + mate.getUsername(), studioId, "pair.ipynb");

            owner.locator("[data-cell=first] .cm-content").click();
            owner.keyboard().press("End");
            pia.locator("[data-cell=first] .cm-content").click();
            pia.keyboard().press("Home");
            owner.keyboard().type(" // owner typed this");
            pia.keyboard().type("// Pia typed this\n");
            owner.waitForFunction("() => document.querySelector('#notebook').cellText('first').includes('Pia typed this')");
            pia.waitForFunction("() => document.querySelector('#notebook').cellText('first').includes('owner typed this')");
            String ownerText = (String) owner.evaluate("() => document.querySelector('#notebook').cellText('first')");
            String piaText = (String) pia.evaluate("() => document.querySelector('#notebook').cellText('first')");
            assertThat(ownerText).isEqualTo(piaText).isEqualTo("// Pia typed this\nint a = 1; // owner typed this");
            assertThat(owner.locator("[data-cell=first] .nb-here")).containsText("Pia Pair");

            // At once: Pia adds a cell below the second, the owner moves the second above the first.
            pia.locator("[data-cell=second] .cm-content").click();
            owner.locator("[data-cell=second] .cm-content").click();
            pia.locator("[data-cell=second] .nb-add-below").click();
            owner.locator("[data-cell=second] .nb-move-up").click();
            pia.waitForFunction("() => { const c = document.activeElement?.closest('.nb-cell'); "
                    + "return !!c && c.dataset.cell != 'first' && c.dataset.cell != 'second'; }"); // in the new cell
            pia.keyboard().type("int c = 3;");
            // Where the new cell lands depends on which change reached the server first; both browsers agree.
            String settled = "() => { const ids = document.querySelector('#notebook').cellIds(); "
                    + "return ids.length == 3 && ids[0] == 'second' && ids.includes('first'); }";
            owner.waitForFunction(settled);
            pia.waitForFunction(settled);
            @SuppressWarnings("unchecked")
            var ownerIds = (List<String>) owner.evaluate("() => document.querySelector('#notebook').cellIds()");
            @SuppressWarnings("unchecked")
            var piaIds = (List<String>) pia.evaluate("() => document.querySelector('#notebook').cellIds()");
            assertThat(ownerIds).isEqualTo(piaIds);
            String third = ownerIds.stream().filter(id -> !id.equals("first") && !id.equals("second")).findFirst().orElseThrow();
            owner.waitForFunction("() => document.querySelector('#notebook').cellText('" + third + "') == 'int c = 3;'");
            assertThat(owner.locator("#notebook .nb-cell").nth(ownerIds.indexOf(third))).hasAttribute("data-cell",
                    Pattern.compile(third));
            shot(owner, "notebook-pair-owner.png");
            shot(pia, "notebook-pair-mate.png");
        }
    }
}
