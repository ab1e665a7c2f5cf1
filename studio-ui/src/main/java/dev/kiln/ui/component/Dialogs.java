package dev.kiln.ui.component;

import com.vaadin.flow.component.Key;
import com.vaadin.flow.component.button.Button;
import com.vaadin.flow.component.button.ButtonVariant;
import com.vaadin.flow.component.dialog.Dialog;
import com.vaadin.flow.component.html.Paragraph;
import com.vaadin.flow.component.notification.Notification;
import com.vaadin.flow.component.notification.NotificationVariant;
import com.vaadin.flow.component.textfield.TextField;

import java.util.function.Consumer;

/** The few dialogs Kiln uses, so every view asks and reports the same way. */
public final class Dialogs {

    private Dialogs() {
    }

    /** Asks a yes/no question; {@code onConfirm} runs only on the confirm button. */
    public static Dialog confirm(String title, String text, String confirmLabel, boolean destructive, Runnable onConfirm) {
        var dialog = new Dialog(title);
        dialog.add(new Paragraph(text));
        var confirm = new Button(confirmLabel, e -> {
            dialog.close();
            onConfirm.run();
        });
        confirm.addThemeVariants(destructive ? ButtonVariant.LUMO_ERROR : ButtonVariant.LUMO_PRIMARY);
        if (destructive) {
            confirm.addThemeVariants(ButtonVariant.LUMO_PRIMARY);
        }
        confirm.setId("confirm-button");
        var cancel = new Button("Cancel", e -> dialog.close());
        cancel.setId("confirm-cancel");
        dialog.getFooter().add(cancel, confirm);
        dialog.open();
        return dialog;
    }

    /**
     * Asks for one line of text. {@code onOk} may throw an exception with a user-facing message: it is shown under the
     * field and the dialog stays open, so nothing typed is lost.
     */
    public static Dialog prompt(String title, String label, String initial, String okLabel, Consumer<String> onOk) {
        var dialog = new Dialog(title);
        var field = new TextField(label);
        field.setValue(initial == null ? "" : initial);
        field.setWidth("24rem");
        field.setId("prompt-field");
        dialog.add(field);
        var ok = new Button(okLabel, e -> {
            try {
                onOk.accept(field.getValue().strip());
                dialog.close();
            } catch (RuntimeException failure) {
                field.setInvalid(true);
                field.setErrorMessage(failure.getMessage());
            }
        });
        ok.addThemeVariants(ButtonVariant.LUMO_PRIMARY);
        ok.addClickShortcut(Key.ENTER);
        ok.setId("prompt-ok");
        dialog.getFooter().add(new Button("Cancel", e -> dialog.close()), ok);
        dialog.open();
        field.focus();
        return dialog;
    }

    public static void error(String message) {
        var n = Notification.show(message, 6000, Notification.Position.BOTTOM_END);
        n.addThemeVariants(NotificationVariant.LUMO_ERROR);
    }

    public static void info(String message) {
        var n = Notification.show(message, 2500, Notification.Position.BOTTOM_END);
        n.addThemeVariants(NotificationVariant.LUMO_SUCCESS);
    }
}
