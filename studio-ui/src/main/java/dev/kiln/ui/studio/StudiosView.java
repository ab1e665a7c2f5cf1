package dev.kiln.ui.studio;

import com.vaadin.flow.component.button.Button;
import com.vaadin.flow.component.button.ButtonVariant;
import com.vaadin.flow.component.grid.Grid;
import com.vaadin.flow.component.grid.GridVariant;
import com.vaadin.flow.component.html.Div;
import com.vaadin.flow.component.html.H2;
import com.vaadin.flow.component.html.Paragraph;
import com.vaadin.flow.component.icon.VaadinIcon;
import com.vaadin.flow.component.orderedlayout.HorizontalLayout;
import com.vaadin.flow.router.PageTitle;
import com.vaadin.flow.router.Route;
import dev.kiln.api.security.CurrentUser;
import dev.kiln.api.studio.StudioCatalog;
import dev.kiln.api.studio.StudioSummary;
import dev.kiln.ui.component.Dialogs;
import dev.kiln.ui.shell.KilnHeader;
import jakarta.annotation.security.PermitAll;

import java.time.ZoneId;
import java.time.format.DateTimeFormatter;
import java.time.format.FormatStyle;

/** "My studios": create, rename, delete (after confirmation) and open. */
@Route(value = "", autoLayout = false)
@PageTitle("My studios · Kiln")
@PermitAll
public class StudiosView extends Div {

    private static final DateTimeFormatter WHEN =
            DateTimeFormatter.ofLocalizedDateTime(FormatStyle.MEDIUM).withZone(ZoneId.systemDefault());

    private final StudioCatalog catalog;
    private final Grid<StudioSummary> grid = new Grid<>();
    private final Paragraph empty = new Paragraph("No studios yet. Create one to get a workspace with a README and a training example.");

    public StudiosView(StudioCatalog catalog, CurrentUser user) {
        this.catalog = catalog;
        addClassName("kiln-page");
        setSizeFull();

        var create = new Button("New studio", VaadinIcon.PLUS.create(), e -> createStudio());
        create.addThemeVariants(ButtonVariant.LUMO_PRIMARY);
        create.setId("new-studio");
        var title = new HorizontalLayout(new H2("My studios"), create);
        title.setAlignItems(HorizontalLayout.Alignment.CENTER);
        title.setJustifyContentMode(HorizontalLayout.JustifyContentMode.BETWEEN);
        title.setWidthFull();

        grid.addColumn(StudioSummary::name).setHeader("Name").setFlexGrow(3);
        grid.addColumn(s -> s.isOwner() ? "you" : s.ownerName() + (s.canEdit() ? " · you can edit" : " · view only"))
                .setHeader("Owner").setFlexGrow(2);
        grid.addColumn(s -> WHEN.format(s.updatedAt())).setHeader("Last change").setFlexGrow(2);
        grid.addComponentColumn(this::actions).setHeader("").setFlexGrow(0).setAutoWidth(true);
        grid.addItemClickListener(e -> open(e.getItem()));
        grid.addThemeVariants(GridVariant.LUMO_ROW_STRIPES);
        grid.setAllRowsVisible(true);
        grid.setId("studios");
        empty.addClassName("kiln-empty");

        var content = new Div(title, grid, empty);
        content.addClassName("kiln-studios");
        add(new KilnHeader(user), content);
        refresh();
    }

    private HorizontalLayout actions(StudioSummary studio) {
        var open = new Button("Open", e -> open(studio));
        open.addThemeVariants(ButtonVariant.LUMO_SMALL);
        var rename = new Button("Rename", e -> Dialogs.prompt("Rename studio", "Name", studio.name(), "Rename", name -> {
            catalog.rename(studio.id(), name);
            refresh();
        }));
        rename.addThemeVariants(ButtonVariant.LUMO_SMALL, ButtonVariant.LUMO_TERTIARY);
        var delete = new Button("Delete", e -> Dialogs.confirm("Delete “" + studio.name() + "”?",
                "The studio disappears from your list. Its files are moved to the server's trash folder, not erased.",
                "Delete studio", true, () -> {
                    catalog.delete(studio.id());
                    refresh();
                    Dialogs.info("Deleted " + studio.name());
                }));
        delete.addThemeVariants(ButtonVariant.LUMO_SMALL, ButtonVariant.LUMO_TERTIARY, ButtonVariant.LUMO_ERROR);
        rename.setVisible(studio.isOwner());
        delete.setVisible(studio.isOwner());
        var row = new HorizontalLayout(open, rename, delete);
        row.setSpacing(false);
        return row;
    }

    private void createStudio() {
        Dialogs.prompt("New studio", "Name", "", "Create", name -> {
            var studio = catalog.create(name);
            open(studio);
        });
    }

    private void open(StudioSummary studio) {
        getUI().ifPresent(ui -> ui.navigate(StudioView.class, studio.id()));
    }

    private void refresh() {
        var studios = catalog.myStudios();
        grid.setItems(studios);
        grid.setVisible(!studios.isEmpty());
        empty.setVisible(studios.isEmpty());
    }
}
