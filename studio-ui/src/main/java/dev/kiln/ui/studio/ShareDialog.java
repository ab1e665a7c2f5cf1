package dev.kiln.ui.studio;

import com.vaadin.flow.component.UI;
import com.vaadin.flow.component.button.Button;
import com.vaadin.flow.component.button.ButtonVariant;
import com.vaadin.flow.component.dialog.Dialog;
import com.vaadin.flow.component.grid.Grid;
import com.vaadin.flow.component.html.Paragraph;
import com.vaadin.flow.component.orderedlayout.HorizontalLayout;
import com.vaadin.flow.component.select.Select;
import com.vaadin.flow.component.textfield.TextField;
import dev.kiln.ui.component.Dialogs;

import java.time.Clock;
import java.time.Duration;
import java.time.ZoneId;
import java.time.format.DateTimeFormatter;
import java.time.format.FormatStyle;
import java.util.LinkedHashMap;
import java.util.Map;

/** The owner's share links: create one (viewer or editor, with an expiry), see who joined, revoke. */
class ShareDialog extends Dialog {

    private static final DateTimeFormatter WHEN =
            DateTimeFormatter.ofLocalizedDateTime(FormatStyle.MEDIUM).withZone(ZoneId.systemDefault());
    private static final Map<String, Duration> EXPIRY = new LinkedHashMap<>();

    static {
        EXPIRY.put("Never expires", null);
        EXPIRY.put("Expires in 1 hour", Duration.ofHours(1));
        EXPIRY.put("Expires in 1 day", Duration.ofDays(1));
        EXPIRY.put("Expires in 7 days", Duration.ofDays(7));
    }

    private final String studioId;
    private final StudioSharing sharing;
    private final Clock clock;
    private final Grid<ShareLink> links = new Grid<>();
    private final TextField created = new TextField("Link to send");
    private String origin = "";

    ShareDialog(String studioId, String studioName, StudioSharing sharing, Clock clock) {
        super("Share “" + studioName + "”");
        this.studioId = studioId;
        this.sharing = sharing;
        this.clock = clock;
        setWidth("760px");

        var role = new Select<String>();
        role.setLabel("They can");
        role.setItems("editor", "viewer");
        role.setItemLabelGenerator(r -> r.equals("editor") ? "Edit files" : "View only");
        role.setValue("editor");
        role.setId("share-role");
        var expiry = new Select<String>();
        expiry.setLabel("Link");
        expiry.setItems(EXPIRY.keySet());
        expiry.setValue("Expires in 7 days");
        expiry.setId("share-expiry");
        var create = new Button("Create link", e -> {
            var link = sharing.createLink(studioId, role.getValue(), EXPIRY.get(expiry.getValue()));
            created.setValue(origin + link.path());
            created.setVisible(true);
            refresh();
        });
        create.addThemeVariants(ButtonVariant.LUMO_PRIMARY);
        create.setId("share-create");
        var form = new HorizontalLayout(role, expiry, create);
        form.setAlignItems(HorizontalLayout.Alignment.BASELINE);

        created.setReadOnly(true);
        created.setWidthFull();
        created.setVisible(false);
        created.setId("share-url");
        created.setHelperText("Anyone signed in to this Kiln who opens it joins the studio with that role, until you revoke it.");

        links.addColumn(l -> l.role().equals("editor") ? "Can edit" : "View only").setHeader("Role").setAutoWidth(true);
        links.addColumn(l -> l.expiresAt() == null ? "never" : WHEN.format(l.expiresAt())).setHeader("Expires").setAutoWidth(true);
        links.addColumn(l -> l.joined().isEmpty() ? "nobody yet" : String.join(", ", l.joined())).setHeader("Joined").setFlexGrow(1);
        links.addComponentColumn(l -> {
            if (!l.activeAt(clock.instant())) {
                return new Paragraph(l.revoked() ? "revoked" : "expired");
            }
            var revoke = new Button("Revoke", e -> Dialogs.confirm("Revoke this link?",
                    "People who joined through it lose access now, including open editors, and the shells and jobs "
                    + "they started on the machine are stopped." + (l.role().equals("editor") ? " While they could "
                    + "edit, they could change any file in the machine's home (including ~/.bashrc and "
                    + "~/.bash_profile, which run in every new shell): look there before you trust it again." : ""),
                    "Revoke", true, () -> {
                        sharing.revoke(studioId, l.token());
                        refresh();
                    }));
            revoke.addThemeVariants(ButtonVariant.LUMO_SMALL, ButtonVariant.LUMO_ERROR, ButtonVariant.LUMO_TERTIARY);
            return revoke;
        }).setHeader("").setAutoWidth(true);
        links.setAllRowsVisible(true);
        links.setId("share-links");

        add(form, created, links);
        getFooter().add(new Button("Done", e -> close()));
        UI.getCurrent().getPage().executeJs("return window.location.origin").then(String.class, o -> origin = o);
        refresh();
    }

    private void refresh() {
        links.setItems(sharing.links(studioId));
    }
}
