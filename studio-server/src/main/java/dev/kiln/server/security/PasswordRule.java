package dev.kiln.server.security;

import java.nio.charset.StandardCharsets;

/**
 * What a new password must be, wherever one is set (the first admin, an account an admin adds, a reset, a change):
 * at least 8 characters, and at most 72 bytes, because bcrypt reads no further and Spring's encoder refuses more.
 */
final class PasswordRule {

    static final int MIN_CHARACTERS = 8;
    static final int MAX_BYTES = 72;

    private PasswordRule() {
    }

    /** Throws {@link IllegalArgumentException} with a message for the person choosing it. */
    static String check(String password) {
        if (password == null || password.codePointCount(0, password.length()) < MIN_CHARACTERS) {
            throw new IllegalArgumentException("Passwords need at least " + MIN_CHARACTERS + " characters.");
        }
        if (password.getBytes(StandardCharsets.UTF_8).length > MAX_BYTES) {
            throw new IllegalArgumentException("Passwords can be at most " + MAX_BYTES + " bytes long (72 letters "
                    + "without accents; fewer with accents or emoji).");
        }
        return password;
    }
}
