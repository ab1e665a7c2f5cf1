package dev.kiln.server.browser;

import com.microsoft.playwright.Browser;
import com.microsoft.playwright.Page;
import dev.kiln.server.ServerTestSupport;
import dev.kiln.server.security.KilnPrincipal;
import dev.kiln.server.studio.SharingService;
import dev.kiln.server.studio.StudioService;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;

import java.util.regex.Pattern;

import static com.microsoft.playwright.assertions.PlaywrightAssertions.assertThat;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * Accounts and share links in a real browser: a share link asks before it joins (and never lowers a role), a user
 * changes their password from the account dialog, and an administrator resets, disables and deletes an account
 * while its owner has a live editor open.
 */
class AccountsBrowserIT extends BrowserTestBase {

    static final Browser.NewContextOptions WINDOW = new Browser.NewContextOptions().setViewportSize(1280, 760);

    @Autowired
    StudioService studios;
    @Autowired
    SharingService sharing;

    @AfterEach
    void signOut() {
        ServerTestSupport.signOut();
    }

    /** A screenshot once dialogs and notifications have finished animating in. */
    private void shot(Page page, String name) {
        page.waitForTimeout(600);
        page.screenshot(new Page.ScreenshotOptions().setPath(SCREENSHOTS.resolve(name)));
    }

    private boolean isMember(KilnPrincipal user, String studioId) {
        ServerTestSupport.signIn(user);
        try {
            return studios.myStudios().stream().anyMatch(s -> s.id().equals(studioId));
        } finally {
            ServerTestSupport.signOut();
        }
    }

    @Test
    void aShareLinkAsksBeforeItJoinsAndNeverLowersARole() {
        var owner = ServerTestSupport.newUser(accounts, "Olga Owner");
        var teammate = ServerTestSupport.newUser(accounts, "Tim Teammate");
        ServerTestSupport.signIn(owner);
        var studioId = studios.create("Vision models").id();
        var editorLink = sharing.createLink(studioId, "editor", java.time.Duration.ofDays(7)).token();
        var viewerLink = sharing.createLink(studioId, "viewer", null).token();
        ServerTestSupport.signOut();

        try (var context = chromium.browser().newContext(WINDOW)) {
            var page = signedIn(context, teammate);
            page.navigate(url("/share/" + editorLink));
            var invitation = page.locator("#share-invitation");
            assertThat(invitation).containsText("Join “Vision models”");
            assertThat(page.locator("#share-offer")).containsText("Olga Owner shared this studio with you as an editor");
            assertThat(invitation).containsText("The link is valid until");
            assertThat(page.locator("#join-studio")).hasText("Join as editor");
            shot(page, "share-confirm.png");
            // Opening the link (a GET, then Vaadin's page load) joined nobody.
            assertThat(isMember(teammate, studioId)).as("member before clicking Join").isFalse();

            page.locator("#join-studio").click();
            page.waitForURL(Pattern.compile(".*/studio/" + studioId));
            assertThat(page.locator("#studio-role")).containsText("can edit");
            assertThat(isMember(teammate, studioId)).isTrue();

            // The view-only link does not demote an editor, and says so.
            page.navigate(url("/share/" + viewerLink));
            assertThat(page.locator("#share-note")).containsText("you stay an editor");
            assertThat(page.locator("#join-studio")).hasCount(0);
            shot(page, "share-keeps-editor.png");
            page.locator("#open-studio").click();
            page.waitForURL(Pattern.compile(".*/studio/" + studioId));
            assertThat(page.locator("#studio-role")).containsText("can edit");
        }
        try (var context = chromium.browser().newContext(WINDOW)) {
            var page = signedIn(context, owner);
            page.navigate(url("/share/" + viewerLink));
            assertThat(page.locator("#share-note")).containsText("You own this studio");
        }
    }

