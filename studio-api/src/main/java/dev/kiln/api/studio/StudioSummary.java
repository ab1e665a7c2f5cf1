package dev.kiln.api.studio;

import java.time.Instant;

/**
 * A studio as the signed-in user sees it.
 *
 * @param role the user's role in it, a {@link StudioRole#id()}: {@code owner}, or {@code editor} / {@code viewer}
 *             through a share link
 */
public record StudioSummary(String id, String name, String ownerName, Instant createdAt, Instant updatedAt, String role) {

    public boolean canEdit() {
        return StudioRole.of(role).mayEdit();
    }

    public boolean isOwner() {
        return StudioRole.of(role) == StudioRole.OWNER;
    }
}
