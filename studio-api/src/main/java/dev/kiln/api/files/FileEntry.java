package dev.kiln.api.files;

import java.time.Instant;

/**
 * A file or folder of the studio as the file tree shows it. {@code path} is relative to the machine's home and
 * '/'-separated: {@code workspace/README.md} in the workspace, {@code data/sums.csv} elsewhere in the home.
 *
 * @param modified when it last changed (null when unknown)
 * @param where    versioned in the workspace, in the workspace but on the machine only (ignored by git or over the
 *                 workspace's size limit), or elsewhere in the machine's home
 */
public record FileEntry(String path, boolean directory, long size, Instant modified, Where where) {

    /** Which part of the studio's files an entry belongs to. */
    public enum Where {
        /** In the workspace and in its git history: co-edited, kept whatever machine runs, or none. */
        VERSIONED,
        /** In {@code ~/workspace} on the machine, but not versioned: ignored by git, or too large for it. */
        MACHINE_ONLY,
        /** Elsewhere in the machine's home: data, job outputs and checkpoints, caches. */
        HOME
    }

    public static final String WORKSPACE = "workspace";

    public String name() {
        int slash = path.lastIndexOf('/');
        return slash < 0 ? path : path.substring(slash + 1);
    }

    /** The parent folder's home-relative path ("" for the home's top). */
    public String parentPath() {
        int slash = path.lastIndexOf('/');
        return slash < 0 ? "" : path.substring(0, slash);
    }

    public boolean inWorkspace() {
        return path.equals(WORKSPACE) || path.startsWith(WORKSPACE + "/");
    }

    /** The path inside the workspace ("README.md"), as the editor and the history name files; only for workspace entries. */
    public String workspacePath() {
        return path.equals(WORKSPACE) ? "" : path.substring(WORKSPACE.length() + 1);
    }

    /** The home-relative path of a workspace path ("README.md" is "workspace/README.md"). */
    public static String inWorkspace(String workspacePath) {
        return workspacePath.isEmpty() ? WORKSPACE : WORKSPACE + "/" + workspacePath;
    }
}