    @Test
    void aUserChangesTheirPasswordFromTheAccountDialog() {
        var ada = ServerTestSupport.newUser(accounts, "Ada Lovelace");
        try (var context = chromium.browser().newContext(WINDOW)) {
            var page = signedIn(context, ada);
            page.locator("#account-button").click();
            assertThat(page.locator("#account-dialog")).containsText("Signed in as Ada Lovelace (" + ada.getUsername() + ")");
            page.locator("#account-current-password input").fill("not-my-password");
            page.locator("#account-new-password input").fill("ada-new-password");
            page.locator("#account-repeat-password input").fill("ada-new-password");
            page.locator("#change-password").click();
            assertThat(page.locator("#account-error")).hasText("Your current password is not right.");
            shot(page, "account-dialog-refused.png");

            page.locator("#account-current-password input").fill("password-" + ada.getUsername());
            page.locator("#change-password").click();
            assertThat(page.locator("vaadin-notification-card")).containsText("Password changed");
            assertThat(page.locator("#account-dialog")).hasCount(0);
            page.locator("#sign-out").click();
            page.waitForURL(Pattern.compile(".*/login.*"));
        }
        try (var context = chromium.browser().newContext(WINDOW)) {
            signedIn(context, ada.getUsername(), "ada-new-password");
        }
    }

    @Test
    void anAdministratorResetsDisablesAndDeletesAnAccountWhileItsOwnerIsEditing() {
        var bea = ServerTestSupport.newUser(accounts, "Bea Builder");
        ServerTestSupport.signIn(bea);
        var studioId = studios.create("Bea's experiments").id();
        ServerTestSupport.signOut();
        var name = bea.getUsername();

        try (var adminContext = chromium.browser().newContext(WINDOW);
             var beaContext = chromium.browser().newContext(WINDOW)) {
            var user = signedIn(beaContext, bea);
            user.navigate(url("/studio/" + studioId));
            openLiveFile(user, "README.md");

            var admin = signedIn(adminContext, "admin", ADMIN_PASSWORD);
            admin.locator("#users-link").click();
            assertThat(admin.locator("#users")).containsText("Bea Builder");
            assertThat(admin.locator("#toggle-admin")).isDisabled();
            shot(admin, "users-page.png");

            // Disable: Bea's open editor is cut off at once, with the reason.
            admin.locator("#toggle-" + name).click();
            assertThat(admin.getByRole(com.microsoft.playwright.options.AriaRole.DIALOG)).containsText("is signed out at once");
            admin.locator("#confirm-button").click();
            assertThat(admin.locator("#users")).containsText("disabled");
            // Her live editor is closed with the reason, and her page, whose session is gone, goes to the
            // sign-in page, which says why.
            try {
                user.waitForURL(Pattern.compile(".*/login.*"), new Page.WaitForURLOptions().setTimeout(10_000));
            } catch (com.microsoft.playwright.TimeoutError stillOnThePage) {
                assertThat(user.locator("#editor .status-text")).containsText("disabled your account");
                user.reload();
                user.waitForURL(Pattern.compile(".*/login.*"));
            }
            assertThat(user.locator("vaadin-login-form")).containsText("An administrator disabled your account.");
            shot(user, "account-disabled-signed-out.png");
            user.getByLabel("Username").fill(name);
            user.getByLabel("Password", new Page.GetByLabelOptions().setExact(true)).fill("password-" + name);
            user.getByRole(com.microsoft.playwright.options.AriaRole.BUTTON,
                    new Page.GetByRoleOptions().setName("Log in")).click();
            assertThat(user.locator("vaadin-login-form")).containsText("This account is disabled");
            shot(user, "account-disabled-login.png");

            // Enable again, and reset the password.
            admin.locator("#toggle-" + name).click();
            assertThat(admin.locator("#toggle-" + name)).hasText("Disable");
            admin.locator("#reset-" + name).click();
            admin.locator("#reset-password-field input").fill("bea-reset-password");
            shot(admin, "users-reset.png");
            admin.locator("#reset-password-ok").click();
            assertThat(admin.locator("vaadin-notification-card").last()).containsText("New password set");

            // Delete: the dialog names the studios that go to the trash.
            admin.locator("#delete-" + name).click();
            var dialog = admin.getByRole(com.microsoft.playwright.options.AriaRole.DIALOG);
            assertThat(dialog).containsText("Bea's experiments");
            assertThat(dialog).containsText("to the trash folder");
            shot(admin, "users-delete-confirm.png");
            admin.locator("#confirm-button").click();
            assertThat(admin.locator("vaadin-notification-card").last()).containsText("Deleted " + name);
            admin.reload();
            assertThat(admin.locator("#users")).containsText("Administrator");
            assertThat(admin.locator("#delete-" + name)).hasCount(0);
        }
        assertThat(accounts.find(name)).isEmpty();
    }
}
