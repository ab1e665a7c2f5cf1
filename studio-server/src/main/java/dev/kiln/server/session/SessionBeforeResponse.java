package dev.kiln.server.session;

import jakarta.servlet.FilterChain;
import jakarta.servlet.ServletException;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import org.springframework.session.web.http.CookieSerializer;
import org.springframework.web.filter.OncePerRequestFilter;

import java.io.IOException;
import java.util.List;

/**
 * Gives a page request its session cookie before the page is written. Spring Session writes its cookie when it
 * sees the response being committed, but Vaadin's pages are served through a forward (Spring MVC's
 * ServletForwardingController to the Vaadin servlet), which Tomcat completes on the response underneath, unseen:
 * the cookie came after the page and was dropped, and Vaadin reported "Cookies disabled". So for the app's pages the
 * session is made first and its cookie written up front, with Spring Session's own serializer; the session row is
 * saved when the request ends, before the page's scripts make their first request with it. The API, sockets, git,
 * exports and static files are left alone: they answer through Spring's own handlers, or need no session.
 */
final class SessionBeforeResponse extends OncePerRequestFilter {

    private static final List<String> NOT_PAGES = List.of("/api/", "/collab/", "/terminal/", "/git/", "/agent", "/exports/",
            "/actuator", "/VAADIN/", "/styles/", "/icons/", "/favicon", "/sw.js", "/offline", "/manifest");

    private final CookieSerializer cookies;

    SessionBeforeResponse(CookieSerializer cookies) {
        this.cookies = cookies;
    }

    @Override
    protected void doFilterInternal(HttpServletRequest request, HttpServletResponse response, FilterChain chain)
            throws ServletException, IOException {
        var path = request.getRequestURI().substring(request.getContextPath().length());
        if (NOT_PAGES.stream().noneMatch(path::startsWith)) {
            var session = request.getSession(true);
            if (!request.isRequestedSessionIdValid() || !session.getId().equals(request.getRequestedSessionId())) {
                cookies.writeCookieValue(new CookieSerializer.CookieValue(request, response, session.getId()));
            }
        }
        chain.doFilter(request, response);
    }
}
