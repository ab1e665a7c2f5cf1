package dev.kiln.ui.shell;

import com.vaadin.flow.component.Component;
import com.vaadin.flow.component.button.Button;
import com.vaadin.flow.component.button.ButtonVariant;
import com.vaadin.flow.component.html.Anchor;
import com.vaadin.flow.component.html.Header;
import com.vaadin.flow.component.html.Span;
import com.vaadin.flow.component.icon.VaadinIcon;
import dev.kiln.ui.security.AccountDialog;
import dev.kiln.api.security.CurrentUser;

/** The top bar of every signed-in page: brand, page content, the user (their account dialog) and Sign out. */
public class KilnHeader extends Header {

    private final Span middle = new Span();

    public KilnHeader(CurrentUser user) {
        addClassName("kiln-header");
        var brand = new Anchor("", "Kiln");
        brand.addClassName("kiln-brand");
        middle.addClassName("kiln-header-middle");
        var who = new Button(user.displayName(), VaadinIcon.USER.create(), e -> new AccountDialog(user).open());
        who.addThemeVariants(ButtonVariant.LUMO_TERTIARY);
        who.addClassName("kiln-user");
        who.setId("account-button");
        who.setTooltipText("Your account: change your password");
        if (user.isAdmin()) {
            var users = new Anchor("users", "Users");
            users.setId("users-link");
            add(users);
        }
        var signOut = new Button("Sign out", e -> user.logout());
        signOut.addThemeVariants(ButtonVariant.LUMO_TERTIARY);
        signOut.setId("sign-out");
        addComponentAsFirst(brand);
        addComponentAtIndex(1, middle);
        add(who, signOut);
    }

    public void setMiddle(Component... content) {
        middle.removeAll();
        middle.add(content);
    }
}
