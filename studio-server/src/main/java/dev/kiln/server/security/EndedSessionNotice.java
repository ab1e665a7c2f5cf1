package dev.kiln.server.security;

import dev.kiln.ui.security.LoginView;
import jakarta.servlet.FilterChain;
import jakarta.servlet.ServletException;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import org.springframework.web.filter.OncePerRequestFilter;

import java.io.IOException;

/**
 * A browser whose session an administrator ended (or the user, changing their password elsewhere) still sends
 * that session's cookie: its next request starts a fresh session carrying the reason, which the sign-in page it is
 * sent to shows ("An administrator disabled your account.") instead of a bare sign-in form.
 */
final class EndedSessionNotice extends OncePerRequestFilter {

    private final UserSessions sessions;

    EndedSessionNotice(UserSessions sessions) {
        this.sessions = sessions;
    }

    @Override
    protected void doFilterInternal(HttpServletRequest request, HttpServletResponse response, FilterChain chain)
            throws ServletException, IOException {
        var requested = request.getRequestedSessionId();
        if (requested != null && !request.isRequestedSessionIdValid()) {
            var reason = sessions.takeEndedReason(requested);
            if (reason != null) {
                request.getSession(true).setAttribute(LoginView.MESSAGE_ATTRIBUTE, reason);
            }
        }
        chain.doFilter(request, response);
    }
}
