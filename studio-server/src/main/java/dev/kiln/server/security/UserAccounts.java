package dev.kiln.server.security;

import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.security.crypto.password.PasswordEncoder;
import org.springframework.stereotype.Service;

import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Clock;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.Optional;

/** Kiln's user accounts. Only password hashes are stored. Deleted accounts are never found here. */
@Service
public class UserAccounts {

    /** What a deleted account's name becomes: '~' is not allowed in user names, so nobody can sign up as it. */
    static final String DELETED_PREFIX = "~deleted~";

    private final JdbcClient jdbc;
    private final PasswordEncoder passwords;
    private final Clock clock;

    UserAccounts(JdbcClient jdbc, PasswordEncoder passwords, Clock clock) {
        this.jdbc = jdbc;
        this.passwords = passwords;
        this.clock = clock;
    }

    public KilnPrincipal create(String username, String rawPassword, String displayName, boolean admin) {
        if (username == null || !username.matches("[A-Za-z0-9._-]{1,64}")) {
            throw new IllegalArgumentException("User names are 1-64 letters, digits, '.', '_' or '-'.");
        }
        PasswordRule.check(rawPassword);
        jdbc.sql("""
                insert into kiln_user (username, display_name, password_hash, is_admin, created_at)
                values (:username, :displayName, :hash, :admin, :now)""")
                .param("username", username)
                .param("displayName", displayName)
                .param("hash", passwords.encode(rawPassword))
                .param("admin", admin)
                .param("now", now())
                .update();
        return find(username).orElseThrow();
    }

    public long count() {
        return jdbc.sql("select count(*) from kiln_user").query(Long.class).single();
    }

    /** The account called {@code username}, disabled or not; never a deleted one. */
    public Optional<KilnPrincipal> find(String username) {
        return jdbc.sql("select * from kiln_user where username = :username and deleted_at is null")
                .param("username", username)
                .query(UserAccounts::principal)
                .optional();
    }

    Optional<KilnPrincipal> findById(long id) {
        return jdbc.sql("select * from kiln_user where id = :id and deleted_at is null")
                .param("id", id)
                .query(UserAccounts::principal)
                .optional();
    }

    /** Sets a new password (checked against {@link PasswordRule}); the caller ends the account's sessions. */
    void setPassword(long id, String rawPassword) {
        PasswordRule.check(rawPassword);
        jdbc.sql("update kiln_user set password_hash = :hash where id = :id and deleted_at is null")
                .param("hash", passwords.encode(rawPassword)).param("id", id).update();
    }

    void setDisabled(long id, boolean disabled) {
        jdbc.sql("update kiln_user set disabled = :disabled where id = :id and deleted_at is null")
                .param("disabled", disabled).param("id", id).update();
    }

    /**
     * Deletes the account: its row stays (commits and job records keep their author's name) under a name nobody
     * can sign in with, with no usable password, no e-mail and no studio memberships.
     */
    void markDeleted(long id) {
        jdbc.sql("delete from studio_member where user_id = :id").param("id", id).update();
        jdbc.sql("""
                update kiln_user set username = :tombstone, password_hash = '!', email = null, disabled = true,
                       deleted_at = :now
                where id = :id""")
                .param("tombstone", DELETED_PREFIX + id).param("now", now()).param("id", id).update();
    }

    private OffsetDateTime now() {
        return OffsetDateTime.ofInstant(clock.instant(), ZoneOffset.UTC);
    }

    private static KilnPrincipal principal(ResultSet rs, int row) throws SQLException {
        return new KilnPrincipal(rs.getLong("id"), rs.getString("username"), rs.getString("password_hash"),
                rs.getString("display_name"), rs.getString("email"), rs.getBoolean("is_admin"), !rs.getBoolean("disabled"));
    }
}
