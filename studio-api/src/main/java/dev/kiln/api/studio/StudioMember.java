package dev.kiln.api.studio;

/**
 * Someone in a studio: its owner, or a person who joined through a link that still works, with what they may do
 * ({@code role}: a {@link StudioRole#id()}).
 */
public record StudioMember(String name, String role) {
    /** "owner", "editor" or "viewer" in words. */
    public String roleLabel() {
        return StudioRole.of(role).label();
    }
}
