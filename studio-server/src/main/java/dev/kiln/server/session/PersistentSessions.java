package dev.kiln.server.session;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.session.FindByIndexNameSessionRepository;
import org.springframework.session.Session;

import java.time.Duration;
import java.time.Instant;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Sign-in sessions that outlive the server process, over Spring Session's JDBC repository. Only what keeps a person
 * signed in goes to the database: Spring Security's attributes (the security context, the CSRF token, the request
 * to return to after sign-in). Everything else a session holds, above all Vaadin's UI state, which is neither
 * serializable nor meaningful after a restart, stays in this process's memory beside it. After a restart the
 * person is still signed in; a Vaadin page reloads itself (its UI state is gone) and finds them so.
 *
 * <p>The last-access time is written at most once a minute, so a request does not cost a database write; expiry
 * (hours) does not need finer. Ending a person's sessions goes through {@link #findByPrincipalName} and
 * {@link #deleteById}, which also drop what this process kept in memory for them.
 */
public final class PersistentSessions implements FindByIndexNameSessionRepository<PersistentSessions.KilnSession> {

    private static final Logger log = LoggerFactory.getLogger(PersistentSessions.class);
    static final Duration ACCESS_WRITE_INTERVAL = Duration.ofMinutes(1);

    private final FindByIndexNameSessionRepository<Session> stored;
    /** Per session id: the attributes that stay in memory. */
    private final Map<String, Map<String, Object>> inMemory = new ConcurrentHashMap<>();

    @SuppressWarnings("unchecked")
    public PersistentSessions(FindByIndexNameSessionRepository<? extends Session> stored) {
        this.stored = (FindByIndexNameSessionRepository<Session>) stored;
    }

    /** Whether an attribute is part of being signed in, and so is kept in the database. */
    static boolean persisted(String attribute) {
        return attribute.startsWith("SPRING_SECURITY_") || attribute.startsWith("org.springframework.security.");
    }

    @Override
    public KilnSession createSession() {
        return new KilnSession(stored.createSession());
    }

    @Override
    public void save(KilnSession session) {
        stored.save(session.stored);
    }

    @Override
    public KilnSession findById(String id) {
        Session session;
        try {
            session = stored.findById(id);
        } catch (RuntimeException e) {
            // A session written by an older Kiln whose classes changed: the person signs in again.
            log.info("Could not read stored session; it is ended ({})", e.toString());
            deleteById(id);
            return null;
        }
        if (session == null) {
            inMemory.remove(id);
            return null;
        }
        return new KilnSession(session);
    }

    @Override
    public void deleteById(String id) {
        inMemory.remove(id);
        stored.deleteById(id);
    }

    @Override
    public Map<String, KilnSession> findByIndexNameAndIndexValue(String indexName, String indexValue) {
        var found = new LinkedHashMap<String, KilnSession>();
        stored.findByIndexNameAndIndexValue(indexName, indexValue)
                .forEach((id, session) -> found.put(id, new KilnSession(session)));
        return found;
    }

    /** Drops what memory holds for sessions the database no longer has (expired, or ended elsewhere). */
    public int pruneMemory() {
        int dropped = 0;
        for (var id : Set.copyOf(inMemory.keySet())) {
            Session session;
            try {
                session = stored.findById(id);
            } catch (RuntimeException e) {
                session = null;
            }
            if (session == null || session.isExpired()) {
                inMemory.remove(id);
                dropped++;
            }
        }
        return dropped;
    }

    /** How many sessions have attributes in memory (for tests and the soak benchmark). */
    public int inMemoryCount() {
        return inMemory.size();
    }

    /** A stored session plus its in-memory attributes (kept per session id, shared by concurrent requests). */
    public final class KilnSession implements Session {
        private final Session stored;

        KilnSession(Session stored) {
            this.stored = stored;
        }

        private Map<String, Object> memory() {
            return inMemory.getOrDefault(stored.getId(), java.util.Collections.emptyMap());
        }

        private Map<String, Object> memoryForWriting() {
            return inMemory.computeIfAbsent(stored.getId(), k -> new ConcurrentHashMap<>());
        }

        @Override
        public String getId() {
            return stored.getId();
        }

        @Override
        public String changeSessionId() {
            var old = stored.getId();
            var id = stored.changeSessionId();
            var memory = inMemory.remove(old);
            if (memory != null) {
                inMemory.put(id, memory);
            }
            return id;
        }

        @Override
        @SuppressWarnings("unchecked")
        public <T> T getAttribute(String name) {
            return persisted(name) ? stored.getAttribute(name) : (T) memory().get(name);
        }

        @Override
        public Set<String> getAttributeNames() {
            var names = new HashSet<>(stored.getAttributeNames());
            names.addAll(memory().keySet());
            return names;
        }

        @Override
        public void setAttribute(String name, Object value) {
            if (persisted(name)) {
                stored.setAttribute(name, value);
            } else if (value == null) {
                memory().remove(name);
            } else {
                memoryForWriting().put(name, value);
            }
        }

        @Override
        public void removeAttribute(String name) {
            if (persisted(name)) {
                stored.removeAttribute(name);
            } else {
                memory().remove(name);
            }
        }

        @Override
        public Instant getCreationTime() {
            return stored.getCreationTime();
        }

        @Override
        public void setLastAccessedTime(Instant lastAccessedTime) {
            // Every request calls this; writing it each time would make every request a database write.
            if (Duration.between(stored.getLastAccessedTime(), lastAccessedTime).compareTo(ACCESS_WRITE_INTERVAL) >= 0) {
                stored.setLastAccessedTime(lastAccessedTime);
            }
        }

        @Override
        public Instant getLastAccessedTime() {
            return stored.getLastAccessedTime();
        }

        @Override
        public void setMaxInactiveInterval(Duration interval) {
            stored.setMaxInactiveInterval(interval);
        }

        @Override
        public Duration getMaxInactiveInterval() {
            return stored.getMaxInactiveInterval();
        }

        @Override
        public boolean isExpired() {
            return stored.isExpired();
        }
    }
}
