package dev.kiln.server;

import dev.kiln.server.security.KilnPrincipal;
import dev.kiln.server.security.UserAccounts;
import org.springframework.security.authentication.UsernamePasswordAuthenticationToken;
import org.springframework.security.core.context.SecurityContextHolder;
import org.springframework.test.context.DynamicPropertyRegistry;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.UUID;

/** Shared helpers for tests that start the Spring context: a throwaway data directory and users. */
public final class ServerTestSupport {

    private ServerTestSupport() {
    }

    /** Points Kiln at a fresh data directory (the embedded SQLite database inside it) for this test context. */
    public static void freshDataDirectory(DynamicPropertyRegistry registry) {
        try {
            var dir = Files.createTempDirectory("kiln-test-");
            registry.add("kiln.data-dir", dir::toString);
            registry.add("kiln.admin-password", () -> "admin-password-for-tests");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public static KilnPrincipal newUser(UserAccounts accounts, String displayName) {
        var username = displayName.toLowerCase().replaceAll("[^a-z]", "") + "-" + UUID.randomUUID().toString().substring(0, 8);
        return accounts.create(username, "password-" + username, displayName, false);
    }

    /** Runs service calls as {@code user}, the way a request or a Vaadin UI would. */
    public static void signIn(KilnPrincipal user) {
        SecurityContextHolder.getContext().setAuthentication(
                UsernamePasswordAuthenticationToken.authenticated(user, null, user.getAuthorities()));
    }

    public static void signOut() {
        SecurityContextHolder.clearContext();
    }

    public static Path workspaceOf(Path dataDir, String studioId) {
        return dataDir.resolve("workspaces").resolve(studioId);
    }
}
