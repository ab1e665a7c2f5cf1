package dev.kiln.ui.admin;

import java.time.Instant;
import java.util.List;

/** Kiln's accounts, for administrators: teammates need an account before a share link can let them in. */
public interface UserDirectory {

    record UserSummary(String username, String displayName, boolean admin, Instant createdAt) {
    }

    /** Refused with {@link SecurityException} unless the signed-in user is an administrator. */
    List<UserSummary> users();

    /** Creates an account; a bad name or a short password is refused with {@link IllegalArgumentException}. */
    UserSummary create(String username, String displayName, String password, boolean admin);
}
