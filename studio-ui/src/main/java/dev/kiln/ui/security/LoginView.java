package dev.kiln.ui.security;

import com.vaadin.flow.component.html.H1;
import com.vaadin.flow.component.html.Main;
import com.vaadin.flow.component.html.Paragraph;
import com.vaadin.flow.component.login.LoginForm;
import com.vaadin.flow.router.BeforeEnterEvent;
import com.vaadin.flow.router.BeforeEnterObserver;
import com.vaadin.flow.router.PageTitle;
import com.vaadin.flow.router.Route;
import com.vaadin.flow.server.auth.AnonymousAllowed;

/** Spring Security's form login, posted to /login. */
@Route(value = "login", autoLayout = false)
@PageTitle("Sign in · Kiln")
@AnonymousAllowed
public class LoginView extends Main implements BeforeEnterObserver {

    private final LoginForm login = new LoginForm();

    public LoginView() {
        addClassName("kiln-login");
        login.setAction("login");
        login.setForgotPasswordButtonVisible(false);
        var title = new H1("Kiln");
        var hint = new Paragraph("The first start printed the admin password in the server log.");
        hint.addClassName("kiln-muted");
        add(title, login, hint);
    }

    @Override
    public void beforeEnter(BeforeEnterEvent event) {
        login.setError(event.getLocation().getQueryParameters().getParameters().containsKey("error"));
    }
}
