package dev.kiln.server.security;

import dev.kiln.server.session.PersistentSessions;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.context.ApplicationEventPublisher;
import org.springframework.stereotype.Component;

import java.util.Map;

/**
 * Ends a user's sign-in sessions at once, rather than at their 12-hour timeout, when an account is disabled, deleted
 * or its password reset. Sessions live in the database (Spring Session, {@link PersistentSessions}), indexed by the
 * signed-in user's name, so this finds every session of the user, made by this server process or an earlier one.
 * Ending them also publishes {@link SessionsEnded}, on which the socket handlers close that user's open sockets.
 */
@Component
public class UserSessions {

    private static final Logger log = LoggerFactory.getLogger(UserSessions.class);

    private final ApplicationEventPublisher events;
    private final PersistentSessions sessions;
    /** Why recently ended sessions ended, by session id, for the sign-in page those browsers land on (bounded). */
    private final Map<String, String> endedBecause = java.util.Collections.synchronizedMap(
            new java.util.LinkedHashMap<>(64, 0.75f, false) {
                @Override
                protected boolean removeEldestEntry(Map.Entry<String, String> eldest) {
                    return size() > 1000;
                }
            });

    UserSessions(ApplicationEventPublisher events, PersistentSessions sessions) {
        this.events = events;
        this.sessions = sessions;
    }

    /**
     * Ends every session of {@code user} and closes their sockets with {@code message}.
     *
     * @return how many sessions were ended
     */
    public int endAll(KilnPrincipal user, String message) {
        // Sockets first, so they close with this message rather than as a side effect of the session going.
        events.publishEvent(new SessionsEnded(user.id(), message));
        int ended = end(user.getUsername(), null, message);
        log.info("Ended {} session(s) of user {}", ended, user.id());
        return ended;
    }

    /** Ends every session of {@code user} except {@code keepSessionId} (the one asking). */
    int endOthers(KilnPrincipal user, String keepSessionId) {
        return end(user.getUsername(), keepSessionId,
                "You changed your password in another session. Sign in with the new one.");
    }

    /** Why the session {@code sessionId} was ended, once: the browser that still holds its cookie is told. */
    String takeEndedReason(String sessionId) {
        return sessionId == null ? null : endedBecause.remove(sessionId);
    }

    /** How many sessions {@code username} has. */
    int count(String username) {
        return sessions.findByPrincipalName(username).size();
    }

    private int end(String username, String keep, String reason) {
        int ended = 0;
        for (String id : sessions.findByPrincipalName(username).keySet()) {
            if (id.equals(keep)) {
                continue;
            }
            sessions.deleteById(id);
            endedBecause.put(id, reason);
            ended++;
        }
        return ended;
    }
}
