package dev.kiln.ui.security;

/** Who is signed in, as the views need it. */
public interface CurrentUser {

    String displayName();

    /** Administrators manage accounts (the Users page). */
    boolean isAdmin();

    void logout();
}
