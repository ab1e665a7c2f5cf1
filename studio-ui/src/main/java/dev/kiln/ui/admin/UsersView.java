package dev.kiln.ui.admin;

import com.vaadin.flow.component.button.Button;
import com.vaadin.flow.component.button.ButtonVariant;
import com.vaadin.flow.component.checkbox.Checkbox;
import com.vaadin.flow.component.dialog.Dialog;
import com.vaadin.flow.component.grid.Grid;
import com.vaadin.flow.component.html.Div;
import com.vaadin.flow.component.html.H2;
import com.vaadin.flow.component.icon.VaadinIcon;
import com.vaadin.flow.component.orderedlayout.HorizontalLayout;
import com.vaadin.flow.component.orderedlayout.VerticalLayout;
import com.vaadin.flow.component.textfield.PasswordField;
import com.vaadin.flow.component.textfield.TextField;
import com.vaadin.flow.router.PageTitle;
import com.vaadin.flow.router.Route;
import dev.kiln.ui.component.Dialogs;
import dev.kiln.ui.component.KilnHeader;
import dev.kiln.ui.security.CurrentUser;
import jakarta.annotation.security.RolesAllowed;

import java.time.ZoneId;
import java.time.format.DateTimeFormatter;
import java.time.format.FormatStyle;

/** Administrators add the accounts their teammates sign in with. */
@Route(value = "users", autoLayout = false)
@PageTitle("Users · Kiln")
@RolesAllowed("ADMIN")
public class UsersView extends Div {

    private static final DateTimeFormatter WHEN =
            DateTimeFormatter.ofLocalizedDateTime(FormatStyle.MEDIUM).withZone(ZoneId.systemDefault());

    private final UserDirectory directory;
    private final Grid<UserDirectory.UserSummary> grid = new Grid<>();

    public UsersView(UserDirectory directory, CurrentUser user) {
        this.directory = directory;
        addClassName("kiln-page");
        setSizeFull();
        var add = new Button("Add user", VaadinIcon.PLUS.create(), e -> addUser());
        add.addThemeVariants(ButtonVariant.LUMO_PRIMARY);
        add.setId("add-user");
        var title = new HorizontalLayout(new H2("Users"), add);
        title.setWidthFull();
        title.setJustifyContentMode(HorizontalLayout.JustifyContentMode.BETWEEN);
        title.setAlignItems(HorizontalLayout.Alignment.CENTER);
        grid.addColumn(UserDirectory.UserSummary::username).setHeader("User name");
        grid.addColumn(UserDirectory.UserSummary::displayName).setHeader("Name");
        grid.addColumn(u -> u.admin() ? "administrator" : "").setHeader("Role");
        grid.addColumn(u -> WHEN.format(u.createdAt())).setHeader("Created");
        grid.setAllRowsVisible(true);
        grid.setId("users");
        var content = new Div(title, grid);
        content.addClassName("kiln-studios");
        add(new KilnHeader(user), content);
        refresh();
    }

    private void addUser() {
        var dialog = new Dialog("Add user");
        var username = new TextField("User name");
        username.setId("new-username");
        var name = new TextField("Name");
        name.setId("new-display-name");
        var password = new PasswordField("First password");
        password.setHelperText("At least 8 characters. Give it to them another way than the share link.");
        password.setId("new-password");
        var admin = new Checkbox("Administrator");
        var create = new Button("Add", e -> {
            try {
                directory.create(username.getValue().strip(), name.getValue().isBlank() ? username.getValue().strip() : name.getValue().strip(),
                        password.getValue(), admin.getValue());
                dialog.close();
                refresh();
                Dialogs.info("Added " + username.getValue());
            } catch (IllegalArgumentException failure) {
                username.setInvalid(true);
                username.setErrorMessage(failure.getMessage());
            }
        });
        create.addThemeVariants(ButtonVariant.LUMO_PRIMARY);
        create.setId("create-user");
        dialog.add(new VerticalLayout(username, name, password, admin));
        dialog.getFooter().add(new Button("Cancel", e -> dialog.close()), create);
        dialog.open();
    }

    private void refresh() {
        grid.setItems(directory.users());
    }
}
