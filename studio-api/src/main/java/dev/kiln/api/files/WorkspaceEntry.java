package dev.kiln.api.files;

/**
 * A file or folder in a studio's workspace. {@code path} is relative to the workspace root and uses '/'.
 */
public record WorkspaceEntry(String path, boolean directory, long size) {

    public String name() {
        int slash = path.lastIndexOf('/');
        return slash < 0 ? path : path.substring(slash + 1);
    }

    /** The parent folder's path, or "" for top-level entries. */
    public String parentPath() {
        int slash = path.lastIndexOf('/');
        return slash < 0 ? "" : path.substring(0, slash);
    }
}
