package dev.kiln.server.security;

import dev.kiln.server.config.LogText;
import dev.kiln.api.security.UserDirectory;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.dao.DuplicateKeyException;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.stereotype.Service;

import java.time.OffsetDateTime;
import java.util.List;

/**
 * Account administration for the Users page; every call checks that an administrator is asking. Whatever takes
 * access away (a reset password, a disabled or deleted account) ends that user's sessions and sockets at once.
 * Administrators do not disable, delete or reset their own account here (they change their own password from the
 * account menu), so the last administrator can never lock everyone out.
 */
@Service
class AdminUserDirectory implements UserDirectory {

    private static final Logger log = LoggerFactory.getLogger("kiln");

    private final UserAccounts accounts;
    private final JdbcClient jdbc;
    private final UserSessions sessions;
    private final OwnedStudios studios;

    AdminUserDirectory(UserAccounts accounts, JdbcClient jdbc, UserSessions sessions, OwnedStudios studios) {
        this.accounts = accounts;
        this.jdbc = jdbc;
        this.sessions = sessions;
        this.studios = studios;
    }

    @Override
    public List<UserSummary> users() {
        requireAdmin();
        return jdbc.sql("""
                select username, display_name, is_admin, disabled, created_at from kiln_user
                where deleted_at is null order by username""")
                .query((rs, n) -> new UserSummary(rs.getString("username"), rs.getString("display_name"), rs.getBoolean("is_admin"),
                        rs.getBoolean("disabled"), rs.getObject("created_at", OffsetDateTime.class).toInstant()))
                .list();
    }

    @Override
    public UserSummary create(String username, String displayName, String password, boolean admin) {
        requireAdmin();
        try {
            // Each refusal under its own field: a weak password under the password, not the user name.
            PasswordRule.check(password);
        } catch (IllegalArgumentException weak) {
            throw new UserDirectory.FieldRefusal(UserDirectory.FieldRefusal.Field.PASSWORD, weak.getMessage());
        }
        try {
            var created = accounts.create(username, password, displayName == null || displayName.isBlank() ? username : displayName, admin);
            return new UserSummary(created.getUsername(), created.displayName(), admin, false, java.time.Instant.now());
        } catch (DuplicateKeyException e) {
            throw new UserDirectory.FieldRefusal(UserDirectory.FieldRefusal.Field.USERNAME, "There is already a user "
                    + "called " + username + ".");
        }
    }

    @Override
    public void resetPassword(String username, String newPassword) {
        var admin = requireAdmin();
        var user = other(admin, username, "Change your own password from your account menu: it asks for the current one.");
        accounts.setPassword(user.id(), newPassword);
        int ended = sessions.endAll(user, "An administrator reset your password. Sign in again with the new one.");
        log.info("{} reset the password of {} ({} session(s) ended)", LogText.clean(admin.getUsername()),
                LogText.clean(username), ended);
    }

    @Override
    public void setDisabled(String username, boolean disabled) {
        var admin = requireAdmin();
        var user = other(admin, username, "You can't disable your own account.");
        accounts.setDisabled(user.id(), disabled);
        if (disabled) {
            int ended = sessions.endAll(user, "An administrator disabled your account.");
            log.info("{} disabled {} ({} session(s) ended)", LogText.clean(admin.getUsername()), LogText.clean(username), ended);
        } else {
            log.info("{} enabled {}", LogText.clean(admin.getUsername()), LogText.clean(username));
        }
    }

    @Override
    public List<String> studiosOwnedBy(String username) {
        requireAdmin();
        return studios.namesOwnedBy(existing(username).id());
    }

    @Override
    public void delete(String username) {
        var admin = requireAdmin();
        var user = other(admin, username, "You can't delete your own account.");
        // Disabled first, so no new sign-in slips in while its studios go.
        accounts.setDisabled(user.id(), true);
        sessions.endAll(user, "An administrator deleted your account.");
        int trashed = studios.deleteAllOwnedBy(user.id());
        accounts.markDeleted(user.id());
        log.info("{} deleted the account {} and moved its {} studio(s) to the trash", LogText.clean(admin.getUsername()),
                LogText.clean(username), trashed);
    }

    private KilnPrincipal other(KilnPrincipal admin, String username, String ifSelf) {
        var user = existing(username);
        if (user.id() == admin.id()) {
            throw new IllegalArgumentException(ifSelf);
        }
        return user;
    }

    private KilnPrincipal existing(String username) {
        return accounts.find(username).orElseThrow(() -> new IllegalArgumentException("There is no user called " + username + "."));
    }

    private static KilnPrincipal requireAdmin() {
        var user = Users.current();
        if (!user.isAdmin()) {
            throw new SecurityException("Only administrators manage users.");
        }
        return user;
    }
}
