package dev.kiln.server.files;

import dev.kiln.machine.files.Archives;
import dev.kiln.machine.files.FileRefusal;
import dev.kiln.machine.files.HomePaths;
import dev.kiln.machine.protocol.FromMachine;
import dev.kiln.machine.protocol.ToMachine;
import dev.kiln.server.security.Users;
import dev.kiln.server.studio.LiveDocuments;
import dev.kiln.server.studio.StudioAccess;
import dev.kiln.server.studio.StudioAccess.Need;
import dev.kiln.server.studio.StudioActivity;
import dev.kiln.server.studio.Workspaces;
import dev.kiln.server.workspace.Workspace;
import dev.kiln.api.files.FileEntry;
import dev.kiln.api.files.FileEntry.Where;
import dev.kiln.api.files.FilePreview;
import dev.kiln.api.files.StudioFiles;
import dev.kiln.api.studio.StudioException;
import dev.kiln.api.files.StudioWorkspace;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.stereotype.Service;
import org.springframework.util.unit.DataSize;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashSet;
import java.util.List;

/**
 * The studio's files as one tree, for the views and the REST API: the versioned workspace from the server's
 * repository (there whether a machine runs or not), the workspace's machine-only files and the rest of the home
 * from the machine's agent. Changes to versioned files go through the workspace (a commit by the user; the machine
 * follows with its next sync); everything else is done on the machine, whose watcher reports back what changed in
 * the workspace. Every call checks the caller's role first: viewers list, preview and download; editors change.
 */
@Service
public class StudioFilesService implements StudioFiles {
    /** Workspace entries the machine lists at most (beyond them the tree says there are more). */
    static final int MAX_MACHINE_ENTRIES = 5000;

    private final StudioAccess access;
    private final Workspaces workspaces;
    private final StudioWorkspace studioWorkspace;
    private final LiveDocuments live;
    private final MachineRequests requests;
    private final MachineTransfers transfers;
    private final FileRevisions revisions;
    private final StudioActivity activity;
    private final long maxUploadBytes;

    StudioFilesService(StudioAccess access, Workspaces workspaces, StudioWorkspace studioWorkspace, LiveDocuments live,
                       MachineRequests requests, MachineTransfers transfers, FileRevisions revisions,
                       StudioActivity activity, @Value("${kiln.files.max-upload-size:50GB}") DataSize maxUpload) {
        this.access = access;
        this.workspaces = workspaces;
        this.studioWorkspace = studioWorkspace;
        this.live = live;
        this.requests = requests;
        this.transfers = transfers;
        this.revisions = revisions;
        this.activity = activity;
        this.maxUploadBytes = maxUpload.toBytes();
    }

    @Override
    public Listing workspace(String studioId) {
        access.require(studioId, Need.VIEW);
        Workspace workspace = workspaces.get(studioId);
        var entries = new ArrayList<FileEntry>();
        var versioned = new HashSet<String>();
        for (var entry : workspace.tree()) {
            String path = FileEntry.inWorkspace(entry.path());
            versioned.add(path);
            entries.add(new FileEntry(path, entry.directory(), entry.size(),
                    modified(workspace.root().resolve(entry.path())), Where.VERSIONED));
        }
        boolean online = requests.online(studioId);
        boolean truncated = false;
        String note = null;
        if (online) {
            try {
                var listing = requests.list(studioId, HomePaths.WORKSPACE, true, MAX_MACHINE_ENTRIES);
                truncated = listing.truncated();
                for (var entry : listing.entries()) {
                    if (!versioned.contains(entry.path())) {
                        entries.add(entry(entry, Where.MACHINE_ONLY));
                    }
                }
            } catch (StudioException e) {
                note = e.getMessage();
            }
        }
        return new Listing(online, entries, truncated, truncated ? "There are more files on the machine than the "
                + "tree lists; the terminal shows them all." : note);
    }

    @Override
    public Listing home(String studioId, String path) {
        access.require(studioId, Need.VIEW);
        String checked = check(path);
        if (!requests.online(studioId)) {
            return new Listing(false, List.of(), false, "The machine is stopped. Start it to see its home: data, job "
                    + "outputs and checkpoints. The workspace stays available.");
        }
        var listing = requests.list(studioId, checked, false, 2000);
        var entries = new ArrayList<FileEntry>();
        Workspace workspace = workspaces.get(studioId);
        for (var entry : listing.entries()) {
            if (checked.isEmpty() && entry.path().equals(HomePaths.WORKSPACE)) {
                continue; // shown as the tree's own part
            }
            Where where = !HomePaths.inWorkspace(entry.path()) ? Where.HOME
                    : versioned(workspace, HomePaths.workspaceRelative(entry.path())) ? Where.VERSIONED : Where.MACHINE_ONLY;
            entries.add(entry(entry, where));
        }
        return new Listing(true, entries, listing.truncated(), listing.truncated()
                ? "More than " + entries.size() + " entries: the terminal shows them all." : null);
    }

