package dev.kiln.server.security;

/** The signed-in user, for services in other packages. */
public final class Users {

    private Users() {
    }

    public static KilnPrincipal current() {
        return SpringCurrentUser.required();
    }
}
