package dev.kiln.ui.testing;

import dev.kiln.api.security.UserDirectory;

import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Accounts in memory, refusing what UserAccounts refuses (a taken name, a short password) on the field it is about. */
public final class FakeUsers implements UserDirectory {
    private final Instant now;
    private final Map<String, UserSummary> users = new LinkedHashMap<>();
    public final Map<String, List<String>> studios = new LinkedHashMap<>();
    public final List<String> passwordResets = new ArrayList<>();

    public FakeUsers(Instant now) {
        this.now = now;
        users.put("ada", new UserSummary("ada", "Ada Lovelace", true, false, now));
    }

    public UserSummary get(String username) {
        return users.get(username);
    }

    @Override
    public List<UserSummary> users() {
        return List.copyOf(users.values());
    }

    @Override
    public UserSummary create(String username, String displayName, String password, boolean admin) {
        if (username.isBlank()) {
            throw new FieldRefusal(FieldRefusal.Field.USERNAME, "Give a user name.");
        }
        if (users.containsKey(username)) {
            throw new FieldRefusal(FieldRefusal.Field.USERNAME, "The user name " + username + " is taken.");
        }
        if (password.length() < 8) {
            throw new FieldRefusal(FieldRefusal.Field.PASSWORD, "The password needs at least 8 characters.");
        }
        var user = new UserSummary(username, displayName, admin, false, now);
        users.put(username, user);
        return user;
    }

    @Override
    public void resetPassword(String username, String newPassword) {
        if (newPassword.length() < 8) {
            throw new FieldRefusal(FieldRefusal.Field.PASSWORD, "The password needs at least 8 characters.");
        }
        passwordResets.add(username);
    }

    @Override
    public void setDisabled(String username, boolean disabled) {
        var u = users.get(username);
        users.put(username, new UserSummary(u.username(), u.displayName(), u.admin(), disabled, u.createdAt()));
    }

    @Override
    public List<String> studiosOwnedBy(String username) {
        return studios.getOrDefault(username, List.of());
    }

    @Override
    public void delete(String username) {
        users.remove(username);
    }
}
