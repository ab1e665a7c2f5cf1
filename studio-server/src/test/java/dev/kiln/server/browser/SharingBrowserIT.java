package dev.kiln.server.browser;

import com.microsoft.playwright.Browser;
import com.microsoft.playwright.Page;
import com.microsoft.playwright.options.AriaRole;
import dev.kiln.server.ServerTestSupport;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.regex.Pattern;

import static com.microsoft.playwright.assertions.PlaywrightAssertions.assertThat;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * Sharing and accounts without rough edges: a share link copied with one click (read back from the real clipboard),
 * listed again with its URL, the people in the studio shown; a weak password refused under the password field; and a
 * wrong password keeps the user name in the sign-in form.
 */
class SharingBrowserIT extends BrowserTestBase {

    @Test
    void copyALinkSeeItAgainAndThePeopleAndErrorsWhereTheyBelong() {
        var teammate = ServerTestSupport.newUser(accounts, "Cora Copy");
        var options = new Browser.NewContextOptions().setViewportSize(1400, 900)
                .setPermissions(List.of("clipboard-read", "clipboard-write"));
        try (var ownerContext = chromium.browser().newContext(options);
             var teamContext = chromium.browser().newContext(options)) {
            var owner = signedIn(ownerContext, "admin", ADMIN_PASSWORD);
            owner.locator("#new-studio").click();
            owner.locator("#prompt-field input").fill("Shared studio");
            owner.locator("#prompt-ok").click();
            owner.waitForURL(Pattern.compile(".*/studio/.*"));

            owner.locator("#share").click();
            owner.locator("#share-create").click();
            String url = owner.locator("#share-url input").inputValue();
            assertThat(url).startsWith("http://localhost:" + port + "/share/");
            owner.locator("#share-copy").click();
            assertThat(owner.locator("#share-copy")).hasAttribute("data-copied", "true");
            assertThat((String) owner.evaluate("() => navigator.clipboard.readText()")).isEqualTo(url);
            // The link stays listed with its URL, to copy again later.
            assertThat(owner.locator("#share-links")).containsText(url);
            owner.getByRole(AriaRole.BUTTON, new Page.GetByRoleOptions().setName("Done")).click();

            var team = signedIn(teamContext, teammate);
            team.navigate(url);
            team.locator("#join-studio").click();
            team.waitForURL(Pattern.compile(".*/studio/.*"));

            owner.locator("#share").click();
            assertThat(owner.locator("#share-people .kiln-share-person")).hasCount(2);
            assertThat(owner.locator("#share-people [data-role='owner']")).containsText("Administrator");
            assertThat(owner.locator("#share-people [data-role='editor']")).containsText("Cora Copy");
            owner.locator("#share-links .kiln-share-link-copy").first().click();
            assertThat((String) owner.evaluate("() => navigator.clipboard.readText()")).isEqualTo(url);
            owner.screenshot(new Page.ScreenshotOptions().setPath(SCREENSHOTS.resolve("sharing-dialog.png")));
            owner.getByRole(AriaRole.BUTTON, new Page.GetByRoleOptions().setName("Done")).click();

            // A weak password: the refusal is under the password, not the user name.
            owner.locator("#users-link").click();
            owner.locator("#add-user").click();
            owner.locator("#new-username input").fill("weak-one");
            owner.locator("#new-password input").fill("short");
            owner.locator("#create-user").click();
            assertThat(owner.locator("#new-password")).hasAttribute("invalid", "");
            assertThat(owner.locator("#new-password")).containsText("at least 8 characters");
            assertThat(owner.locator("#new-username")).not().hasAttribute("invalid", "");
        }

        // A wrong password keeps the user name; only the password is typed again.
        try (var context = chromium.browser().newContext()) {
            var page = context.newPage();
            // Signed out, the icon is there (browsers ask for /favicon.ico whatever the page says).
            var icon = page.request().get(url("/favicon.ico"));
            assertThat(icon.status()).isEqualTo(200);
            assertThat(icon.body()).startsWith(new byte[] {0, 0, 1, 0});
            assertThat(page.request().get(url("/icons/kiln.svg")).status()).isEqualTo(200);
            page.navigate(url("/login"));
            page.getByLabel("Username").fill(teammate.getUsername());
            page.getByLabel("Password", new Page.GetByLabelOptions().setExact(true)).fill("not-the-password");
            page.getByRole(AriaRole.BUTTON, new Page.GetByRoleOptions().setName("Log in")).click();
            page.waitForURL(Pattern.compile(".*/login\\?error.*"));
            assertThat(page.getByLabel("Username")).hasValue(teammate.getUsername());
            page.getByLabel("Password", new Page.GetByLabelOptions().setExact(true))
                    .fill("password-" + teammate.getUsername());
            page.getByRole(AriaRole.BUTTON, new Page.GetByRoleOptions().setName("Log in")).click();
            assertThat(page.getByText("My studios")).isVisible();
        }
    }
}
