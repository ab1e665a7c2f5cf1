package dev.kiln.server.session;

import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.context.annotation.Primary;
import org.springframework.scheduling.annotation.Scheduled;
import org.springframework.session.jdbc.JdbcIndexedSessionRepository;
import org.springframework.session.jdbc.config.annotation.web.http.EnableJdbcHttpSession;

/**
 * Sessions in the database (Spring Session JDBC, tables made by Flyway's V25), with Vaadin's state kept in memory
 * beside them: see {@link PersistentSessions}. Spring Session's filter and anything that ends a user's sessions
 * (through {@code FindByIndexNameSessionRepository}) get {@link PersistentSessions}, the primary repository. Enabled
 * here rather than by Spring Boot's auto-configuration, which steps back as soon as a second repository exists.
 * A session lasts {@code server.servlet.session.timeout} (KILN_SESSION_TIMEOUT, 12 hours) without a request;
 * expired rows are deleted every ten minutes.
 */
@Configuration(proxyBeanMethods = false)
@EnableJdbcHttpSession(cleanupCron = "0 */10 * * * *")
class SessionConfiguration {

    @Bean
    org.springframework.session.config.SessionRepositoryCustomizer<JdbcIndexedSessionRepository> sessionTimeout(
            @org.springframework.beans.factory.annotation.Value("${server.servlet.session.timeout:12h}") java.time.Duration timeout) {
        return repository -> repository.setDefaultMaxInactiveInterval(timeout);
    }

    @Bean
    @Primary
    PersistentSessions persistentSessions(JdbcIndexedSessionRepository jdbc) {
        return new PersistentSessions(jdbc);
    }

    /** The session cookie (SESSION, HttpOnly, SameSite=Lax), shared by Spring Session and {@link SessionBeforeResponse}. */
    @Bean
    org.springframework.session.web.http.DefaultCookieSerializer cookieSerializer() {
        return new org.springframework.session.web.http.DefaultCookieSerializer();
    }

    /** Right after Spring Session's filter (see {@link SessionBeforeResponse}). */
    @Bean
    org.springframework.boot.web.servlet.FilterRegistrationBean<SessionBeforeResponse> sessionBeforeResponse(
            org.springframework.session.web.http.CookieSerializer cookies) {
        var registration = new org.springframework.boot.web.servlet.FilterRegistrationBean<>(new SessionBeforeResponse(cookies));
        registration.setOrder(org.springframework.session.web.http.SessionRepositoryFilter.DEFAULT_ORDER + 1);
        return registration;
    }

    @Bean
    MemoryPruning sessionMemoryPruning(PersistentSessions sessions) {
        return new MemoryPruning(sessions);
    }

    /** Every ten minutes, as Spring Session's own clean-up of expired rows. */
    static final class MemoryPruning {
        private final PersistentSessions sessions;

        MemoryPruning(PersistentSessions sessions) {
            this.sessions = sessions;
        }

        @Scheduled(fixedDelay = 600_000, initialDelay = 600_000)
        void prune() {
            sessions.pruneMemory();
        }
    }
}
