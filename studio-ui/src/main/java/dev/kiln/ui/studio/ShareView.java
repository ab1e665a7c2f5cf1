package dev.kiln.ui.studio;

import com.vaadin.flow.component.html.Anchor;
import com.vaadin.flow.component.html.Div;
import com.vaadin.flow.component.html.H2;
import com.vaadin.flow.component.html.Paragraph;
import com.vaadin.flow.router.BeforeEvent;
import com.vaadin.flow.router.HasUrlParameter;
import com.vaadin.flow.router.PageTitle;
import com.vaadin.flow.router.Route;
import dev.kiln.ui.component.KilnHeader;
import dev.kiln.ui.security.CurrentUser;
import jakarta.annotation.security.PermitAll;

/** Opening a share link: the signed-in user joins the studio with the link's role and lands in it. */
@Route(value = "share", autoLayout = false)
@PageTitle("Join a studio · Kiln")
@PermitAll
public class ShareView extends Div implements HasUrlParameter<String> {

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
            var studio = sharing.join(token);
            event.forwardTo(StudioView.class, studio.id());
        } catch (StudioException e) {
            var box = new Div(new H2("This link doesn't open a studio"), new Paragraph(e.getMessage()), new Anchor("", "Go to my studios"));
            box.addClassName("kiln-studios");
            box.setId("share-refused");
            add(header, box);
        }
    }
}
