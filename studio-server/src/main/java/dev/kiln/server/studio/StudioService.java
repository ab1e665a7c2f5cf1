package dev.kiln.server.studio;

import dev.kiln.server.security.KilnPrincipal;
import dev.kiln.server.security.Users;
import dev.kiln.server.workspace.Workspace;
import dev.kiln.ui.studio.FileContent;
import dev.kiln.ui.studio.FileRevision;
import dev.kiln.ui.studio.StudioCatalog;
import dev.kiln.ui.studio.StudioException;
import dev.kiln.ui.studio.StudioSummary;
import dev.kiln.ui.studio.StudioWorkspace;
import dev.kiln.ui.studio.WorkspaceEntry;
import org.springframework.stereotype.Service;

import java.time.Clock;
import java.util.List;
import java.util.UUID;

/**
 * Studios and their files, always as the signed-in user. Every entry point first checks that the user owns the
 * studio; otherwise the answer is NOT_FOUND, the same as for a studio that does not exist, so ids leak nothing.
 */
@Service
public class StudioService implements StudioCatalog, StudioWorkspace {

    private static final int MAX_NAME = 100;

    private final StudioRepository studios;
    private final Workspaces workspaces;
    private final Clock clock;

    StudioService(StudioRepository studios, Workspaces workspaces, Clock clock) {
        this.studios = studios;
        this.workspaces = workspaces;
        this.clock = clock;
    }

    @Override
    public List<StudioSummary> myStudios() {
        return studios.findByOwner(Users.current().id());
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
        requireOwned(studioId);
        studios.rename(studioId, checkName(newName), clock.instant());
        return open(studioId);
    }

    @Override
    public void delete(String studioId) {
        requireOwned(studioId);
        studios.delete(studioId);
        workspaces.trash(studioId);
    }

    @Override
    public StudioSummary open(String studioId) {
        return requireOwned(studioId);
    }

    @Override
    public List<WorkspaceEntry> tree(String studioId) {
        return workspace(studioId).tree();
    }

    @Override
    public FileContent read(String studioId, String path) {
        return workspace(studioId).read(path);
    }

    @Override
    public FileContent save(String studioId, String path, String text, String baseVersion) {
        var saved = workspace(studioId).save(path, text == null ? "" : text, baseVersion, Users.current().asAuthor());
        studios.touch(studioId, clock.instant());
        return saved;
    }

    @Override
    public void createFile(String studioId, String path) {
        workspace(studioId).createFile(path, Users.current().asAuthor());
        studios.touch(studioId, clock.instant());
    }

    @Override
    public void createFolder(String studioId, String path) {
        workspace(studioId).createFolder(path);
    }

    @Override
    public void rename(String studioId, String fromPath, String toPath) {
        workspace(studioId).rename(fromPath, toPath, Users.current().asAuthor());
        studios.touch(studioId, clock.instant());
    }

    @Override
    public void delete(String studioId, String path) {
        workspace(studioId).delete(path, Users.current().asAuthor());
        studios.touch(studioId, clock.instant());
    }

    @Override
    public List<FileRevision> history(String studioId, String path) {
        return workspace(studioId).history(path);
    }

    @Override
    public FileContent readAt(String studioId, String path, String commitId) {
        return workspace(studioId).readAt(path, commitId);
    }

    @Override
    public long maxFileBytes() {
        return workspaces.maxFileBytes();
    }

    private Workspace workspace(String studioId) {
        requireOwned(studioId);
        return workspaces.get(studioId);
    }

    private StudioSummary requireOwned(String studioId) {
        KilnPrincipal user = Users.current();
        if (studioId == null || studioId.length() > 64) {
            throw StudioException.studioNotFound();
        }
        return studios.find(studioId)
                .filter(row -> row.ownerId() == user.id())
                .map(StudioRepository.StudioRow::summary)
                .orElseThrow(StudioException::studioNotFound);
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
