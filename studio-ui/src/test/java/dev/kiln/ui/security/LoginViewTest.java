package dev.kiln.ui.security;

import com.vaadin.flow.component.UI;
import com.vaadin.flow.component.login.LoginForm;
import com.vaadin.flow.router.QueryParameters;
import com.vaadin.flow.server.VaadinSession;
import dev.kiln.ui.testing.ViewTest;
import org.junit.jupiter.api.Test;

import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/** The sign-in page: no error at first, the reason a sign-in was refused, an expired form, a session ended. */
class LoginViewTest extends ViewTest {

    private LoginForm form() {
        return $(LoginForm.class).single();
    }

    /** The form's texts as the browser receives them (its i18n property, JSON): the error's title and message. */
    private String errorShown() {
        return String.valueOf(form().getElement().getPropertyRaw("i18n"));
    }

    private void openLogin(String parameter) {
        navigate(dev.kiln.ui.testing.BlankView.class);
        UI.getCurrent().navigate("login", parameter == null ? QueryParameters.empty()
                : QueryParameters.simple(Map.of(parameter, "")));
    }

    @Test
    void noErrorOnAFirstVisit() {
        openLogin(null);

        assertThat(form().isError()).isFalse();
        assertThat(form().getAction()).isEqualTo("login");
    }

    @Test
    void aRefusedSignInShowsTheReasonLeftInTheSessionOnce() {
        VaadinSession.getCurrent().getSession().setAttribute(LoginView.MESSAGE_ATTRIBUTE,
                "Too many failed sign-ins: wait 30 seconds.");
        openLogin("error");

        assertThat(form().isError()).isTrue();
        assertThat(errorShown()).contains("\"title\":\"Not signed in\"");
        assertThat(errorShown()).contains("\"message\":\"Too many failed sign-ins: wait 30 seconds.\"");
        assertThat(VaadinSession.getCurrent().getSession().getAttribute(LoginView.MESSAGE_ATTRIBUTE)).isNull();
    }

    @Test
    void aSessionAnAdministratorEndedSaysSignedOut() {
        VaadinSession.getCurrent().getSession().setAttribute(LoginView.MESSAGE_ATTRIBUTE,
                "An administrator disabled your account.");
        openLogin(null);

        assertThat(form().isError()).isTrue();
        assertThat(errorShown()).contains("\"title\":\"Signed out\"");
    }

    @Test
    void anExpiredFormSaysNobodyWasSignedIn() {
        openLogin("expired");

        assertThat(form().isError()).isTrue();
        assertThat(errorShown()).contains("\"title\":\"Sign in again\"");
    }
}
