package dev.kiln.api.studio;

/**
 * What someone may do in a studio: its owner, or someone who joined through a link as an editor or a viewer. The
 * {@link #id()} is what the database, the REST API and the records ({@link StudioSummary#role()}, {@link ShareLink#role()})
 * carry; the declaration order is the order of rights, lowest first.
 */
public enum StudioRole {
    /** May look: read the files, follow jobs and the machine. */
    VIEWER("viewer", "View only"),
    /** May also change files, run code and jobs. */
    EDITOR("editor", "Can edit"),
    /** May also share, rename or delete the studio and choose its machine. */
    OWNER("owner", "Owner");

    private final String id;
    private final String label;

    StudioRole(String id, String label) {
        this.id = id;
        this.label = label;
    }

    /** "owner", "editor" or "viewer". */
    public String id() {
        return id;
    }

    /** The role in words, as the list of people shows it. */
    public String label() {
        return label;
    }

    public boolean mayEdit() {
        return this != VIEWER;
    }

    /** @throws IllegalArgumentException for anything but "owner", "editor" and "viewer" */
    public static StudioRole of(String id) {
        for (StudioRole role : values()) {
            if (role.id.equals(id)) {
                return role;
            }
        }
        throw new IllegalArgumentException("No such role: " + id + " (owner, editor or viewer)");
    }
}
