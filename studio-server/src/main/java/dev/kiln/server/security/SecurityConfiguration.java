package dev.kiln.server.security;

import com.vaadin.flow.spring.security.RequestUtil;
import com.vaadin.flow.spring.security.VaadinSecurityConfigurer;
import dev.kiln.ui.security.LoginView;
import org.springframework.boot.web.servlet.FilterRegistrationBean;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.core.Ordered;
import org.springframework.core.annotation.Order;
import org.springframework.security.config.annotation.web.builders.HttpSecurity;
import org.springframework.security.config.annotation.web.configuration.EnableWebSecurity;
import org.springframework.security.crypto.factory.PasswordEncoderFactories;
import org.springframework.security.crypto.password.PasswordEncoder;
import org.springframework.security.web.SecurityFilterChain;

/**
 * Who may ask for what. Five chains (after two plain filters: the request-body limit, and the notice that tells a
 * browser whose session an administrator ended why it is signed out):
 * <ul>
 *   <li>{@code /agent}: machine agents, each with its per-machine token checked in the WebSocket handshake.</li>
 *   <li>{@code /git/**}: the studios' repositories over git's HTTP protocol, read-only, Basic credentials checked
 *       in the controller (a machine token or a user's password, then the studio's access rules).</li>
 *   <li>{@code /actuator/**}: admins only; HTTP Basic (for Prometheus scrapers) or an admin's session.</li>
 *   <li>{@code /api/**} and the {@code /collab/*}, {@code /terminal/*} and {@code /notebook/*} WebSockets: signed-in users (session cookie, CSRF on for writes);
 *       anonymous callers get 401, not a login page.
 *       Which studio a user may touch is decided in the studio service, for the API and the views alike.</li>
 *   <li>everything else: the Vaadin app; anonymous users are sent to the login view, whose form carries the
 *       session's CSRF token like every other form (Vaadin's default exempts it, which allows login CSRF).</li>
 * </ul>
 * User names and passwords (the form, Basic on {@code /actuator}, git) are all checked by {@link PasswordLogin},
 * throttled per account and per address. The session cookie is {@code SameSite=Lax} (application.properties) and
 * {@code Secure} whenever the request is HTTPS, as the server sees it or as a trusted proxy says it
 * ({@code server.forward-headers-strategy=native}).
 */
@Configuration(proxyBeanMethods = false)
@EnableWebSecurity
class SecurityConfiguration {

    /**
     * After Spring Session's filter (which makes the requested session the database's) and before the security
     * chains, which send a signed-out browser to the sign-in page.
     */
    @Bean
    FilterRegistrationBean<EndedSessionNotice> endedSessionNotice(UserSessions sessions) {
        var registration = new FilterRegistrationBean<>(new EndedSessionNotice(sessions));
        registration.setOrder(org.springframework.session.web.http.SessionRepositoryFilter.DEFAULT_ORDER + 2);
        return registration;
    }

    @Bean
    PasswordEncoder passwordEncoder() {
        // bcrypt today, with the algorithm stored beside each hash so it can be upgraded later.
        return PasswordEncoderFactories.createDelegatingPasswordEncoder();
    }

    /** Machine agents authenticate with their per-machine token in the WebSocket handshake (see AgentSocket). */
    @Bean
    @Order(0)
    SecurityFilterChain agents(HttpSecurity http) throws Exception {
        return http.securityMatcher("/agent")
                .authorizeHttpRequests(auth -> auth.anyRequest().permitAll())
                .csrf(csrf -> csrf.disable())
                .build();
    }

    /**
     * Git over HTTP ({@code /git/<studio>.git}): Basic credentials checked per request in GitHttpController, a
     * machine token or a user's password; {@code /exports/<token>}, one-time query exports fetched by machines; and
     * {@code /agent-files/<token>}, one-time file transfers between a machine and a browser (in both, the token is the
     * credential). No session, no CSRF (git clients and agents have neither).
     */
    @Bean
    @Order(0)
    SecurityFilterChain git(HttpSecurity http) throws Exception {
        return http.securityMatcher("/git/**", "/exports/**", "/agent-files/**")
                .authorizeHttpRequests(auth -> auth.anyRequest().permitAll())
                .csrf(csrf -> csrf.disable())
                .sessionManagement(s -> s.sessionCreationPolicy(
                        org.springframework.security.config.http.SessionCreationPolicy.STATELESS))
                .build();
    }

    @Bean
    @Order(1)
    SecurityFilterChain actuator(HttpSecurity http) throws Exception {
        return http.securityMatcher("/actuator/**")
                .authorizeHttpRequests(auth -> auth.anyRequest().hasRole("ADMIN"))
                .httpBasic(basic -> basic.realmName("Kiln"))
                .build();
    }

    @Bean
    @Order(2)
    SecurityFilterChain api(HttpSecurity http) throws Exception {
        var refusals = new ApiRefusals();
        return http.securityMatcher("/api/**", "/collab/**", "/terminal/**", "/notebook/**")
                .authorizeHttpRequests(auth -> auth.anyRequest().authenticated())
                .exceptionHandling(e -> e.authenticationEntryPoint(refusals).accessDeniedHandler(refusals))
                .build();
    }

    @Bean
    @Order(3)
    SecurityFilterChain app(HttpSecurity http, RequestUtil vaadinRequests) throws Exception {
        // Kiln's stylesheet is needed by the login page too.
        http.authorizeHttpRequests(auth -> auth.requestMatchers("/styles/**").permitAll());
        // Vaadin's own requests carry Vaadin's CSRF token, which Vaadin checks; every other POST, the login form's
        // included, needs Spring's. The login form sends it from the page's _csrf meta tags.
        http.csrf(csrf -> csrf.ignoringRequestMatchers(vaadinRequests::isFrameworkInternalRequest));
        http.exceptionHandling(e -> e.accessDeniedHandler(new LoginFormExpired()));
        http.with(VaadinSecurityConfigurer.vaadin(), vaadin -> vaadin.loginView(LoginView.class)
                .enableCsrfConfiguration(false));
        // After Vaadin's configurer, so that its login page is set before the form login initialises (otherwise
        // Spring's generated login page would be served); Vaadin leaves the failure handler alone when one is set.
        http.formLogin(form -> form.failureHandler(new SignInFailures()));
        return http.build();
    }
}
