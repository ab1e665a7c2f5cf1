package dev.kiln.server.files;

import dev.kiln.machine.protocol.FromMachine;
import dev.kiln.machine.protocol.ToMachine;
import dev.kiln.server.config.LogText;
import dev.kiln.server.studio.LiveDocuments;
import dev.kiln.server.studio.Workspaces;
import dev.kiln.server.workspace.Workspace;
import dev.kiln.server.workspace.WorkspacePaths;
import dev.kiln.api.studio.StudioException;
import jakarta.annotation.PreDestroy;
import org.eclipse.jgit.lib.PersonIdent;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.stereotype.Component;

import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

/**
 * Changes made on a studio's machine (the terminal, a script, {@code git pull}, a job) become changes of the
 * studio's files, as if typed by one more editor: a file open in editors gets the change merged into its live
 * text (everyone sees it appear; what they typed meanwhile stays), any other file is merged and committed, crediting
 * the machine. Text merges like two editors' typing: the machine's change from the version it started from is
 * applied over the server's changes since. Only where that cannot work, a binary file changed on both sides, are
 * both versions kept: the server's in place, the machine's beside it as {@code name (machine).ext}, said in the
 * commit and in a notice on everyone's file tree. Each answer ({@code fs.applied}) goes back after the commit's sync request, so the machine fetches the
 * merged result before it hears that its change was taken.
 * <p>
 * A studio's reports are applied one at a time, in order; studios do not wait for each other.
 */
@Component
class MachineEdits implements dev.kiln.server.studio.StudioScoped {
    private static final Logger log = LoggerFactory.getLogger(MachineEdits.class);
    static final PersonIdent MACHINE = new PersonIdent("Studio machine", "machine@kiln.local");

    private final MachineRequests requests;
    private final MachineTransfers transfers;
    private final Workspaces workspaces;
    private final LiveDocuments live;
    private final FileRevisions revisions;
    private final ExecutorService pool = Executors.newCachedThreadPool(
            Thread.ofPlatform().name("kiln-machine-edits-", 0).daemon().factory());
    private final Map<String, CompletableFuture<Void>> queues = new ConcurrentHashMap<>();
    /** Per studio and path: the machine's last content taken, so a report made again (after a reconnect) is a no-op. */
    private final Map<String, String> lastTaken = new ConcurrentHashMap<>();

    MachineEdits(MachineRequests requests, MachineTransfers transfers, Workspaces workspaces, LiveDocuments live,
                 FileRevisions revisions) {
        this.requests = requests;
        this.transfers = transfers;
        this.workspaces = workspaces;
        this.live = live;
        this.revisions = revisions;
        var machines = requests.channel();
        // Every sync (the first one makes the machine ready): start or keep the watch, with this server's limit.
        machines.on(FromMachine.Synced.class, (studioId, synced) ->
                machines.send(studioId, new ToMachine.FsWatch(workspaces.maxFileBytes())));
        machines.on(FromMachine.FsChanges.class, (studioId, changes) -> enqueue(studioId, changes.changes()));
    }

    @Override
    public java.util.Set<String> liveStudios() {
        var studios = new java.util.HashSet<>(queues.keySet());
        lastTaken.keySet().forEach(key -> studios.add(key.substring(0, key.indexOf('\u0000'))));
        return studios;
    }

    /** Edits already queued still run (into a trashed workspace, harmlessly); what was remembered goes. */
    @Override
    public void release(String studioId) {
        queues.remove(studioId);
        lastTaken.keySet().removeIf(key -> key.startsWith(studioId + "\u0000"));
    }

    private void enqueue(String studioId, List<FromMachine.FsChange> changes) {
        queues.compute(studioId, (id, tail) -> (tail == null ? CompletableFuture.<Void>completedFuture(null) : tail)
                .thenRunAsync(() -> applyQuietly(studioId, changes), pool));
    }

    private void applyQuietly(String studioId, List<FromMachine.FsChange> changes) {
        try {
            apply(studioId, changes);
        } catch (RuntimeException e) {
            log.warn("Could not take the changes made on studio {}'s machine: {}", studioId, LogText.clean(e.getMessage()));
        } finally {
            revisions.changed(studioId);
        }
    }

    /** One answer to send once the changes are committed. */
    private record Answer(String path, String blob, String result, String error) {}

    void apply(String studioId, List<FromMachine.FsChange> changes) {
        Workspace workspace;
        try {
            workspace = workspaces.get(studioId);
        } catch (RuntimeException e) {
            return; // the studio is gone
        }
        var answers = new ArrayList<Answer>();
        var writes = new ArrayList<Workspace.FileWrite>();
        var deleted = new ArrayList<String>();
        var conflicts = new ArrayList<String>();
        for (var change : changes) {
            String path;
            try {
                path = WorkspacePaths.check(change.path());
            } catch (StudioException e) {
                answers.add(new Answer(change.path(), change.blob(), null, e.getMessage()));
                continue;
            }
            try {
                answers.add(take(studioId, workspace, path, change, writes, deleted, conflicts));
            } catch (RuntimeException e) {
                answers.add(new Answer(path, change.blob(), null, String.valueOf(e.getMessage())));
            }
        }
        if (!writes.isEmpty()) {
            var message = new StringBuilder(summary(writes, deleted));
            for (String conflict : conflicts) {
                message.append("\n\n").append(conflict);
            }
            workspace.writeAndCommit(writes, MACHINE, message.toString());
            conflicts.forEach(conflict -> revisions.notice(studioId, conflict)); // heard now, not only in the history
        }
        for (var answer : answers) {
            String result = answer.error() != null ? answer.result() : current(studioId, workspace, answer.path());
            requests.channel().send(studioId, new ToMachine.FsApplied(answer.path(), answer.blob(), result,
                    answer.error()));
        }
    }

