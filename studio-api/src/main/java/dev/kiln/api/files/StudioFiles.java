package dev.kiln.api.files;

import java.util.List;

/**
 * The studio's files as one tree: the versioned workspace (always there, machine or not) and the rest of the
 * machine's home (only while a machine runs). Paths are relative to the home ("workspace/README.md",
 * "data/sums.csv"); anything leaving the home, {@code ~/.kiln} and the workspace's {@code .git} are refused with
 * INVALID or FORBIDDEN. Viewers may list, preview and download; editors may also change. Uploads and downloads go
 * through the REST API (the browser streams them), not through this interface.
 */
public interface StudioFiles {

    /** Every versioned file and folder of the workspace, and, while the machine runs, the workspace's machine-only files. */
    Listing workspace(String studioId);

    /** One folder of the machine's home outside the workspace ("" for the home's top), or offline when no machine runs. */
    Listing home(String studioId, String path);

    /** What the viewer shows of a file: text, a table, an image, a checkpoint's tensors. */
    FilePreview preview(String studioId, String path);

    void createFolder(String studioId, String path);

    void createFile(String studioId, String path);

    /**
     * Writes the text of a file that is not versioned (the machine's home, or a workspace file git ignores), unless
     * it changed on the machine since {@code loadedModified} (then CONFLICT). Versioned files are edited live instead.
     */
    void write(String studioId, String path, String text, java.time.Instant loadedModified);

    /** Renames or moves a file or folder (within the workspace, within the home, or between them). */
    void rename(String studioId, String from, String to);

    /** Deletes a file or a folder with everything in it. */
    void delete(String studioId, String path);

    /** A number that changes whenever the studio's files may have changed (a commit, a machine's event): poll it. */
    long revision(String studioId);

    /** The studio's recent notices about its files (the last few, oldest first): conflicts kept as two files. */
    List<FileNotice> notices(String studioId);

    /** The largest upload the server takes, in bytes. */
    long maxUploadBytes();

    /** The workspace's size limit: larger files stay on the machine only. */
    long maxFileBytes();

    /**
     * Entries of a folder.
     *
     * @param machineOnline whether a machine runs (else the home part is offline)
     * @param truncated     whether there were more than could be listed
     * @param note          a sentence for the tree (why the machine part is missing, for example)
     */
    record Listing(boolean machineOnline, List<FileEntry> entries, boolean truncated, String note) {
        public Listing {
            entries = entries == null ? List.of() : List.copyOf(entries);
        }
    }
}
