package dev.kiln.server.security;

import com.vaadin.flow.spring.security.AuthenticationContext;
import dev.kiln.ui.security.CurrentUser;
import org.springframework.security.core.context.SecurityContextHolder;
import org.springframework.stereotype.Component;

/** The views' view of the signed-in user. */
@Component
class SpringCurrentUser implements CurrentUser {

    private final AuthenticationContext authentication;

    SpringCurrentUser(AuthenticationContext authentication) {
        this.authentication = authentication;
    }

    @Override
    public String displayName() {
        return authentication.getAuthenticatedUser(KilnPrincipal.class).map(KilnPrincipal::displayName).orElse("");
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
        throw new IllegalStateException("No signed-in Kiln user in this request");
    }
}
