package dev.kiln.server.security;

import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import org.springframework.security.access.AccessDeniedException;
import org.springframework.security.web.access.AccessDeniedHandler;
import org.springframework.security.web.access.AccessDeniedHandlerImpl;
import org.springframework.security.web.csrf.CsrfException;

import java.io.IOException;

/**
 * A sign-in POST without the session's CSRF token (a form from another site, or a sign-in page left open until its
 * session ended) goes back to the sign-in page, which says to sign in again, rather than to an error page.
 */
final class LoginFormExpired implements AccessDeniedHandler {

    private final AccessDeniedHandler otherwise = new AccessDeniedHandlerImpl();

    @Override
    public void handle(HttpServletRequest request, HttpServletResponse response, AccessDeniedException e)
            throws IOException, jakarta.servlet.ServletException {
        var path = request.getRequestURI().substring(request.getContextPath().length());
        if (e instanceof CsrfException && "POST".equals(request.getMethod()) && "/login".equals(path)) {
            response.sendRedirect(request.getContextPath() + "/login?expired");
            return;
        }
        otherwise.handle(request, response, e);
    }
}