    @Override
    public FilePreview preview(String studioId, String path) {
        access.require(studioId, Need.VIEW);
        String checked = check(path);
        String imageUrl = "/api/studios/" + studioId + "/fs/raw?path=" + URLEncoder.encode(checked, StandardCharsets.UTF_8);
        Workspace workspace = workspaces.get(studioId);
        if (HomePaths.inWorkspace(checked) && versionedFile(workspace, HomePaths.workspaceRelative(checked))) {
            String inside = HomePaths.workspaceRelative(checked);
            return FilePreviews.of(checked, Where.VERSIONED, ByteSource.of(workspace.bytes(inside),
                    modified(workspace.root().resolve(inside))), imageUrl);
        }
        requireOnline(studioId);
        return FilePreviews.of(checked, HomePaths.inWorkspace(checked) ? Where.MACHINE_ONLY : Where.HOME,
                machineFile(studioId, checked), imageUrl);
    }

    /** A machine's file read through its agent, a range at a time (its size and time from a first, empty read). */
    private ByteSource machineFile(String studioId, String path) {
        FromMachine.FsData stat = requests.read(studioId, path, 0, 0);
        return new ByteSource() {
            @Override
            public long size() {
                return stat.size();
            }

            @Override
            public Instant modified() {
                return Instant.ofEpochMilli(stat.modified());
            }

            @Override
            public byte[] read(long offset, int length) {
                var out = new java.io.ByteArrayOutputStream(Math.max(0, length));
                while (out.size() < length) {
                    var data = requests.read(studioId, path, offset + out.size(), Math.min(512 * 1024, length - out.size()));
                    byte[] bytes = Base64.getDecoder().decode(data.data());
                    if (bytes.length == 0) {
                        break;
                    }
                    out.write(bytes, 0, bytes.length);
                }
                return out.toByteArray();
            }
        };
    }

    @Override
    public void createFolder(String studioId, String path) {
        access.require(studioId, Need.EDIT);
        String checked = checkChangeable(path);
        if (HomePaths.inWorkspace(checked)) {
            studioWorkspace.createFolder(studioId, HomePaths.workspaceRelative(checked));
            if (requests.online(studioId)) {
                // Empty folders do not travel through git: make it on the machine too, for uploads into it.
                try {
                    requests.change(studioId, id -> new ToMachine.FsMkdir(id, checked));
                } catch (StudioException alreadyThere) {
                    // fine
                }
            }
        } else {
            requireOnline(studioId);
            requests.change(studioId, id -> new ToMachine.FsMkdir(id, checked));
        }
        changed(studioId);
    }

    @Override
    public void createFile(String studioId, String path) {
        access.require(studioId, Need.EDIT);
        String checked = checkChangeable(path);
        if (HomePaths.inWorkspace(checked)) {
            studioWorkspace.createFile(studioId, HomePaths.workspaceRelative(checked));
        } else {
            requireOnline(studioId);
            transfers.upload(studioId, checked, InputStream.nullInputStream(), 0, false);
        }
        changed(studioId);
    }

    @Override
    public void write(String studioId, String path, String text, Instant loadedModified) {
        access.require(studioId, Need.EDIT);
        String checked = checkChangeable(path);
        Workspace workspace = workspaces.get(studioId);
        if (HomePaths.inWorkspace(checked) && versioned(workspace, HomePaths.workspaceRelative(checked))) {
            throw new StudioException(StudioException.Kind.INVALID, checked + " is versioned: edit it in the editor, "
                    + "where everyone sees the change.");
        }
        requireOnline(studioId);
        byte[] bytes = (text == null ? "" : text).getBytes(StandardCharsets.UTF_8);
        if (bytes.length > workspaces.maxFileBytes()) {
            throw new StudioException(StudioException.Kind.TOO_LARGE, "Not saved: the text is "
                    + FilePreviews.human(bytes.length) + ", over the editor's limit of "
                    + FilePreviews.human(workspaces.maxFileBytes()) + ".");
        }
        var now = requests.read(studioId, checked, 0, 0);
        if (loadedModified != null && now.modified() != loadedModified.toEpochMilli()) {
            throw new StudioException(StudioException.Kind.CONFLICT, "~/" + checked + " changed on the machine since "
                    + "you opened it. Open it again to see that version; your text is still in the editor.");
        }
        activity.touch(studioId);
        transfers.upload(studioId, checked, new ByteArrayInputStream(bytes), bytes.length, true);
        changed(studioId);
    }

