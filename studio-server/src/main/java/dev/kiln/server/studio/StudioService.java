package dev.kiln.server.studio;

import dev.kiln.server.studio.StudioAccess.Need;
import dev.kiln.server.security.OwnedStudios;
import dev.kiln.server.security.Users;
import dev.kiln.server.workspace.Workspace;
import dev.kiln.server.workspace.WorkspacePaths;
import dev.kiln.api.files.FileContent;
import dev.kiln.api.files.FileRevision;
import dev.kiln.api.studio.StudioCatalog;
import dev.kiln.api.studio.StudioException;
import dev.kiln.api.studio.StudioSummary;
import dev.kiln.api.files.StudioWorkspace;
import dev.kiln.api.files.WorkspaceEntry;
import org.springframework.stereotype.Service;

import java.time.Clock;
import java.util.List;
import java.util.UUID;

/**
 * Studios and their files, always as the signed-in user. Every entry point first asks {@link StudioAccess}
 * whether the user may view, edit or own the studio.
 */
@Service
public class StudioService implements StudioCatalog, StudioWorkspace, OwnedStudios {

    private static final int MAX_NAME = 100;

    private final StudioRepository studios;
    private final Workspaces workspaces;
    private final StudioAccess access;
    private final LiveDocuments live;
    private final Clock clock;
    private final StudioActivity activity;

    private final org.springframework.context.ApplicationEventPublisher events;
    private final LiveStudios liveStudios;

    StudioService(StudioRepository studios, Workspaces workspaces, StudioAccess access, LiveDocuments live, Clock clock,
                  StudioActivity activity, org.springframework.context.ApplicationEventPublisher events,
                  LiveStudios liveStudios) {
        this.liveStudios = liveStudios;
        this.activity = activity;
        this.events = events;
        this.studios = studios;
        this.workspaces = workspaces;
        this.access = access;
        this.live = live;
        this.clock = clock;
    }

    @Override
    public List<StudioSummary> myStudios() {
        return studios.findVisibleTo(Users.current().id(), clock.instant());
    }

    @Override
    public StudioSummary create(String name) {
        var user = Users.current();
        var checkedName = checkName(name);
        var id = UUID.randomUUID().toString();
        studios.insert(id, user.id(), checkedName, clock.instant());
        try {
            workspaces.createFromTemplate(id, checkedName, user.asAuthor());
        } catch (RuntimeException e) {
            studios.delete(id);
            throw e;
        }
        return open(id);
    }

    @Override
    public StudioSummary rename(String studioId, String newName) {
        access.require(studioId, Need.OWN);
        studios.rename(studioId, checkName(newName), clock.instant());
        return open(studioId);
    }

    @Override
    public void delete(String studioId) {
        access.require(studioId, Need.OWN);
        remove(studioId);
    }

    /** The names of the studios {@code ownerId} owns, for an administrator about to delete that account. */
    @Override
    public List<String> namesOwnedBy(long ownerId) {
        return studios.ownedBy(ownerId).stream().map(StudioRepository.StudioRow::summary).map(StudioSummary::name).toList();
    }

    /**
     * Deletes every studio {@code ownerId} owns, as {@link #delete(String)} deletes one (files to the trash). Only
     * for deleting an account: the caller has checked that an administrator asks.
     */
    @Override
    public int deleteAllOwnedBy(long ownerId) {
        var owned = studios.ownedBy(ownerId);
        owned.forEach(row -> remove(row.summary().id()));
        return owned.size();
    }

    private void remove(String studioId) {
        // Open documents are written back before the workspace goes to the trash, terminals and queries end.
        liveStudios.release(studioId);
        studios.delete(studioId);
        workspaces.trash(studioId);
        events.publishEvent(new StudioDeleted(studioId));
    }

    @Override
    public StudioSummary open(String studioId) {
        return access.require(studioId, Need.VIEW);
    }

