package dev.kiln.server.browser;

import com.microsoft.playwright.Browser;
import com.microsoft.playwright.Page;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.regex.Pattern;

import static com.microsoft.playwright.assertions.PlaywrightAssertions.assertThat;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * The one-click machine switch as a user does it: start a machine, switch it, watch the phases, and keep typing in
 * the editor the whole time; the text typed during the switch is intact afterwards.
 */
class MachineBrowserIT extends BrowserTestBase {

    @Test
    void switchTheMachineWhileTyping() {
        try (var context = chromium.browser().newContext(new Browser.NewContextOptions().setViewportSize(1400, 850))) {
            var page = signedIn(context, "admin", ADMIN_PASSWORD);
            page.locator("#new-studio").click();
            page.locator("#prompt-field input").fill("Switching studio");
            page.locator("#prompt-ok").click();
            page.waitForURL(Pattern.compile(".*/studio/.*"));
            assertThat(page.locator("#machine")).hasText("No machine");
            openLiveFile(page, "README.md");

            page.locator("#machine").click();
            page.locator("#machine-types").getByText("This computer · 1 core").click();
            page.locator("#machine-apply").click();
            assertThat(page.locator("#machine")).hasAttribute("data-phase", "READY");
            assertThat(page.locator("#machine")).containsText("1 core · Ready");
            // The terminal is a real shell on the machine, in the studio's workspace.
            page.locator("#machine-close").click();
            page.locator("#terminal .xterm-screen").click();
            page.keyboard().type("echo kiln-$((6*7)) && ls\n");
            assertThat(page.locator("#terminal .xterm-rows")).containsText("kiln-42");
            assertThat(page.locator("#terminal .xterm-rows")).containsText("README.md");
            page.screenshot(new Page.ScreenshotOptions().setPath(SCREENSHOTS.resolve("machine-ready.png")));

            page.locator("#machine").click();
            page.locator("#machine-types").getByText("This computer · 2 cores").click();
            assertThat(page.locator("#machine-apply")).hasText("Switch");
            page.locator("#machine-apply").click();
            // The dialog lists the phases and marks the current one with the time spent in it.
            assertThat(page.locator("#machine-phases [data-state='current']")).isVisible();
            assertThat(page.locator("#machine-phases [data-phase]")).hasCount(7);
            page.screenshot(new Page.ScreenshotOptions().setPath(SCREENSHOTS.resolve("machine-switching.png")));
            page.locator("#machine-close").click();

            // Type while the machine moves, and note the phases the header shows.
            editorContent(page).click();
            page.keyboard().press("Control+End");
            var phases = new ArrayList<String>();
            var typed = new StringBuilder();
            for (int i = 0; i < 200 && !"READY".equals(phase(page)) || i < 5; i++) {
                String word = " w" + i;
                page.keyboard().type(word);
                typed.append(word);
                String phase = phase(page);
                if (phases.isEmpty() || !phases.getLast().equals(phase)) {
                    phases.add(phase);
                }
                page.waitForTimeout(50);
            }
            assertThat(page.locator("#machine")).hasAttribute("data-phase", "READY");
            assertThat(page.locator("#machine")).containsText("2 cores · Ready");
            assertThat(phases).as("phases seen while typing").contains("STARTING_AGENT")
                    .doesNotContain("REVERTING", "FAILED");
            assertThat(text(page)).endsWith(typed.toString());
            assertThat(page.locator("#editor .status-text")).containsText("Connected");

            // The old machine's shell ended with it; a keystroke opens one on the new machine.
            assertThat(page.locator("#terminal .xterm-rows")).containsText("the machine stopped");
            page.locator("#terminal .xterm-screen").click();
            page.keyboard().type("echo cores=$(nproc)\n");
            assertThat(page.locator("#terminal .xterm-rows")).containsText(Pattern.compile("cores=\\d"));
            page.screenshot(new Page.ScreenshotOptions().setPath(SCREENSHOTS.resolve("machine-terminal.png")));
            editorContent(page).click();
            page.keyboard().press("Control+s");
            page.reload();
            openLiveFile(page, "README.md");
            page.waitForFunction("t => document.querySelector('#editor').getText().includes(t)", typed.toString());
            assertThat(text(page)).contains(typed.toString());
            page.screenshot(new Page.ScreenshotOptions().setPath(SCREENSHOTS.resolve("machine-switched.png")));

            page.locator("#machine").click();
            page.locator("#machine-stop").click();
            assertThat(page.locator("#machine")).hasAttribute("data-phase", "STOPPED");
        }
    }

    private static String phase(Page page) {
        return page.locator("#machine").getAttribute("data-phase");
    }

    @Test
    void aTeammatesTerminalClosesWhenTheirLinkIsRevoked() {
        var admin = dev.kiln.server.KilnHttp.signIn("http://localhost:" + port, "admin", ADMIN_PASSWORD);
        String studioId = admin.postJson("/api/studios", "{\"name\":\"Shared shell\"}").path("id").asString();
        admin.startMachine(studioId, "local-1");
        String token = admin.postJson("/api/studios/" + studioId + "/links", "{\"role\":\"editor\"}").path("token")
                .asString();
        var teammate = dev.kiln.server.ServerTestSupport.newUser(accounts, "Tom Teammate");
        dev.kiln.server.KilnHttp.signIn("http://localhost:" + port, teammate.getUsername(), "password-"
                + teammate.getUsername()).postJson("/api/studios/joined/" + token, "{}");
        try (var context = chromium.browser().newContext(new Browser.NewContextOptions().setViewportSize(1400, 850))) {
            var page = signedIn(context, teammate);
            page.navigate("http://localhost:" + port + "/studio/" + studioId);
            page.locator("#terminal .xterm-screen").click();
            page.keyboard().type("echo shared-$((40+2))\n");
            assertThat(page.locator("#terminal .xterm-rows")).containsText("shared-42");

            admin.delete("/api/studios/" + studioId + "/links/" + token);
            assertThat(page.locator("#terminal .kiln-terminal-status")).hasText(
                    "Your access to this studio ended; the terminal is closed.");
            page.screenshot(new Page.ScreenshotOptions().setPath(SCREENSHOTS.resolve("terminal-revoked.png")));
        }
        admin.post("/api/studios/" + studioId + "/machine/stop", "{}");
    }
}