    @Override
    public void rename(String studioId, String from, String to) {
        access.require(studioId, Need.EDIT);
        String source = checkChangeable(from);
        String target = checkChangeable(to);
        Workspace workspace = workspaces.get(studioId);
        if (HomePaths.inWorkspace(source) && HomePaths.inWorkspace(target)
                && versioned(workspace, HomePaths.workspaceRelative(source))) {
            studioWorkspace.rename(studioId, HomePaths.workspaceRelative(source), HomePaths.workspaceRelative(target));
        } else {
            requireOnline(studioId);
            requests.change(studioId, id -> new ToMachine.FsRename(id, source, target));
        }
        changed(studioId);
    }

    @Override
    public void delete(String studioId, String path) {
        access.require(studioId, Need.EDIT);
        String checked = checkChangeable(path);
        Workspace workspace = workspaces.get(studioId);
        if (HomePaths.inWorkspace(checked) && versioned(workspace, HomePaths.workspaceRelative(checked))) {
            boolean folder = Files.isDirectory(workspace.file(HomePaths.workspaceRelative(checked)));
            studioWorkspace.delete(studioId, HomePaths.workspaceRelative(checked));
            if (folder && requests.online(studioId)) {
                // Its machine-only files (ignored, large) go too, as the person deleting the folder sees them.
                try {
                    requests.change(studioId, id -> new ToMachine.FsDelete(id, checked));
                } catch (StudioException gone) {
                    // the sync removed it already
                }
            }
        } else {
            requireOnline(studioId);
            requests.change(studioId, id -> new ToMachine.FsDelete(id, checked));
        }
        changed(studioId);
    }

    @Override
    public long revision(String studioId) {
        return revisions.of(studioId);
    }

    @Override
    public List<dev.kiln.api.files.FileNotice> notices(String studioId) {
        return revisions.notices(studioId);
    }

    @Override
    public long maxUploadBytes() {
        return maxUploadBytes;
    }

    @Override
    public long maxFileBytes() {
        return workspaces.maxFileBytes();
    }

    // ---- uploads and downloads (the REST API streams them)

    /**
     * Puts an upload of {@code size} bytes at {@code path}. Into the workspace, a file the workspace can version
     * (not over its size limit, not ignored by git) is committed by the uploader, machine or not; anything else goes
     * to the machine, streamed, and stays there.
     */
    public FileEntry upload(String studioId, String path, InputStream body, long size, boolean overwrite) {
        access.require(studioId, Need.EDIT);
        String checked = checkChangeable(path);
        if (size > maxUploadBytes) {
            throw new StudioException(StudioException.Kind.TOO_LARGE, "This file is " + FilePreviews.human(size)
                    + ", over the upload limit of " + FilePreviews.human(maxUploadBytes) + " (kiln.files.max-upload-size).");
        }
        activity.touch(studioId);
        Workspace workspace = workspaces.get(studioId);
        if (HomePaths.inWorkspace(checked)) {
            String inside = HomePaths.workspaceRelative(checked);
            boolean versionable = size <= workspaces.maxFileBytes() && !workspace.isIgnored(inside);
            if (versionable) {
                return uploadToWorkspace(studioId, workspace, checked, inside, body, size, overwrite);
            }
            if (!requests.online(studioId)) {
                throw new StudioException(StudioException.Kind.CONFLICT, "This file " + (size > workspaces.maxFileBytes()
                        ? "is over the workspace's limit of " + FilePreviews.human(workspaces.maxFileBytes())
                        : "is ignored by git") + ", so it is kept on the machine only: start the machine to upload it.");
            }
        } else {
            requireOnline(studioId);
        }
        long bytes = transfers.upload(studioId, checked, body, size, overwrite);
        changed(studioId);
        return new FileEntry(checked, false, bytes, Instant.now(),
                HomePaths.inWorkspace(checked) ? Where.MACHINE_ONLY : Where.HOME);
    }

    private FileEntry uploadToWorkspace(String studioId, Workspace workspace, String checked, String inside,
                                        InputStream body, long size, boolean overwrite) {
        if (!overwrite && Files.exists(workspace.file(inside))) {
            throw new StudioException(StudioException.Kind.CONFLICT, checked + " already exists.");
        }
        byte[] bytes;
        try {
            bytes = body.readNBytes((int) size);
        } catch (IOException e) {
            throw new StudioException(StudioException.Kind.INVALID, "The upload was interrupted; nothing was kept.");
        }
        if (bytes.length < size) {
            throw new StudioException(StudioException.Kind.INVALID, "The upload was cut off after " + bytes.length
                    + " of " + size + " bytes; nothing was kept.");
        }
        var who = Users.current().asAuthor();
        String text = Workspace.text(bytes);
        if (text == null || live.replaceIfLive(studioId, inside, text, null, who).isEmpty()) {
            workspace.writeAndCommit(List.of(new Workspace.FileWrite(inside, bytes)), who, "Upload " + inside);
        }
        changed(studioId);
        return new FileEntry(checked, false, size, Instant.now(), Where.VERSIONED);
    }

