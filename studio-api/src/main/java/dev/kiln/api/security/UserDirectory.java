package dev.kiln.api.security;

import java.time.Instant;
import java.util.List;

/**
 * Kiln's accounts, for administrators: teammates need an account before a share link can let them in. Every call
 * is refused with {@link SecurityException} unless the signed-in user is an administrator; a bad name or password,
 * or an action an administrator may not take on their own account, with {@link IllegalArgumentException}.
 */
public interface UserDirectory {

    /** @param disabled an administrator disabled it: it cannot sign in until enabled again */
    record UserSummary(String username, String displayName, boolean admin, boolean disabled, Instant createdAt) {
    }

    /** A refusal that belongs to one field of the form: shown under it. */
    final class FieldRefusal extends IllegalArgumentException {
        public enum Field { USERNAME, PASSWORD }

        private final Field field;

        public FieldRefusal(Field field, String message) {
            super(message);
            this.field = field;
        }

        public Field field() {
            return field;
        }
    }

    List<UserSummary> users();

    UserSummary create(String username, String displayName, String password, boolean admin);

    /** Sets a new password; the user's sessions and open editors and terminals end at once. */
    void resetPassword(String username, String newPassword);

    /** Disabling ends the user's sessions, open editors and terminals at once; enabling lets them sign in again. */
    void setDisabled(String username, boolean disabled);

    /** The names of the studios the user owns: what deleting the account moves to the trash. */
    List<String> studiosOwnedBy(String username);

    /**
     * Deletes the account: its sessions end at once, the studios it owns go to the trash (as when a studio is
     * deleted), it leaves the studios shared with it, and the name is free for a new account.
     */
    void delete(String username);
}
