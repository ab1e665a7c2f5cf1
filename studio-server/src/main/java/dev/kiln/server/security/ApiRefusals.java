package dev.kiln.server.security;

import dev.kiln.server.config.Problems;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import org.springframework.http.HttpStatus;
import org.springframework.security.access.AccessDeniedException;
import org.springframework.security.authentication.AnonymousAuthenticationToken;
import org.springframework.security.core.AuthenticationException;
import org.springframework.security.core.context.SecurityContextHolder;
import org.springframework.security.web.AuthenticationEntryPoint;
import org.springframework.security.web.access.AccessDeniedHandler;
import org.springframework.security.web.csrf.CsrfException;

import java.io.IOException;

/**
 * How the API chain refuses, as problem details written here: 401 for anyone not signed in, writes included (the
 * CSRF check runs before anonymous callers are recognised, and its 403 used to end, through the error page, in a
 * 302 to the login form), and 403 for a signed-in write without the session's CSRF token, saying where to get it.
 */
final class ApiRefusals implements AuthenticationEntryPoint, AccessDeniedHandler {

    static final String SIGN_IN = "Sign in first: the API uses the session cookie of a signed-in user.";

    @Override
    public void commence(HttpServletRequest request, HttpServletResponse response, AuthenticationException e)
            throws IOException {
        Problems.write(request, response, HttpStatus.UNAUTHORIZED, SIGN_IN);
    }

    @Override
    public void handle(HttpServletRequest request, HttpServletResponse response, AccessDeniedException e)
            throws IOException {
        var auth = SecurityContextHolder.getContext().getAuthentication();
        if (auth == null || auth instanceof AnonymousAuthenticationToken || !auth.isAuthenticated()) {
            Problems.write(request, response, HttpStatus.UNAUTHORIZED, SIGN_IN);
        } else if (e instanceof CsrfException) {
            Problems.write(request, response, HttpStatus.FORBIDDEN, "This write needs the session's CSRF token: "
                    + "GET /api/studios/csrf names the header and gives the token.");
        } else {
            Problems.write(request, response, HttpStatus.FORBIDDEN, "You may not do that.");
        }
    }
}
