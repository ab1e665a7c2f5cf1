package dev.kiln.api.security;

/** Who is signed in, as the views need it. */
public interface CurrentUser {

    String displayName();

    /** The name they sign in with. */
    String username();

    /** Administrators manage accounts (the Users page). */
    boolean isAdmin();

    /**
     * Changes the signed-in user's password; their other sessions end, this one stays.
     *
     * @throws IllegalArgumentException with a message to show: the current password is wrong (or was guessed at too
     *                                  often), or the new one is too short
     */
    void changePassword(String currentPassword, String newPassword);

    void logout();
}
