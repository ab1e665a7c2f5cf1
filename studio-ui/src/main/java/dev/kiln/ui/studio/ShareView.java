package dev.kiln.ui.studio;

import com.vaadin.flow.component.button.Button;
import com.vaadin.flow.component.button.ButtonVariant;
import com.vaadin.flow.component.html.Anchor;
import com.vaadin.flow.component.html.Div;
import com.vaadin.flow.component.html.H2;
import com.vaadin.flow.component.html.Paragraph;
import com.vaadin.flow.component.orderedlayout.HorizontalLayout;
import com.vaadin.flow.router.BeforeEvent;
import com.vaadin.flow.router.HasUrlParameter;
import com.vaadin.flow.router.PageTitle;
import com.vaadin.flow.router.Route;
import dev.kiln.api.security.CurrentUser;
import dev.kiln.api.studio.ShareInvitation;
import dev.kiln.api.studio.StudioException;
import dev.kiln.api.studio.StudioRole;
import dev.kiln.api.studio.StudioSharing;
import dev.kiln.ui.shell.KilnHeader;
import jakarta.annotation.security.PermitAll;

import java.time.ZoneId;
import java.time.format.DateTimeFormatter;
import java.time.format.FormatStyle;

/**
 * Opening a share link: a confirmation page that says which studio, who shared it and with what role, and joins
 * only when the user clicks Join (a POST, never the GET of the link, so a link in an image tag or a prefetch
 * joins nobody). Someone who already has that role or a higher one is told so and just opens the studio.
 */
@Route(value = "share", autoLayout = false)
@PageTitle("Join a studio · Kiln")
@PermitAll
public class ShareView extends Div implements HasUrlParameter<String> {

    private static final DateTimeFormatter WHEN =
            DateTimeFormatter.ofLocalizedDateTime(FormatStyle.MEDIUM).withZone(ZoneId.systemDefault());

    private final StudioSharing sharing;
    private final KilnHeader header;

    public ShareView(StudioSharing sharing, CurrentUser user) {
        this.sharing = sharing;
        this.header = new KilnHeader(user);
        addClassName("kiln-page");
        setSizeFull();
    }

    @Override
    public void setParameter(BeforeEvent event, String token) {
        removeAll();
        try {
            show(token, sharing.invitation(token));
        } catch (StudioException e) {
            refused(e);
        }
    }

    private void show(String token, ShareInvitation invitation) {
        var title = new H2("Join “" + invitation.studioName() + "”");
        var offer = new Paragraph(invitation.sharedBy() + " shared this studio with you as " + roleText(invitation.linkRole()));
        offer.setId("share-offer");
        var box = new Div(title, offer);
        if (invitation.expiresAt() != null) {
            var expiry = new Paragraph("The link is valid until " + WHEN.format(invitation.expiresAt()) + ".");
            expiry.addClassName("kiln-muted");
            box.add(expiry);
        }
        var note = new Paragraph(switch (invitation.effect()) {
            case JOIN -> "";
            case UPGRADE -> "You are a viewer here now; joining through this link makes you an editor.";
            case SAME -> "You are already " + article(invitation.currentRole()) + " of this studio.";
            case KEEPS_HIGHER -> "You are already an editor of this studio. This link gives view-only access, so "
                    + "you stay an editor: opening it changes nothing.";
            case OWNER -> "You own this studio: this is one of your own share links.";
        });
        note.setId("share-note");
        note.setVisible(!note.getText().isEmpty());
        Button action;
        if (invitation.joinChangesSomething()) {
            action = new Button("Join as " + invitation.linkRole(), e -> join(token));
            action.setId("join-studio");
        } else {
            action = new Button("Open the studio", e -> getUI().ifPresent(ui -> ui.navigate(StudioView.class, invitation.studioId())));
            action.setId("open-studio");
        }
        action.addThemeVariants(ButtonVariant.LUMO_PRIMARY);
        var buttons = new HorizontalLayout(action, new Anchor("", "Not now"));
        buttons.setAlignItems(HorizontalLayout.Alignment.CENTER);
        box.add(note, buttons);
        box.addClassName("kiln-studios");
        box.setId("share-invitation");
        add(header, box);
    }

    private void join(String token) {
        try {
            var studio = sharing.join(token);
            getUI().ifPresent(ui -> ui.navigate(StudioView.class, studio.id()));
        } catch (StudioException e) {
            removeAll();
            refused(e);
        }
    }

    private void refused(StudioException e) {
        var box = new Div(new H2("This link doesn't open a studio"), new Paragraph(e.getMessage()), new Anchor("", "Go to my studios"));
        box.addClassName("kiln-studios");
        box.setId("share-refused");
        add(header, box);
    }

    private static String roleText(String role) {
        return StudioRole.of(role) == StudioRole.EDITOR
                ? "an editor: you can change its files as well as read them."
                : "a viewer: you can read its files and follow its work, but not change them.";
    }

    private static String article(String role) {
        return StudioRole.of(role) == StudioRole.EDITOR ? "an editor" : "a viewer";
    }
}
