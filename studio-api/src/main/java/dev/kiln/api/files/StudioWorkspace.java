package dev.kiln.api.files;

import java.util.List;

/**
 * Files of one studio's workspace (a git repository). Every change is a commit by the signed-in user.
 * Paths are relative, '/'-separated; anything that could leave the workspace is refused with INVALID.
 */
public interface StudioWorkspace {

    /** All files and folders, parents before children, sorted by path. */
    List<WorkspaceEntry> tree(String studioId);

    FileContent read(String studioId, String path);

    /**
     * Saves text and commits it. {@code baseVersion} is the {@link FileContent#version()} the editor loaded
     * ("" for a file that did not exist); if the file changed since, this throws CONFLICT and writes nothing.
     */
    FileContent save(String studioId, String path, String text, String baseVersion);

    void createFile(String studioId, String path);

    void createFolder(String studioId, String path);

    void rename(String studioId, String fromPath, String toPath);

    void delete(String studioId, String path);

    /** Commits that touched the file, newest first. */
    List<FileRevision> history(String studioId, String path);

    /** The file as it was in a commit. */
    FileContent readAt(String studioId, String path, String commitId);

    /** Makes the file's text what it was in {@code commitId}, as a new change (live editors see it at once). */
    void restore(String studioId, String path, String commitId);

    /** Commits the live text of a file now instead of in a moment ("Commit now", Ctrl+S). */
    void commitNow(String studioId, String path);

    /** The largest file the editor opens or saves, in bytes. */
    long maxFileBytes();
}
