package dev.kiln.ui.admin;

import com.vaadin.flow.component.button.Button;
import com.vaadin.flow.component.button.ButtonVariant;
import com.vaadin.flow.component.checkbox.Checkbox;
import com.vaadin.flow.component.dialog.Dialog;
import com.vaadin.flow.component.grid.Grid;
import com.vaadin.flow.component.html.Div;
import com.vaadin.flow.component.html.H2;
import com.vaadin.flow.component.html.Paragraph;
import com.vaadin.flow.component.icon.VaadinIcon;
import com.vaadin.flow.component.orderedlayout.HorizontalLayout;
import com.vaadin.flow.component.orderedlayout.VerticalLayout;
import com.vaadin.flow.component.textfield.PasswordField;
import com.vaadin.flow.component.textfield.TextField;
import com.vaadin.flow.router.PageTitle;
import com.vaadin.flow.router.Route;
import dev.kiln.api.security.CurrentUser;
import dev.kiln.api.security.UserDirectory;
import dev.kiln.ui.component.Dialogs;
import dev.kiln.ui.shell.KilnHeader;
import jakarta.annotation.security.RolesAllowed;

import java.time.ZoneId;
import java.time.format.DateTimeFormatter;
import java.time.format.FormatStyle;

/**
 * Administrators add the accounts their teammates sign in with, reset their passwords, disable and delete them;
 * each dialog says what happens to the user's sessions and studios before anything is done.
 */
@Route(value = "users", autoLayout = false)
@PageTitle("Users · Kiln")
@RolesAllowed("ADMIN")
public class UsersView extends Div {

    private static final DateTimeFormatter DAY =
            DateTimeFormatter.ofLocalizedDate(FormatStyle.MEDIUM).withZone(ZoneId.systemDefault());

    private final UserDirectory directory;
    private final String me;
    private final Grid<UserDirectory.UserSummary> grid = new Grid<>();

