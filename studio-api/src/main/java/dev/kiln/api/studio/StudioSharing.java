package dev.kiln.api.studio;

import java.time.Duration;
import java.util.List;

/** Share links: only a studio's owner manages them; anyone signed in may join through one. */
public interface StudioSharing {

    /** @param role "viewer" or "editor"; @param validFor null for a link that does not expire */
    ShareLink createLink(String studioId, String role, Duration validFor);

    List<ShareLink> links(String studioId);

    /** The people in the studio: its owner first, then whoever joined through a link that still works. */
    default List<StudioMember> members(String studioId) {
        return List.of();
    }

    /** Revokes at once: people who joined through it lose access, open editors included. */
    void revoke(String studioId, String token);

    /**
     * What the link offers the signed-in user, changing nothing (its confirmation page).
     *
     * @throws StudioException NOT_FOUND for a link that does not exist, was revoked or expired, saying which
     */
    ShareInvitation invitation(String token);

    /**
     * Makes the signed-in user a member through the link, unless they already have its role or a higher one (a
     * link never lowers a role), and returns the studio with the role they now have.
     */
    StudioSummary join(String token);
}
