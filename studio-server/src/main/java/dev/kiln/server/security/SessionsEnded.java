package dev.kiln.server.security;

/**
 * Published when every session of a user has just been ended (an administrator disabled or deleted the account,
 * or reset its password): their HTTP sessions are already invalidated, and whoever holds one of the user's open
 * sockets ({@code /collab}, {@code /terminal}) closes it now, telling them {@code message}. The user-level
 * counterpart of {@code AccessRevoked}, which does the same for one studio.
 */
public record SessionsEnded(long userId, String message) {
}