    public UsersView(UserDirectory directory, CurrentUser user) {
        this.directory = directory;
        this.me = user.username();
        addClassName("kiln-page");
        setSizeFull();
        var add = new Button("Add user", VaadinIcon.PLUS.create(), e -> addUser());
        add.addThemeVariants(ButtonVariant.LUMO_PRIMARY);
        add.setId("add-user");
        var title = new HorizontalLayout(new H2("Users"), add);
        title.setWidthFull();
        title.setJustifyContentMode(HorizontalLayout.JustifyContentMode.BETWEEN);
        title.setAlignItems(HorizontalLayout.Alignment.CENTER);
        grid.addColumn(UserDirectory.UserSummary::username).setHeader("User name").setAutoWidth(true);
        grid.addColumn(UserDirectory.UserSummary::displayName).setHeader("Name").setAutoWidth(true);
        grid.addColumn(UsersView::status).setHeader("Role").setAutoWidth(true);
        grid.addColumn(u -> DAY.format(u.createdAt())).setHeader("Created").setAutoWidth(true);
        grid.addComponentColumn(this::actions).setHeader("").setAutoWidth(true).setFlexGrow(0);
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
                // Under the field it is about (a user name refusal by default), and no longer under the other.
                boolean aboutPassword = failure instanceof UserDirectory.FieldRefusal refusal
                        && refusal.field() == UserDirectory.FieldRefusal.Field.PASSWORD;
                var wrong = aboutPassword ? password : username;
                var right = aboutPassword ? username : password;
                right.setInvalid(false);
                wrong.setInvalid(true);
                wrong.setErrorMessage(failure.getMessage());
            }
        });
        create.addThemeVariants(ButtonVariant.LUMO_PRIMARY);
        create.setId("create-user");
        dialog.add(new VerticalLayout(username, name, password, admin));
        dialog.getFooter().add(new Button("Cancel", e -> dialog.close()), create);
        dialog.open();
    }

    private static String status(UserDirectory.UserSummary user) {
        var role = user.admin() ? "administrator" : "";
        return user.disabled() ? (role.isEmpty() ? "disabled" : role + ", disabled") : role;
    }

    /** Reset, disable or enable, delete: not on the administrator's own row (see UserDirectory). */
    private HorizontalLayout actions(UserDirectory.UserSummary user) {
        var reset = new Button("Reset password", e -> resetPassword(user));
        reset.setId("reset-" + user.username());
        var toggle = new Button(user.disabled() ? "Enable" : "Disable", e -> toggle(user));
        toggle.setId("toggle-" + user.username());
        var delete = new Button("Delete", e -> delete(user));
        delete.setId("delete-" + user.username());
        delete.addThemeVariants(ButtonVariant.LUMO_ERROR);
        var buttons = new HorizontalLayout(reset, toggle, delete);
        buttons.setSpacing(true);
        for (var button : java.util.List.of(reset, toggle, delete)) {
            button.addThemeVariants(ButtonVariant.LUMO_SMALL, ButtonVariant.LUMO_TERTIARY);
            if (user.username().equals(me)) {
                button.setEnabled(false);
                button.setTooltipText("Not on your own account: change your password from your account menu.");
            }
        }
        return buttons;
    }

    private void resetPassword(UserDirectory.UserSummary user) {
        var dialog = new Dialog("Reset the password of " + user.displayName());
        var password = new PasswordField("New password");
        password.setId("reset-password-field");
        password.setWidthFull();
        password.setHelperText("At least 8 characters. Give it to them another way than the share link.");
        var text = new Paragraph(user.displayName() + " is signed out everywhere at once: open pages, editors and "
                + "terminals close. They sign in again with the new password.");
        var ok = new Button("Reset password", e -> {
            try {
                directory.resetPassword(user.username(), password.getValue());
                dialog.close();
                Dialogs.info("New password set for " + user.username() + "; their sessions ended.");
            } catch (IllegalArgumentException failure) {
                password.setInvalid(true);
                password.setErrorMessage(failure.getMessage());
            }
        });
        ok.addThemeVariants(ButtonVariant.LUMO_PRIMARY);
        ok.setId("reset-password-ok");
        var body = new VerticalLayout(text, password);
        body.setPadding(false);
        body.setWidth("24rem");
        dialog.add(body);
        dialog.getFooter().add(new Button("Cancel", e -> dialog.close()), ok);
        dialog.open();
        password.focus();
    }

    private void toggle(UserDirectory.UserSummary user) {
        if (user.disabled()) {
            act(() -> directory.setDisabled(user.username(), false), user.username() + " can sign in again.");
            return;
        }
        var dialog = Dialogs.confirm("Disable " + user.displayName() + "?", user.displayName() + " is signed out at once (open pages, "
                        + "editors and terminals close) and can't sign in until you enable the account again. Their "
                        + "studios and files stay as they are.", "Disable", true,
                () -> act(() -> directory.setDisabled(user.username(), true), user.username() + " is disabled."));
        dialog.setWidth("34rem");
    }

    private void delete(UserDirectory.UserSummary user) {
        var owned = directory.studiosOwnedBy(user.username());
        var names = "(" + String.join(", ", owned.size() > 5 ? owned.subList(0, 5) : owned) + (owned.size() > 5 ? ", ..." : "") + ")";
        var studios = owned.isEmpty() ? "They own no studios."
                : owned.size() == 1
                ? "The studio they own " + names + " moves to the trash folder on the server, as when a studio is "
                + "deleted, and the people they shared it with lose access."
                : "The " + owned.size() + " studios they own " + names + " move to the trash folder on the server, as "
                + "when a studio is deleted, and the people they shared them with lose access.";
        var dialog = Dialogs.confirm("Delete the account " + user.username() + "?", user.displayName() + " is signed out at once and "
                        + "can never sign in again. " + studios + " They leave the studios others shared with them. Their "
                        + "name stays on the commits and jobs they made, and the user name becomes free. This can't be "
                        + "undone.", "Delete account", true,
                () -> act(() -> directory.delete(user.username()), "Deleted " + user.username() + "."));
        dialog.setWidth("34rem");
    }

    private void act(Runnable action, String done) {
        try {
            action.run();
            Dialogs.info(done);
        } catch (IllegalArgumentException failure) {
            Dialogs.error(failure.getMessage());
        }
        refresh();
    }

    private void refresh() {
        grid.setItems(directory.users());
    }
}
