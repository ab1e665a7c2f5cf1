package dev.kiln.server.security;

import dev.kiln.ui.admin.UserDirectory;
import org.springframework.dao.DuplicateKeyException;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.stereotype.Service;

import java.time.OffsetDateTime;
import java.util.List;

/** Account administration for the Users page; every call checks that an administrator is asking. */
@Service
class AdminUserDirectory implements UserDirectory {

    private final UserAccounts accounts;
    private final JdbcClient jdbc;

    AdminUserDirectory(UserAccounts accounts, JdbcClient jdbc) {
        this.accounts = accounts;
        this.jdbc = jdbc;
    }

    @Override
    public List<UserSummary> users() {
        requireAdmin();
        return jdbc.sql("select username, display_name, is_admin, created_at from kiln_user order by username")
                .query((rs, n) -> new UserSummary(rs.getString("username"), rs.getString("display_name"), rs.getBoolean("is_admin"),
                        rs.getObject("created_at", OffsetDateTime.class).toInstant()))
                .list();
    }

    @Override
    public UserSummary create(String username, String displayName, String password, boolean admin) {
        requireAdmin();
        try {
            var created = accounts.create(username, password, displayName == null || displayName.isBlank() ? username : displayName, admin);
            return new UserSummary(created.getUsername(), created.displayName(), admin, java.time.Instant.now());
        } catch (DuplicateKeyException e) {
            throw new IllegalArgumentException("There is already a user called " + username + ".");
        }
    }

    private static void requireAdmin() {
        if (Users.current().getAuthorities().stream().noneMatch(a -> a.getAuthority().equals("ROLE_ADMIN"))) {
            throw new SecurityException("Only administrators manage users.");
        }
    }
}
