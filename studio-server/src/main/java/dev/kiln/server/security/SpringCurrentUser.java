package dev.kiln.server.security;

import com.vaadin.flow.spring.security.AuthenticationContext;
import dev.kiln.api.security.CurrentUser;
import org.springframework.security.core.context.SecurityContextHolder;
import org.springframework.stereotype.Component;

/** The views' view of the signed-in user. */
@Component
class SpringCurrentUser implements CurrentUser {

    private final AuthenticationContext authentication;
    private final OwnPassword passwords;

    SpringCurrentUser(AuthenticationContext authentication, OwnPassword passwords) {
        this.authentication = authentication;
        this.passwords = passwords;
    }

    @Override
    public String displayName() {
        return authentication.getAuthenticatedUser(KilnPrincipal.class).map(KilnPrincipal::displayName).orElse("");
    }

    @Override
    public String username() {
        return authentication.getAuthenticatedUser(KilnPrincipal.class).map(KilnPrincipal::getUsername).orElse("");
    }

    @Override
    public void changePassword(String currentPassword, String newPassword) {
        passwords.change(currentPassword, newPassword);
    }

    @Override
    public boolean isAdmin() {
        return authentication.hasRole("ADMIN");
    }

    @Override
    public void logout() {
        authentication.logout();
    }

    /** The signed-in user, for services. Throws when nobody is signed in (a wiring mistake, never a user error). */
    static KilnPrincipal required() {
        var auth = SecurityContextHolder.getContext().getAuthentication();
        if (auth != null && auth.getPrincipal() instanceof KilnPrincipal principal) {
            return principal;
        }
        // The request's own user, as the security filter chain that handled it saw it. SecurityContextHolder is a
        // JVM-wide static whose strategy Vaadin replaces; where more than one application context lives in one JVM
        // (the test suite) it can be another context's, while the request carries the right one.
        if (org.springframework.web.context.request.RequestContextHolder.getRequestAttributes()
                instanceof org.springframework.web.context.request.ServletRequestAttributes servlet
                && servlet.getRequest().getUserPrincipal() instanceof org.springframework.security.core.Authentication
                request && request.getPrincipal() instanceof KilnPrincipal principal) {
            return principal;
        }
        throw new IllegalStateException("No signed-in Kiln user in this request");
    }
}
