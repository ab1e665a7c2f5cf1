package dev.kiln.ui.studio;

import com.vaadin.flow.component.button.Button;
import com.vaadin.flow.component.grid.Grid;
import com.vaadin.flow.component.html.Div;
import com.vaadin.flow.component.html.Paragraph;
import com.vaadin.flow.component.select.Select;
import com.vaadin.flow.component.textfield.TextField;
import dev.kiln.ui.testing.ViewTest;
import dev.kiln.api.studio.ShareInvitation;
import dev.kiln.api.studio.ShareLink;
import dev.kiln.api.studio.StudioMember;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;


import static org.assertj.core.api.Assertions.assertThat;

/** The owner's share dialog (roles, expiry, revoking) and the page a share link opens (join, or why not). */
class ShareTest extends ViewTest {

    @BeforeEach
    void studio() {
        kiln.catalog.add("Sums", "owner");
    }

    private void openShareDialog() {
        navigate(StudioView.class, "s1");
        click("share");
    }

    @SuppressWarnings("unchecked")
    private Grid<ShareLink> links() {
        return $(Grid.class).id("share-links");
    }

    @Test
    void aViewOnlyLinkIsCreatedListedAndCanBeRevoked() {
        openShareDialog();

        @SuppressWarnings("unchecked")
        Select<String> role = $(Select.class).id("share-role");
        test(role).selectItem("View only");
        @SuppressWarnings("unchecked")
        Select<String> expiry = $(Select.class).id("share-expiry");
        test(expiry).selectItem("Never expires");
        click("share-create");

        assertThat($(TextField.class).id("share-url").getValue()).endsWith("/share/token1");
        var grid = test(links());
        assertThat(grid.size()).isEqualTo(1);
        assertThat(grid.getCellText(0, 0)).isEqualTo("View only");
        assertThat(grid.getCellText(0, 2)).isEqualTo("never");
        assertThat(grid.getCellText(0, 3)).isEqualTo("nobody yet");

        test((Button) grid.getCellComponent(0, 4)).click();
        assertThat(dialog().getHeaderTitle()).isEqualTo("Revoke this link?");
        click("confirm-button");
        assertThat(((Paragraph) test(links()).getCellComponent(0, 4)).getText()).isEqualTo("revoked");
    }

    @Test
    void anEditorLinkWarnsOnRevokeThatEditorsCouldChangeTheHome() {
        openShareDialog();
        click("share-create"); // the defaults: edit files, 7 days

        assertThat(test(links()).getCellText(0, 0)).isEqualTo("Can edit");
        test((Button) test(links()).getCellComponent(0, 4)).click();
        assertThat($(Paragraph.class).withTextContaining("~/.bashrc").exists()).isTrue();
    }

    @Test
    void anExpiredLinkSaysSoAndCannotBeRevokedOrCopied() {
        kiln.sharing.createLink("s1", "viewer", java.time.Duration.ofHours(-1));
        openShareDialog();

        var grid = test(links());
        assertThat(((Paragraph) grid.getCellComponent(0, 4)).getText()).isEqualTo("expired");
        assertThat(grid.getCellComponent(0, 1)).isInstanceOf(com.vaadin.flow.component.html.Span.class); // no copy button
    }

    @Test
    void thePeopleInTheStudioAreListedWithTheirRoles() {
        kiln.sharing.members.add(new StudioMember("Grace Hopper", "viewer"));
        openShareDialog();

        assertThat($(Div.class).id("share-people").getElement().getTextRecursively())
                .contains("Ada Lovelace · Owner", "Grace Hopper · View only");
    }

    @Test
    void aShareLinkSaysWhoSharedWhatAndJoinsOnlyOnTheButton() {
        kiln.catalog.add("Vision", "viewer");
        kiln.sharing.invitations.put("t1", new ShareInvitation("s2", "Vision", "Grace Hopper", "viewer", null, null));

        navigate(ShareView.class, "t1");

        assertThat($(Paragraph.class).id("share-offer").getText()).isEqualTo(
                "Grace Hopper shared this studio with you as a viewer: you can read its files and follow its work, but not change them.");
        assertThat(kiln.sharing.joined).isEmpty(); // opening the link changes nothing
        click("join-studio");
        assertThat(kiln.sharing.joined).containsExactly("t1");
        assertThat(getCurrentView()).isInstanceOf(StudioView.class);
        assertThat($(com.vaadin.flow.component.html.Span.class).id("studio-role").getText())
                .isEqualTo("shared with you · view only");
    }

    @Test
    void anEditorOpeningAViewerLinkIsToldTheyStayAnEditor() {
        kiln.catalog.add("Vision", "editor");
        kiln.sharing.invitations.put("t1", new ShareInvitation("s2", "Vision", "Grace Hopper", "viewer", null, "editor"));

        navigate(ShareView.class, "t1");

        assertThat($(Paragraph.class).id("share-note").getText()).startsWith("You are already an editor of this studio.");
        assertThat($(Button.class).withId("join-studio").exists()).isFalse();
        click("open-studio");
        assertThat(kiln.sharing.joined).isEmpty();
        assertThat(getCurrentView()).isInstanceOf(StudioView.class);
    }

    @Test
    void aLinkRevokedWhileThePageWasOpenSaysSoOnJoin() {
        kiln.catalog.add("Vision", "viewer");
        kiln.sharing.invitations.put("t1", new ShareInvitation("s2", "Vision", "Grace Hopper", "editor", null, null));
        navigate(ShareView.class, "t1");

        kiln.sharing.invitations.remove("t1");
        click("join-studio");

        assertThat(getCurrentView()).isInstanceOf(ShareView.class);
        assertThat($(Div.class).id("share-refused").getElement().getTextRecursively())
                .contains("This link was revoked by the studio's owner.");
        assertThat($(Div.class).withId("share-invitation").exists()).isFalse();
    }

    @Test
    void aRevokedLinkSaysSo() {
        navigate(ShareView.class, "gone");

        assertThat($(Div.class).id("share-refused").getElement().getTextRecursively())
                .contains("This link doesn't open a studio", "This link was revoked by the studio's owner.");
    }

    @Test
    void aStudioSharedViewOnlyOffersNoShareButton() {
        kiln.catalog.add("Vision", "viewer");
        navigate(StudioView.class, "s2");

        assertThat($(Button.class).withId("share").exists()).isFalse();
        assertThat($(com.vaadin.flow.component.html.Span.class).id("studio-role").getText())
                .isEqualTo("shared with you · view only");
    }
}
