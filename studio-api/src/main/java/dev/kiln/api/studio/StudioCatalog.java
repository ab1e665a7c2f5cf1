package dev.kiln.api.studio;

import java.util.List;

/** The signed-in user's studios. Every method acts as the signed-in user; another user's studio is NOT_FOUND. */
public interface StudioCatalog {

    List<StudioSummary> myStudios();

    /** Creates a studio whose workspace starts from Kiln's template (a README and a training example). */
    StudioSummary create(String name);

    StudioSummary rename(String studioId, String newName);

    /** Deletes the studio; its workspace is moved to the data directory's trash, not erased. */
    void delete(String studioId);

    StudioSummary open(String studioId);
}
