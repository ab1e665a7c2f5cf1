package dev.kiln.ui.security;

import com.vaadin.flow.component.Key;
import com.vaadin.flow.component.button.Button;
import com.vaadin.flow.component.button.ButtonVariant;
import com.vaadin.flow.component.dialog.Dialog;
import com.vaadin.flow.component.html.Paragraph;
import com.vaadin.flow.component.orderedlayout.VerticalLayout;
import com.vaadin.flow.component.textfield.PasswordField;
import dev.kiln.api.security.CurrentUser;
import dev.kiln.ui.component.Dialogs;

/**
 * The signed-in user's account, from the header: who they are signed in as, and a new password (the current one
 * is required). A refusal is shown in the dialog, which stays open with what was typed.
 */
public class AccountDialog extends Dialog {

    public AccountDialog(CurrentUser user) {
        setHeaderTitle("Your account");
        setId("account-dialog");
        var who = new Paragraph("Signed in as " + user.displayName() + " (" + user.username() + ").");
        var current = new PasswordField("Current password");
        current.setId("account-current-password");
        current.setWidthFull();
        var next = new PasswordField("New password");
        next.setId("account-new-password");
        next.setHelperText("At least 8 characters. Your other sessions are signed out; this one stays.");
        next.setWidthFull();
        var repeat = new PasswordField("New password again");
        repeat.setId("account-repeat-password");
        repeat.setWidthFull();
        var error = new Paragraph();
        error.addClassName("kiln-error");
        error.setId("account-error");
        error.setVisible(false);
        var change = new Button("Change password", e -> {
            error.setVisible(false);
            if (!next.getValue().equals(repeat.getValue())) {
                show(error, "The two new passwords are not the same.");
                return;
            }
            try {
                user.changePassword(current.getValue(), next.getValue());
                close();
                Dialogs.info("Password changed. Your other sessions were signed out.");
            } catch (IllegalArgumentException refused) {
                show(error, refused.getMessage());
            }
        });
        change.addThemeVariants(ButtonVariant.LUMO_PRIMARY);
        change.addClickShortcut(Key.ENTER);
        change.setId("change-password");
        var form = new VerticalLayout(who, current, next, repeat, error);
        form.setPadding(false);
        form.setWidth("22rem");
        add(form);
        getFooter().add(new Button("Cancel", e -> close()), change);
    }

    private static void show(Paragraph error, String message) {
        error.setText(message);
        error.setVisible(true);
    }
}
