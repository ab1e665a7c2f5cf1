package dev.kiln.ui.studio;

import com.vaadin.flow.component.UI;
import com.vaadin.flow.component.button.Button;
import com.vaadin.flow.component.button.ButtonVariant;
import com.vaadin.flow.component.dialog.Dialog;
import com.vaadin.flow.component.grid.Grid;
import com.vaadin.flow.component.html.Div;
import com.vaadin.flow.component.html.Paragraph;
import com.vaadin.flow.component.html.Span;
import com.vaadin.flow.component.orderedlayout.HorizontalLayout;
import com.vaadin.flow.component.select.Select;
import com.vaadin.flow.component.textfield.TextField;
import dev.kiln.api.studio.ShareLink;
import dev.kiln.api.studio.StudioRole;
import dev.kiln.api.studio.StudioSharing;
import dev.kiln.ui.component.CopyButton;
import dev.kiln.ui.component.Dialogs;

import java.time.Clock;
import java.time.Duration;
import java.time.ZoneId;
import java.time.format.DateTimeFormatter;
import java.time.format.FormatStyle;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The owner's share links: create one (viewer or editor, with an expiry) and copy it, see every link again with who
 * joined through it, revoke; and the people in the studio now.
 */
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
    private final CopyButton copyCreated = new CopyButton("Copy");
    private final Div people = new Div();
    private String origin = "";

    ShareDialog(String studioId, String studioName, StudioSharing sharing, Clock clock) {
        super("Share “" + studioName + "”");
        this.studioId = studioId;
        this.sharing = sharing;
        this.clock = clock;
        setWidth("min(1040px, 96vw)"); // wide enough for a link on one or two lines

        var role = new Select<String>();
        role.setLabel("They can");
        role.setItems(StudioRole.EDITOR.id(), StudioRole.VIEWER.id());
        role.setItemLabelGenerator(r -> StudioRole.of(r) == StudioRole.EDITOR ? "Edit files" : "View only");
        role.setValue(StudioRole.EDITOR.id());
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
            copyCreated.setCopyText(origin + link.path());
            copyCreated.setVisible(true);
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

        copyCreated.setId("share-copy");
        copyCreated.setVisible(false);
        links.addColumn(l -> StudioRole.of(l.role()).label()).setHeader("Role").setAutoWidth(true);
        // The link again, to send it to someone else later.
        links.addComponentColumn(l -> {
            var url = new Span(origin + l.path());
            url.addClassName("kiln-share-link-url");
            if (!l.activeAt(clock.instant())) {
                return url;
            }
            var copy = new CopyButton("");
            copy.setCopyText(origin + l.path());
            copy.addThemeVariants(ButtonVariant.LUMO_TERTIARY, ButtonVariant.LUMO_ICON);
            copy.setAriaLabel("Copy this link");
            copy.addClassName("kiln-share-link-copy");
            var cell = new Div(url, copy);
            cell.addClassName("kiln-share-link");
            return cell;
        }).setHeader("Link").setFlexGrow(3);
        links.addColumn(l -> l.expiresAt() == null ? "never" : WHEN.format(l.expiresAt())).setHeader("Expires").setAutoWidth(true);
        links.addColumn(l -> l.joined().isEmpty() ? "nobody yet" : String.join(", ", l.joined())).setHeader("Joined").setFlexGrow(1)
                .setTooltipGenerator(l -> String.join(", ", l.joined()));
        links.addComponentColumn(l -> {
            if (!l.activeAt(clock.instant())) {
                return new Paragraph(l.revoked() ? "revoked" : "expired");
            }
            var revoke = new Button("Revoke", e -> Dialogs.confirm("Revoke this link?",
                    "People who joined through it lose access now, including open editors, and the shells and jobs "
                    + "they started on the machine are stopped." + (StudioRole.of(l.role()) == StudioRole.EDITOR ? " While they could "
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

        var createdRow = new HorizontalLayout(created, copyCreated);
        createdRow.setWidthFull();
        createdRow.setAlignItems(HorizontalLayout.Alignment.BASELINE);
        createdRow.expand(created);
        people.setId("share-people");
        people.addClassName("kiln-share-people");
        add(form, createdRow, links, people);
        getFooter().add(new Button("Done", e -> close()));
        UI.getCurrent().getPage().executeJs("return window.location.origin").then(String.class, o -> {
            origin = o;
            refresh();
        });
        refresh();
    }

    private void refresh() {
        links.setItems(sharing.links(studioId));
        people.removeAll();
        var title = new Div("People in this studio");
        title.addClassName("kiln-pane-title");
        people.add(title);
        for (var member : sharing.members(studioId)) {
            var row = new Div(new Span(member.name()),
                    new Span(" · " + member.roleLabel()));
            row.addClassName("kiln-share-person");
            row.getElement().setAttribute("data-role", member.role());
            people.add(row);
        }
    }
}
