package dev.kiln.server.security;

import java.util.List;

/**
 * What deleting an account needs from the studios it owns (StudioService implements it): the security package knows
 * accounts, the studio package knows studios and uses accounts, so the studios come in through this interface.
 */
public interface OwnedStudios {

    /** Names of the studios the account owns. */
    List<String> namesOwnedBy(long ownerId);

    /** Moves every studio the account owns to the trash; how many there were. */
    int deleteAllOwnedBy(long ownerId);
}
