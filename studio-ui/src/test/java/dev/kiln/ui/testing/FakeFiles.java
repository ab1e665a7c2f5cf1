package dev.kiln.ui.testing;

import dev.kiln.api.files.FileEntry;
import dev.kiln.api.files.FileNotice;
import dev.kiln.api.files.FilePreview;
import dev.kiln.api.files.StudioFiles;
import dev.kiln.api.studio.StudioException;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

/** The file tree's view of a {@link FakeWorkspace}: its files under "workspace/", and a home only while "online". */
public final class FakeFiles implements StudioFiles {
    private final FakeWorkspace workspace;
    private final Instant now;
    public boolean machineOnline;
    public final List<FileNotice> notices = new ArrayList<>();
    /** What the viewer gets for a home-relative path, where a test wants more than the file's text. */
    public final java.util.Map<String, FilePreview> previews = new java.util.HashMap<>();
    private long revision;

    public FakeFiles(FakeWorkspace workspace, Instant now) {
        this.workspace = workspace;
        this.now = now;
    }

    @Override
    public Listing workspace(String studioId) {
        var entries = workspace.tree(studioId).stream()
                .map(e -> new FileEntry(FileEntry.inWorkspace(e.path()), e.directory(), e.size(), now, FileEntry.Where.VERSIONED))
                .toList();
        return new Listing(machineOnline, entries, false, null);
    }

    @Override
    public Listing home(String studioId, String path) {
        return new Listing(machineOnline, List.of(), false, machineOnline ? null : "The machine is stopped.");
    }

    @Override
    public FilePreview preview(String studioId, String path) {
        if (previews.containsKey(path)) {
            return previews.get(path);
        }
        var content = workspace.read(studioId, new FileEntry(path, false, 0, null, FileEntry.Where.VERSIONED).workspacePath());
        return new FilePreview(path, content.binary() ? "binary" : "text", content.size(), now, FileEntry.Where.VERSIONED,
                content.text(), null, null, null, false, null);
    }

    @Override
    public void createFolder(String studioId, String path) {
        revision++;
    }

    @Override
    public void createFile(String studioId, String path) {
        workspace.createFile(studioId, workspacePath(path));
        revision++;
    }

    @Override
    public void write(String studioId, String path, String text, Instant loadedModified) {
        throw new StudioException(StudioException.Kind.INVALID, "Versioned files are edited live.");
    }

    @Override
    public void rename(String studioId, String from, String to) {
        workspace.rename(studioId, workspacePath(from), workspacePath(to));
        revision++;
    }

    @Override
    public void delete(String studioId, String path) {
        workspace.delete(studioId, workspacePath(path));
        revision++;
    }

    private static String workspacePath(String homePath) {
        if (!homePath.startsWith(FileEntry.WORKSPACE + "/")) {
            throw new StudioException(StudioException.Kind.INVALID, "Only the workspace is faked.");
        }
        return homePath.substring(FileEntry.WORKSPACE.length() + 1);
    }

    /** Something changed on the machine: the revision moves, so the tree reloads on its next poll. */
    public void changed() {
        revision++;
    }

    @Override
    public long revision(String studioId) {
        return revision;
    }

    @Override
    public List<FileNotice> notices(String studioId) {
        return List.copyOf(notices);
    }

    @Override
    public long maxUploadBytes() {
        return 1 << 20;
    }

    @Override
    public long maxFileBytes() {
        return 1 << 20;
    }
}