    /** What a download sends: its name, type and size (-1: unknown), and then its bytes. */
    public interface DownloadTarget {
        OutputStream start(String fileName, String contentType, long size) throws IOException;
    }

    /**
     * Streams a file as it is, or a folder as {@code format} (zip or tar.gz). From the machine while it runs (so a
     * download has what is on the machine, the machine-only files too); from the workspace when it is stopped.
     */
    public void download(String studioId, String path, String format, boolean inline, DownloadTarget target)
            throws IOException {
        access.require(studioId, Need.VIEW);
        String checked = check(path);
        String name = checked.isEmpty() ? "home" : checked.substring(checked.lastIndexOf('/') + 1);
        String extension = name.contains(".") ? name.substring(name.lastIndexOf('.') + 1).toLowerCase() : "";
        if (inline && !FilePreviews.IMAGE_TYPES.containsKey(extension)) {
            throw new StudioException(StudioException.Kind.INVALID, "Only images are shown in the page; download "
                    + "other files.");
        }
        String fileType = inline ? FilePreviews.IMAGE_TYPES.get(extension) : "application/octet-stream";
        String wanted = format == null || format.isBlank() ? "file" : format;
        if (!wanted.equals("file")) {
            Archives.Format.of(wanted); // refuse an unknown format before anything starts
        }
        activity.touch(studioId);
        if (requests.online(studioId)) {
            transfers.download(studioId, checked, inline ? "file" : wanted, (size, archive) -> archive == null
                    ? target.start(name, fileType, size)
                    : target.start(name + "." + archive, Archives.Format.of(archive).contentType(), -1));
            return;
        }
        if (!HomePaths.inWorkspace(checked)) {
            requireOnline(studioId);
        }
        Workspace workspace = workspaces.get(studioId);
        String inside = HomePaths.workspaceRelative(checked);
        Path file = inside.isEmpty() ? workspace.root() : workspace.file(inside);
        if (!Files.exists(file)) {
            throw new StudioException(StudioException.Kind.NOT_FOUND, "Not found: " + checked);
        }
        if (Files.isRegularFile(file) && wanted.equals("file")) {
            byte[] bytes = workspace.bytes(inside);
            try (var in = new ByteArrayInputStream(bytes)) {
                in.transferTo(target.start(name, fileType, bytes.length));
            }
            return;
        }
        var archive = Archives.Format.of(wanted.equals("file") ? "zip" : wanted);
        var out = target.start(name + "." + archive.extension(), archive.contentType(), -1);
        Path git = workspace.root().resolve(".git");
        Archives.write(file, inside.isEmpty() ? HomePaths.WORKSPACE : name, archive, out, p -> p.equals(git));
    }

    // ---- helpers

    private void changed(String studioId) {
        revisions.changed(studioId);
    }

    private void requireOnline(String studioId) {
        if (!requests.online(studioId)) {
            throw MachineRequests.offline();
        }
    }

    private static String check(String path) {
        try {
            return HomePaths.check(path);
        } catch (FileRefusal e) {
            throw MachineRequests.refusal(e.kind(), e.getMessage());
        }
    }

    /** A path that names something that may be changed: not the home, not the workspace itself. */
    private static String checkChangeable(String path) {
        String checked = check(path);
        if (checked.isEmpty() || checked.equals(HomePaths.WORKSPACE)) {
            throw new StudioException(StudioException.Kind.INVALID, checked.isEmpty() ? "Give a file or folder in the "
                    + "machine's home." : "The workspace itself can't be changed: pick a file or folder in it.");
        }
        return checked;
    }

    private static boolean versioned(Workspace workspace, String inside) {
        try {
            return Files.exists(workspace.file(inside));
        } catch (StudioException e) {
            return false;
        }
    }

    private static boolean versionedFile(Workspace workspace, String inside) {
        try {
            return Files.isRegularFile(workspace.file(inside));
        } catch (StudioException e) {
            return false;
        }
    }

    private static FileEntry entry(FromMachine.FsEntry entry, Where where) {
        return new FileEntry(entry.path(), entry.dir(), entry.size(), Instant.ofEpochMilli(entry.modified()), where);
    }

    private static Instant modified(Path file) {
        try {
            return Files.getLastModifiedTime(file).toInstant();
        } catch (IOException e) {
            return null;
        } catch (UncheckedIOException e) {
            return null;
        }
    }
}
