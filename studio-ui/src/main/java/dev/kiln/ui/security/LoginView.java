package dev.kiln.ui.security;

import com.vaadin.flow.component.html.H1;
import com.vaadin.flow.component.html.Main;
import com.vaadin.flow.component.html.Paragraph;
import com.vaadin.flow.component.login.LoginForm;
import com.vaadin.flow.component.login.LoginI18n;
import com.vaadin.flow.router.BeforeEnterEvent;
import com.vaadin.flow.router.BeforeEnterObserver;
import com.vaadin.flow.router.PageTitle;
import com.vaadin.flow.router.Route;
import com.vaadin.flow.server.VaadinRequest;
import com.vaadin.flow.server.auth.AnonymousAllowed;

/**
 * Spring Security's form login, posted to /login with the page's CSRF token. A refused sign-in comes back with
 * {@code ?error}; the reason, when it is more than a wrong password (a wait after too many failures, a disabled
 * account), is left in the session under {@link #MESSAGE_ATTRIBUTE}, as is the reason a session was ended (an
 * administrator disabled the account or reset its password), shown when the signed-out browser comes back. {@code ?expired}: the form's token was not
 * the session's (the page was left open too long, or the form came from another site).
 */
@Route(value = "login", autoLayout = false)
@PageTitle("Sign in · Kiln")
@AnonymousAllowed
public class LoginView extends Main implements BeforeEnterObserver {

    /** Session attribute with the reason the last sign-in was refused, for this view to show once. */
    public static final String MESSAGE_ATTRIBUTE = "kiln.login.message";
    /** Session attribute with the user name of the last refused sign-in, put back in the form once. */
    public static final String USERNAME_ATTRIBUTE = "kiln.login.username";

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
        var parameters = event.getLocation().getQueryParameters().getParameters();
        var message = take(MESSAGE_ATTRIBUTE);
        var username = take(USERNAME_ATTRIBUTE);
        if (username != null && parameters.containsKey("error")) {
            // vaadin-login-form has no property for it: fill its field, and go on to the password.
            login.getElement().executeJs("""
                    const fill = () => {
                      const user = this.querySelector('[name=username]');
                      const password = this.querySelector('[name=password]');
                      if (!user) { requestAnimationFrame(fill); return; }
                      user.value = $0;
                      if (password) password.focus();
                    };
                    fill();""", username);
        }
        var i18n = LoginI18n.createDefault();
        if (parameters.containsKey("expired")) {
            i18n.getErrorMessage().setTitle("Sign in again");
            i18n.getErrorMessage().setMessage("This sign-in page had expired (or the form came from another site), "
                    + "so nobody was signed in.");
        } else if (message != null) {
            // A refused sign-in with its reason, or a session an administrator ended.
            i18n.getErrorMessage().setTitle(parameters.containsKey("error") ? "Not signed in" : "Signed out");
            i18n.getErrorMessage().setMessage(message);
        } else if (!parameters.containsKey("error")) {
            login.setError(false);
            return;
        }
        login.setI18n(i18n);
        login.setError(true);
    }

    private static String take(String attribute) {
        var request = VaadinRequest.getCurrent();
        var session = request == null ? null : request.getWrappedSession(false);
        if (session == null) {
            return null;
        }
        var value = session.getAttribute(attribute);
        session.removeAttribute(attribute);
        return value instanceof String text ? text : null;
    }
}
