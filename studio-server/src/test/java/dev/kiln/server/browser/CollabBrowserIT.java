package dev.kiln.server.browser;

import com.microsoft.playwright.Browser;
import com.microsoft.playwright.BrowserContext;
import com.microsoft.playwright.Locator;
import com.microsoft.playwright.Page;
import com.microsoft.playwright.options.AriaRole;
import dev.kiln.server.ServerTestSupport;
import dev.kiln.server.security.KilnPrincipal;
import dev.kiln.server.security.UserAccounts;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

import java.nio.file.Path;
import java.util.regex.Pattern;

import static com.microsoft.playwright.assertions.PlaywrightAssertions.assertThat;

/**
 * The owner shares a studio; a teammate opens the link and both type into the same file in real browsers, seeing
 * each other's text and cursors; a viewer can watch but not type; revoking the link cuts the teammate off.
 */
class CollabBrowserIT extends BrowserTestBase {

    private static String shareLink(Page owner, String role) {
        owner.locator("#share").click();
        owner.locator("#share-role").click();
        owner.getByRole(AriaRole.OPTION, new Page.GetByRoleOptions().setName(role)).click();
        owner.locator("#share-create").click();
        var url = owner.locator("#share-url input").inputValue();
        owner.getByRole(AriaRole.BUTTON, new Page.GetByRoleOptions().setName("Done")).click();
        return url;
    }

    @Test
    void ownerAndTeammateCoEditWithCursorsAndAViewerCannotType() {
        var watcher = ServerTestSupport.newUser(accounts, "Walt Watcher");
        var options = new Browser.NewContextOptions().setViewportSize(1280, 720);
        try (var ownerContext = chromium.browser().newContext(options);
             var teamContext = chromium.browser().newContext(options);
             var viewerContext = chromium.browser().newContext(options)) {
            var owner = signedIn(ownerContext, "admin", "admin-password-for-tests");
            // The admin gives the teammate an account on the Users page.
            owner.locator("#users-link").click();
            owner.locator("#add-user").click();
            owner.locator("#new-username input").fill("tess");
            owner.locator("#new-display-name input").fill("Tess Teammate");
            owner.locator("#new-password input").fill("tess-password-1");
            owner.locator("#create-user").click();
            assertThat(owner.locator("#users")).containsText("Tess Teammate");
            owner.getByRole(AriaRole.LINK, new Page.GetByRoleOptions().setName("Kiln")).click();
            owner.locator("#new-studio").click();
            owner.locator("#prompt-field input").fill("Team studio");
            owner.locator("#prompt-ok").click();
            owner.waitForURL(Pattern.compile(".*/studio/.*"));
            var editLink = shareLink(owner, "Edit files");
            var viewLink = shareLink(owner, "View only");
            openLiveFile(owner, "README.md");

            var team = signedIn(teamContext, "tess", "tess-password-1");
            assertThat(team.locator("#users-link")).hasCount(0);
            team.navigate(editLink);
            // The link asks first (see AccountsBrowserIT); joining is the click.
            team.locator("#join-studio").click();
            team.waitForURL(Pattern.compile(".*/studio/.*"));
            assertThat(team.locator("#studio-role")).containsText("can edit");
            openLiveFile(team, "README.md");

            editorContent(owner).click();
            owner.keyboard().press("Control+Home");
            owner.keyboard().type("OWNER WAS HERE. ");
            editorContent(team).click();
            team.keyboard().press("Control+End");
            team.keyboard().type(" TEAMMATE WAS HERE.");

            assertThat(editorContent(owner)).containsText("TEAMMATE WAS HERE.");
            assertThat(editorContent(team)).containsText("OWNER WAS HERE.");
            org.awaitility.Awaitility.await().atMost(java.time.Duration.ofSeconds(10))
                    .until(() -> text(owner).equals(text(team)));
            // Each sees the other's cursor, labelled with the name the server knows.
            assertThat(owner.locator("#editor .kiln-remote-name")).hasText("Tess Teammate");
            assertThat(team.locator("#editor .kiln-remote-name")).hasText("Administrator");
            assertThat(owner.locator("#editor .count")).hasText("2 people here");
            owner.screenshot(new Page.ScreenshotOptions().setPath(SCREENSHOTS.resolve("collab-owner.png")));
            team.screenshot(new Page.ScreenshotOptions().setPath(SCREENSHOTS.resolve("collab-teammate.png")));

            var viewer = signedIn(viewerContext, watcher);
            viewer.navigate(viewLink);
            viewer.locator("#join-studio").click();
            viewer.waitForURL(Pattern.compile(".*/studio/.*"));
            openLiveFile(viewer, "README.md");
            assertThat(editorContent(viewer)).hasAttribute("contenteditable", "false");
            assertThat(viewer.locator("#new-file")).isHidden();
            var before = text(owner);
            editorContent(viewer).click();
            viewer.keyboard().type("VIEWER TRIED");
            assertThat(editorContent(viewer)).not().containsText("VIEWER TRIED");
            org.assertj.core.api.Assertions.assertThat(text(owner)).isEqualTo(before);
            viewer.screenshot(new Page.ScreenshotOptions().setPath(SCREENSHOTS.resolve("collab-viewer.png")));
            viewer.waitForCondition(() -> text(viewer).equals(before), new Page.WaitForConditionOptions().setTimeout(10_000));
            assertThat(owner.locator("#editor .count")).hasText("3 people here");

            // Revoking the editor link cuts the teammate off at once.
            owner.locator("#share").click();
            // Newest first: the editor link, created first, is the last row.
            owner.locator("#share-links").getByText("Revoke").last().click();
            owner.locator("#confirm-button").click();
            owner.getByRole(AriaRole.BUTTON, new Page.GetByRoleOptions().setName("Done")).click();
            assertThat(team.locator("#editor-notice")).containsText("revoked");
            assertThat(team.locator("#studio-role")).hasText("access revoked");
            assertThat(editorContent(team)).hasAttribute("contenteditable", "false");
            team.screenshot(new Page.ScreenshotOptions().setPath(SCREENSHOTS.resolve("collab-revoked.png")));
        }
    }

    @Test
    void anExpiredOrUnknownLinkSaysSo() {
        var someone = ServerTestSupport.newUser(accounts, "Sam Someone");
        try (var context = chromium.browser().newContext()) {
            var page = signedIn(context, someone);
            page.navigate("http://localhost:" + port + "/share/not-a-real-token");
            assertThat(page.locator("#share-refused")).containsText("does not exist or was revoked");
        }
    }
}
