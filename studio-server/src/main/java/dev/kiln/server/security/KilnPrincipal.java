package dev.kiln.server.security;

import org.eclipse.jgit.lib.PersonIdent;
import org.springframework.security.core.authority.SimpleGrantedAuthority;
import org.springframework.security.core.userdetails.User;

import java.util.List;

/** A signed-in Kiln user: Spring Security's user plus the id and name Kiln records as author. */
public final class KilnPrincipal extends User {

    private final long id;
    private final String displayName;
    private final String email;

    public KilnPrincipal(long id, String username, String passwordHash, String displayName, String email, boolean admin) {
        this(id, username, passwordHash, displayName, email, admin, true);
    }

    /** @param enabled false for an account an administrator disabled: it cannot sign in */
    public KilnPrincipal(long id, String username, String passwordHash, String displayName, String email, boolean admin,
                         boolean enabled) {
        super(username, passwordHash, enabled, true, true, true, admin
                ? List.of(new SimpleGrantedAuthority("ROLE_USER"), new SimpleGrantedAuthority("ROLE_ADMIN"))
                : List.of(new SimpleGrantedAuthority("ROLE_USER")));
        this.id = id;
        this.displayName = displayName;
        this.email = email;
    }

    public long id() {
        return id;
    }

    public String displayName() {
        return displayName;
    }

    public boolean isAdmin() {
        return getAuthorities().stream().anyMatch(a -> "ROLE_ADMIN".equals(a.getAuthority()));
    }

    /** How this user appears as a commit author. */
    public PersonIdent asAuthor() {
        return new PersonIdent(displayName, email == null || email.isBlank() ? getUsername() + "@kiln.local" : email);
    }
}
