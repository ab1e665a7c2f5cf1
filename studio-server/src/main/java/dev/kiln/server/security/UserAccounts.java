package dev.kiln.server.security;

import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.security.core.userdetails.UserDetailsService;
import org.springframework.security.core.userdetails.UsernameNotFoundException;
import org.springframework.security.crypto.password.PasswordEncoder;
import org.springframework.stereotype.Service;

import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Clock;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.Optional;

/** Kiln's user accounts. Only password hashes are stored. */
@Service
public class UserAccounts implements UserDetailsService {

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
        if (rawPassword == null || rawPassword.length() < 8) {
            throw new IllegalArgumentException("Passwords need at least 8 characters.");
        }
        jdbc.sql("""
                insert into kiln_user (username, display_name, password_hash, is_admin, created_at)
                values (:username, :displayName, :hash, :admin, :now)""")
                .param("username", username)
                .param("displayName", displayName)
                .param("hash", passwords.encode(rawPassword))
                .param("admin", admin)
                .param("now", OffsetDateTime.ofInstant(clock.instant(), ZoneOffset.UTC))
                .update();
        return find(username).orElseThrow();
    }

    public long count() {
        return jdbc.sql("select count(*) from kiln_user").query(Long.class).single();
    }

    public Optional<KilnPrincipal> find(String username) {
        return jdbc.sql("select * from kiln_user where username = :username")
                .param("username", username)
                .query(UserAccounts::principal)
                .optional();
    }

    @Override
    public KilnPrincipal loadUserByUsername(String username) {
        return find(username).orElseThrow(() -> new UsernameNotFoundException("No such user"));
    }

    private static KilnPrincipal principal(ResultSet rs, int row) throws SQLException {
        return new KilnPrincipal(rs.getLong("id"), rs.getString("username"), rs.getString("password_hash"),
                rs.getString("display_name"), rs.getString("email"), rs.getBoolean("is_admin"));
    }
}