    @Override
    public List<WorkspaceEntry> tree(String studioId) {
        return workspace(studioId, Need.VIEW).tree();
    }

    @Override
    public FileContent read(String studioId, String path) {
        return workspace(studioId, Need.VIEW).read(path);
    }

    @Override
    public FileContent save(String studioId, String path, String text, String baseVersion) {
        var workspace = workspace(studioId, Need.EDIT);
        var body = text == null ? "" : text;
        var checked = WorkspacePaths.check(path);
        activity.touch(studioId);
        if (live.replaceIfLive(studioId, checked, body, baseVersion, Users.current().asAuthor()).isPresent()) {
            studios.touch(studioId, clock.instant());
            return workspace.read(checked);
        }
        var saved = workspace.save(checked, body, baseVersion, Users.current().asAuthor());
        studios.touch(studioId, clock.instant());
        return saved;
    }

    @Override
    public void createFile(String studioId, String path) {
        workspace(studioId, Need.EDIT).createFile(path, Users.current().asAuthor());
        studios.touch(studioId, clock.instant());
    }

    @Override
    public void createFolder(String studioId, String path) {
        workspace(studioId, Need.EDIT).createFolder(path);
    }

    @Override
    public void rename(String studioId, String fromPath, String toPath) {
        var workspace = workspace(studioId, Need.EDIT);
        live.closeUnder(studioId, WorkspacePaths.check(fromPath), "moved to " + toPath);
        workspace.rename(fromPath, toPath, Users.current().asAuthor());
        studios.touch(studioId, clock.instant());
    }

    @Override
    public void delete(String studioId, String path) {
        var workspace = workspace(studioId, Need.EDIT);
        live.closeUnder(studioId, WorkspacePaths.check(path), "deleted");
        workspace.delete(path, Users.current().asAuthor());
        studios.touch(studioId, clock.instant());
    }

    @Override
    public List<FileRevision> history(String studioId, String path) {
        return workspace(studioId, Need.VIEW).history(path);
    }

    @Override
    public FileContent readAt(String studioId, String path, String commitId) {
        return workspace(studioId, Need.VIEW).readAt(path, commitId);
    }

    @Override
    public void restore(String studioId, String path, String commitId) {
        var workspace = workspace(studioId, Need.EDIT);
        var checked = WorkspacePaths.check(path);
        var old = workspace.readAt(checked, commitId);
        if (old.binary()) {
            throw new StudioException(StudioException.Kind.INVALID, "Binary files can't be restored here yet.");
        }
        var editor = Users.current().asAuthor();
        if (live.replaceIfLive(studioId, checked, old.text(), null, editor).isEmpty()) {
            var current = workspace.tree().stream().anyMatch(e -> e.path().equals(checked)) ? workspace.read(checked).version() : "";
            workspace.save(checked, old.text(), current, editor);
        }
        studios.touch(studioId, clock.instant());
    }

    @Override
    public void commitNow(String studioId, String path) {
        access.require(studioId, Need.EDIT);
        live.commitNow(studioId, WorkspacePaths.check(path));
    }

    @Override
    public long maxFileBytes() {
        return workspaces.maxFileBytes();
    }

    private Workspace workspace(String studioId, Need need) {
        access.require(studioId, need);
        return workspaces.get(studioId);
    }

    private static String checkName(String name) {
        var stripped = name == null ? "" : name.strip();
        if (stripped.isEmpty()) {
            throw new StudioException(StudioException.Kind.INVALID, "Give the studio a name.");
        }
        if (stripped.length() > MAX_NAME) {
            throw new StudioException(StudioException.Kind.INVALID, "Studio names are at most " + MAX_NAME + " characters.");
        }
        if (stripped.chars().anyMatch(c -> c < 0x20 || c == 0x7f)) {
            throw new StudioException(StudioException.Kind.INVALID, "Studio names may not contain control characters.");
        }
        return stripped;
    }
}
