package dev.kiln.server.security;

import dev.kiln.ui.security.LoginView;
import jakarta.servlet.ServletException;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import org.springframework.security.authentication.DisabledException;
import org.springframework.security.core.AuthenticationException;
import org.springframework.security.web.authentication.SimpleUrlAuthenticationFailureHandler;

import java.io.IOException;

/**
 * A refused sign-in goes back to the form ({@code /login?error}) with the reason in the session, where the login
 * view shows it: a wrong password, a disabled account, or how long to wait after too many failures.
 */
final class SignInFailures extends SimpleUrlAuthenticationFailureHandler {

    SignInFailures() {
        super("/login?error");
    }

    @Override
    public void onAuthenticationFailure(HttpServletRequest request, HttpServletResponse response,
                                        AuthenticationException exception) throws IOException, ServletException {
        // Only our own messages: another exception's text (a database that is down) is not for the sign-in page.
        var message = exception instanceof KilnAuthenticationProvider.SignInThrottled
                || exception instanceof DisabledException ? exception.getMessage() : null;
        if (message != null) {
            request.getSession().setAttribute(LoginView.MESSAGE_ATTRIBUTE, message);
        } else if (request.getSession(false) != null) {
            request.getSession(false).removeAttribute(LoginView.MESSAGE_ATTRIBUTE);
        }
        // The name typed stays in the form, so only the password is typed again (kept in the session, not the URL).
        String username = request.getParameter("username");
        if (username != null && !username.isBlank() && username.length() <= 64) {
            request.getSession().setAttribute(LoginView.USERNAME_ATTRIBUTE, username.strip());
        }
        super.onAuthenticationFailure(request, response, exception);
    }
}
