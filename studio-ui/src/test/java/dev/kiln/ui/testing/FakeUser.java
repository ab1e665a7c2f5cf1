package dev.kiln.ui.testing;

import dev.kiln.api.security.CurrentUser;

/** The signed-in user of a view test: a name, whether they are an administrator, and a password they can change. */
public final class FakeUser implements CurrentUser {
    public String username = "ada";
    public String displayName = "Ada Lovelace";
    public boolean admin;
    public String password = "correct horse";
    public int logouts;

    @Override
    public String displayName() {
        return displayName;
    }

    @Override
    public String username() {
        return username;
    }

    @Override
    public boolean isAdmin() {
        return admin;
    }

    @Override
    public void changePassword(String currentPassword, String newPassword) {
        if (!password.equals(currentPassword)) {
            throw new IllegalArgumentException("The current password is wrong.");
        }
        if (newPassword.length() < 8) {
            throw new IllegalArgumentException("The new password needs at least 8 characters.");
        }
        password = newPassword;
    }

    @Override
    public void logout() {
        logouts++;
    }
}