    private Answer take(String studioId, Workspace workspace, String path, FromMachine.FsChange change,
                        List<Workspace.FileWrite> writes, List<String> deleted, List<String> conflicts) {
        String key = studioId + "\u0000" + path;
        String current = current(studioId, workspace, path);
        if (change.blob() == null) {
            // Deleted on the machine: unless someone changed the file since the machine's version (theirs stays).
            if (current != null && (current.equals(change.base()) || change.base() == null)) {
                live.closeUnder(studioId, path, "deleted on the machine");
                writes.add(new Workspace.FileWrite(path, null));
                deleted.add(path);
            }
            lastTaken.remove(key);
            return new Answer(path, null, null, null);
        }
        if (change.blob().equals(current) || change.blob().equals(lastTaken.get(key))) {
            return new Answer(path, change.blob(), null, null); // the server has it already
        }
        byte[] bytes = change.data() != null ? Base64.getDecoder().decode(change.data())
                : transfers.fetchObject(studioId, change.blob(), workspaces.maxFileBytes());
        if (bytes.length > workspaces.maxFileBytes()) {
            return new Answer(path, change.blob(), current, "over the workspace's size limit: it stays on the machine");
        }
        workspace.storeBlob(bytes); // a later change of the machine may start from this version
        lastTaken.put(key, change.blob());
        String text = Workspace.text(bytes);
        String baseText = change.base() == null ? null : workspace.blobText(change.base()).orElse(null);
        if (text != null && live.mergeIfLive(studioId, path, baseText, text, MACHINE).isPresent()) {
            return new Answer(path, change.blob(), null, null);
        }
        if (current == null || current.equals(change.base())) {
            writes.add(new Workspace.FileWrite(path, bytes)); // nobody else changed it: the machine's version
            return new Answer(path, change.blob(), null, null);
        }
        byte[] theirs = workspace.bytes(path);
        String theirsText = Workspace.text(theirs);
        if (text != null && theirsText != null) {
            String merged = TextMerge.merge(baseText == null ? theirsText : baseText, theirsText, text);
            writes.add(new Workspace.FileWrite(path, merged.getBytes(java.nio.charset.StandardCharsets.UTF_8)));
            return new Answer(path, change.blob(), null, null);
        }
        // Both sides changed a file that cannot be merged: keep both, the machine's beside the studio's.
        String beside = besideName(workspace, path);
        writes.add(new Workspace.FileWrite(beside, bytes));
        conflicts.add(path + " was changed on the machine and in the studio at once; the studio's version stays, "
                + "the machine's is kept as " + beside + ".");
        return new Answer(path, change.blob(), null, null);
    }

    /** The version of the file the studio has now: the live text's, or the committed file's; null when absent. */
    private String current(String studioId, Workspace workspace, String path) {
        return live.liveVersion(studioId, path).orElseGet(() -> {
            try {
                return workspace.fileVersion(path);
            } catch (RuntimeException e) {
                return null;
            }
        });
    }

    /** "model (machine).bin", or with a number when that is taken too. */
    static String besideName(Workspace workspace, String path) {
        int slash = path.lastIndexOf('/');
        String dir = slash < 0 ? "" : path.substring(0, slash + 1);
        String name = path.substring(slash + 1);
        int dot = name.lastIndexOf('.');
        String stem = dot > 0 ? name.substring(0, dot) : name;
        String extension = dot > 0 ? name.substring(dot) : "";
        for (int i = 1; ; i++) {
            String candidate = dir + stem + (i == 1 ? " (machine)" : " (machine " + i + ")") + extension;
            if (workspace.fileVersion(candidate) == null) {
                return candidate;
            }
        }
    }

    private static String summary(List<Workspace.FileWrite> writes, List<String> deleted) {
        var changed = writes.stream().map(Workspace.FileWrite::path).filter(p -> !deleted.contains(p)).toList();
        String what = !deleted.isEmpty() && changed.size() == 1 && deleted.size() == 1
                ? "Rename " + deleted.getFirst() + " to " + changed.getFirst()
                : (changed.isEmpty() ? "" : "Edit " + String.join(", ", first(changed)))
                + (changed.isEmpty() || deleted.isEmpty() ? "" : "; ")
                + (deleted.isEmpty() ? "" : "Delete " + String.join(", ", first(deleted)));
        return what + " on the machine";
    }

    private static List<String> first(List<String> paths) {
        return paths.size() <= 5 ? paths : List.of(String.join(", ", paths.subList(0, 5)), "and " + (paths.size() - 5)
                + " more");
    }

    @PreDestroy
    void stop() {
        pool.shutdownNow();
    }
}
