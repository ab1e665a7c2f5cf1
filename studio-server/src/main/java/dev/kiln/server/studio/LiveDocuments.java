package dev.kiln.server.studio;

import org.eclipse.jgit.lib.PersonIdent;

import java.util.Optional;

/**
 * Files being edited together right now. While a file is live, its text lives in the collaboration authority, so
 * saves, restores, renames and deletes of it go through here instead of straight to the workspace.
 */
public interface LiveDocuments {

    /**
     * If {@code path} is live: checks {@code baseVersion} against the live text (null: no check, for a restore),
     * applies {@code text} as one edit by {@code editor}, commits it, and returns the new version. Empty if the file
     * is not live.
     */
    Optional<String> replaceIfLive(String studioId, String path, String text, String baseVersion, PersonIdent editor);

    /** Commits the live text of {@code path} now, if it is live. */
    void commitNow(String studioId, String path);

    /** Writes back and closes every live document at or under {@code path} (it is about to move or go away). */
    void closeUnder(String studioId, String path, String why);

    /**
     * If {@code path} is live: merges a change made outside the editors (on the studio's machine) into the live text
     * as one edit by {@code author}: what changed from {@code base} to {@code text} is applied over whatever the
     * editors typed meanwhile ({@code base} null: unknown, then {@code text} replaces the live text). Commits it,
     * and returns the new version. Empty if the file is not live.
     */
    Optional<String> mergeIfLive(String studioId, String path, String base, String text, PersonIdent author);

    /** The version (git blob id) of the live text of {@code path}, if it is live. */
    Optional<String> liveVersion(String studioId, String path);
}
