package dev.kiln.server.security;

import jakarta.servlet.http.HttpSession;
import jakarta.servlet.http.HttpSessionAttributeListener;
import jakarta.servlet.http.HttpSessionBindingEvent;
import jakarta.servlet.http.HttpSessionEvent;
import jakarta.servlet.http.HttpSessionListener;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.context.ApplicationEventPublisher;
import org.springframework.security.core.context.SecurityContext;
import org.springframework.security.web.context.HttpSessionSecurityContextRepository;
import org.springframework.stereotype.Component;

import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Which HTTP sessions belong to which user, so that disabling, deleting or resetting an account ends them at once
 * rather than at their 12-hour timeout. A servlet listener: it sees Spring Security store the signed-in user in a
 * session and the container destroy sessions. Ending a user's sessions also publishes {@link SessionsEnded}, on
 * which the socket handlers close that user's open sockets.
 */
@Component
public class UserSessions implements HttpSessionListener, HttpSessionAttributeListener {

    private static final Logger log = LoggerFactory.getLogger(UserSessions.class);
    private static final String CONTEXT = HttpSessionSecurityContextRepository.SPRING_SECURITY_CONTEXT_KEY;

    /** Each signed-in session and its user (a few per user: a map this way round needs no locking). */
    private final Map<HttpSession, Long> users = new ConcurrentHashMap<>();
    private final ApplicationEventPublisher events;
    /** Why recently ended sessions ended, by session id, for the sign-in page those browsers land on (bounded). */
    private final Map<String, String> endedBecause = java.util.Collections.synchronizedMap(
            new java.util.LinkedHashMap<>(64, 0.75f, false) {
                @Override
                protected boolean removeEldestEntry(Map.Entry<String, String> eldest) {
                    return size() > 1000;
                }
            });

    UserSessions(ApplicationEventPublisher events) {
        this.events = events;
    }

    /**
     * Invalidates every session of {@code userId} and closes their sockets with {@code message}.
     *
     * @return how many HTTP sessions were ended
     */
    public int endAll(long userId, String message) {
        // Sockets first, so they close with this message: invalidating an HTTP session also makes the container
        // close the WebSockets opened under it, with a bare 1008.
        events.publishEvent(new SessionsEnded(userId, message));
        int ended = invalidate(userId, null, message);
        log.info("Ended {} session(s) of user {}", ended, userId);
        return ended;
    }

    /** Invalidates every session of {@code userId} except {@code keepSessionId} (the one asking). */
    int endOthers(long userId, String keepSessionId) {
        return invalidate(userId, keepSessionId, "You changed your password in another session. Sign in with the new one.");
    }

    /** Why the session {@code sessionId} was ended, once: the browser that still holds its cookie is told. */
    String takeEndedReason(String sessionId) {
        return sessionId == null ? null : endedBecause.remove(sessionId);
    }

    int count(long userId) {
        return sessionsOf(userId).size();
    }

    private int invalidate(long userId, String keep, String reason) {
        int ended = 0;
        for (var session : sessionsOf(userId)) {
            try {
                if (keep != null && keep.equals(session.getId())) {
                    continue;
                }
                var id = session.getId();
                session.invalidate();
                endedBecause.put(id, reason);
                ended++;
            } catch (IllegalStateException alreadyInvalid) {
                // ended meanwhile
            }
            forget(session);
        }
        return ended;
    }

    private List<HttpSession> sessionsOf(long userId) {
        return users.entrySet().stream().filter(e -> e.getValue() == userId).map(Map.Entry::getKey).toList();
    }

    @Override
    public void attributeAdded(HttpSessionBindingEvent event) {
        track(event);
    }

    @Override
    public void attributeReplaced(HttpSessionBindingEvent event) {
        track(event);
    }

    @Override
    public void attributeRemoved(HttpSessionBindingEvent event) {
        if (CONTEXT.equals(event.getName())) {
            forget(event.getSession());
        }
    }

    @Override
    public void sessionDestroyed(HttpSessionEvent event) {
        forget(event.getSession());
    }

    private void track(HttpSessionBindingEvent event) {
        if (!CONTEXT.equals(event.getName())) {
            return;
        }
        var session = event.getSession();
        Object value;
        try {
            value = session.getAttribute(CONTEXT);
        } catch (IllegalStateException invalidated) {
            return;
        }
        if (value instanceof SecurityContext context && context.getAuthentication() != null
                && context.getAuthentication().getPrincipal() instanceof KilnPrincipal user) {
            users.put(session, user.id());
        } else {
            forget(session);
        }
    }

    private void forget(HttpSession session) {
        users.remove(session);
    }
}
