package dev.kiln.api.studio;

import java.time.Instant;

/**
 * What a share link offers the signed-in user, shown on its confirmation page before anything changes: which
 * studio, who shared it, the link's role, and the role the user already has there (null if none).
 *
 * @param expiresAt null for a link that does not expire
 */
public record ShareInvitation(String studioId, String studioName, String sharedBy, String linkRole, Instant expiresAt,
                              String currentRole) {

    /** What joining through the link would do. A link never lowers a role. */
    public enum Effect {
        /** Not in the studio yet: joining gives the link's role. */
        JOIN,
        /** A viewer opening an editor link: joining makes them an editor. */
        UPGRADE,
        /** Already has this role: nothing to change. */
        SAME,
        /** An editor opening a viewer link: they stay an editor; joining would change nothing. */
        KEEPS_HIGHER,
        /** The owner opened their own link. */
        OWNER
    }

    public Effect effect() {
        if (currentRole == null) {
            return Effect.JOIN;
        }
        StudioRole now = StudioRole.of(currentRole);
        if (now == StudioRole.OWNER) {
            return Effect.OWNER;
        }
        int order = now.compareTo(StudioRole.of(linkRole));
        return order < 0 ? Effect.UPGRADE : order == 0 ? Effect.SAME : Effect.KEEPS_HIGHER;
    }

    /** Joining changes the membership only when it gives a role the user does not have yet. */
    public boolean joinChangesSomething() {
        return effect() == Effect.JOIN || effect() == Effect.UPGRADE;
    }
}
