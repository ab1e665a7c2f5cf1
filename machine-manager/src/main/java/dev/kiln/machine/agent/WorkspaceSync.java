package dev.kiln.machine.agent;

import dev.kiln.machine.files.GitIgnores;
import dev.kiln.machine.files.HomePaths;
import dev.kiln.machine.protocol.FromMachine;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermission;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.UUID;

import org.eclipse.jgit.api.Git;
import org.eclipse.jgit.api.ResetCommand;
import org.eclipse.jgit.api.errors.GitAPIException;
import org.eclipse.jgit.lib.Constants;
import org.eclipse.jgit.lib.FileMode;
import org.eclipse.jgit.lib.ObjectId;
import org.eclipse.jgit.lib.ObjectInserter;
import org.eclipse.jgit.lib.Repository;
import org.eclipse.jgit.revwalk.RevWalk;
import org.eclipse.jgit.storage.file.FileRepositoryBuilder;
import org.eclipse.jgit.transport.CredentialsProvider;
import org.eclipse.jgit.transport.UsernamePasswordCredentialsProvider;
import org.eclipse.jgit.treewalk.TreeWalk;

/**
 * Keeps {@code ~/workspace} and the studio's files one set of files. Commits come from the server's read-only git
 * endpoint (authenticated with the machine's token); changes made on the machine go the other way as
 * {@code fs.changes}, which the server merges into the studio's files like any other edit. Nothing is ever moved
 * aside: a sync updates only files the machine has not changed since it last agreed with the server, and leaves a
 * machine-side change in place until the server has taken it (its merged result then arrives like any commit).
 * <p>
 * The agreement is kept per file as a git blob id (the "shadow"): what the server last had of this machine's file.
 * A change is reported against it, so the server merges exactly what changed here; a report the server has not
 * answered is "pending", and a sync leaves that file alone. Everything here runs under this object's lock, so a
 * sync's writes and the watcher's reading of the same files never interleave.
 */
final class WorkspaceSync {
    static final String DIRECTORY = HomePaths.WORKSPACE;
    static final String BRANCH = "main";
    /** A pending report of a deletion. */
    private static final String DELETED = "";

    private final Path workspace;
    private final String remote;
    private final CredentialsProvider credentials;
    private final GitIgnores ignores;
    private Repository repository;
    /** Per workspace path: the blob the server last had of the machine's file. */
    private final Map<String, String> shadow = new HashMap<>();
    /** Per path: the blob reported and not yet answered (DELETED for a deletion). */
    private final Map<String, String> pending = new HashMap<>();
    /** Per path: the shadow before its first unanswered report, to report again from if the answer never comes. */
    private final Map<String, Optional<String>> pendingBase = new HashMap<>();
    /** Paths a sync left alone because their report was out: once answered, they follow the server again. */
    private final Set<String> heldBack = new HashSet<>();
    /** Answered paths a sync left alone: the next sync brings them to the server's latest version. */
    private final Set<String> reconsider = new HashSet<>();
    private boolean known;
    private volatile Runnable fetchSoon = () -> { };

    WorkspaceSync(Path home, String serverUrl, String studioId, String token) {
        this(home.resolve(DIRECTORY), serverUrl.replaceAll("/$", "") + "/git/" + studioId + ".git",
                new UsernamePasswordCredentialsProvider("kiln-agent", token));
    }

    /** For tests: any git remote, any credentials. */
    WorkspaceSync(Path workspace, String remote, CredentialsProvider credentials) {
        this.workspace = workspace;
        this.remote = remote;
        this.credentials = credentials;
        this.ignores = new GitIgnores(workspace);
    }

    Path workspace() {
        return workspace;
    }

    /** What to do when an answer names a version of a file this machine has not fetched yet: sync soon. */
    void onFetchNeeded(Runnable fetch) {
        this.fetchSoon = fetch;
    }

    /**
     * Brings the workspace to the server's latest commit and returns it. Files changed on the machine and not yet
     * taken by the server are left as they are: their change travels to the server, and its merge comes back.
     */
    synchronized Result sync() throws GitAPIException, IOException {
        if (!Files.isDirectory(workspace.resolve(".git"))) {
            Files.createDirectories(workspace);
            try (Git git = Git.cloneRepository().setURI(remote).setDirectory(workspace.toFile())
                    .setBranch(BRANCH).setCredentialsProvider(credentials).call()) {
                // cloned and checked out
            }
            open();
            shadow.clear();
            ObjectId head = repository.resolve(Constants.HEAD);
            if (head != null) {
                tree(head).forEach((path, entry) -> shadow.put(path, entry.blob()));
            }
            known = true;
            return new Result(head == null ? null : head.name());
        }
        open();
        ObjectId before = repository.resolve(Constants.HEAD);
        if (!known) {
            // After a restart: what the last sync brought is what the server had.
            shadow.clear();
            if (before != null) {
                tree(before).forEach((path, entry) -> shadow.put(path, entry.blob()));
            }
            known = true;
        }
        try (Git git = new Git(repository)) {
            git.fetch().setRemote(remote).setCredentialsProvider(credentials)
                    .setRefSpecs("+refs/heads/" + BRANCH + ":refs/remotes/origin/" + BRANCH).call();
        }
        ObjectId after = repository.resolve("refs/remotes/origin/" + BRANCH);
        if (after == null || (after.equals(before) && reconsider.isEmpty())) {
            return new Result(before == null ? null : before.name());
        }
        Map<String, Entry> old = before == null ? Map.of() : tree(before);
        Map<String, Entry> next = tree(after);
        var paths = new TreeSet<String>();
        paths.addAll(old.keySet());
        paths.addAll(next.keySet());
        paths.addAll(reconsider);
        reconsider.clear();
        for (String path : paths) {
            Entry was = old.get(path);
            Entry now = next.get(path);
            if (Objects.equals(was, now) && Objects.equals(shadow.get(path), now == null ? null : now.blob())) {
                continue;
            }
            if (pending.containsKey(path)) {
                heldBack.add(path);
                continue; // changed here: the server takes that change first, then its result comes back
            }
            if (!Objects.equals(blobOf(path), shadow.get(path))) {
                continue; // changed here and not reported yet: the report goes first
            }
            if (now == null) {
                delete(path);
                shadow.remove(path);
            } else {
                write(path, now);
                shadow.put(path, now.blob());
            }
        }
        // HEAD and the index follow the server; files held back above show as local changes in `git status`.
        try (Git git = new Git(repository)) {
            git.reset().setMode(ResetCommand.ResetType.MIXED).setRef(after.name()).call();
        }
        return new Result(after.name());
    }

    /**
     * The workspace files among {@code paths} that differ from what the server has, as changes to report (and
     * from now on pending). New files that git ignores or that are over {@code maxBytes} stay on the machine only;
     * contents up to {@code inlineBytes} travel in the message, larger ones are kept as git objects for the server
     * to fetch.
     */
    synchronized List<FromMachine.FsChange> changes(Collection<String> paths, long maxBytes, int inlineBytes)
            throws IOException {
        if (!known || repository == null) {
            return List.of(); // the first sync has not finished: it decides what the server has
        }
        var changes = new ArrayList<FromMachine.FsChange>();
        try (ObjectInserter inserter = repository.newObjectInserter()) {
            for (String path : new TreeSet<>(paths)) {
                if (path.isEmpty() || path.equals(".git") || path.startsWith(".git/")
                        || name(path).startsWith(HomePaths.TEMPORARY_PREFIX)) {
                    continue;
                }
                Path file = workspace.resolve(path);
                String base = shadow.get(path);
                if (!Files.isRegularFile(file, LinkOption.NOFOLLOW_LINKS)) {
                    if (base != null && !Files.exists(file, LinkOption.NOFOLLOW_LINKS)) {
                        reported(path, base, null);
                        changes.add(new FromMachine.FsChange(path, base, null, 0, null));
                    }
                    continue; // a folder, a link, or a file the server never had
                }
                long size = Files.size(file);
                if (size > maxBytes || (base == null && ignores.isIgnored(path, false))) {
                    continue; // on the machine only: over the workspace's limit, or ignored by git
                }
                byte[] bytes = Files.readAllBytes(file);
                String blob = inserter.idFor(Constants.OBJ_BLOB, bytes).name();
                if (blob.equals(base)) {
                    continue;
                }
                inserter.insert(Constants.OBJ_BLOB, bytes);
                reported(path, base, blob);
                changes.add(new FromMachine.FsChange(path, base, blob, bytes.length,
                        bytes.length <= inlineBytes ? Base64.getEncoder().encodeToString(bytes) : null));
            }
            inserter.flush();
        }
        return changes;
    }

    private void reported(String path, String base, String blob) {
        pendingBase.putIfAbsent(path, Optional.ofNullable(base));
        pending.put(path, blob == null ? DELETED : blob);
        if (blob == null) {
            shadow.remove(path);
        } else {
            shadow.put(path, blob);
        }
    }

    /**
     * The server's answer to a report of {@code path} whose content was {@code blob} (null: deleted): the workspace's
     * file is now {@code result}. Where the server merged the change with others' edits (or kept its own newer
     * version), the machine takes that result, unless the file changed here again in the meantime.
     */
    synchronized void applied(String path, String blob, String result, String error) throws IOException {
        String reported = blob == null ? DELETED : blob;
        if (!reported.equals(pending.get(path))) {
            return; // a later report of this file is on its way, or this answer came twice
        }
        pending.remove(path);
        pendingBase.remove(path);
        if (heldBack.remove(path)) {
            // A commit came while the report was out and left the file alone; it may be newer than this answer
            // (someone saved the file after the server took the machine's edit): the next sync brings it.
            reconsider.add(path);
            fetchSoon.run();
        }
        if (error != null || Objects.equals(result, blob)) {
            return; // refused (it stays on the machine only), or the server has exactly this file
        }
        if (!Objects.equals(blobOf(path), blob)) {
            return; // changed here again since: that change is reported next
        }
        if (result == null) {
            delete(path);
            shadow.remove(path);
            return;
        }
        ObjectId id = ObjectId.fromString(result);
        if (repository.getObjectDatabase().has(id)) {
            write(path, new Entry(result, FileMode.REGULAR_FILE.getBits()));
            shadow.put(path, result);
        } else {
            fetchSoon.run(); // the commit holding the result has not been fetched yet
        }
    }

    /**
     * Forgets reports that were never answered (the connection dropped, or the message could not be sent): the
     * files are reported again, from the version the server is known to have. Returns their paths.
     */
    synchronized Set<String> forget(Collection<String> paths) {
        var forgotten = new HashSet<String>();
        for (String path : paths) {
            var base = pendingBase.remove(path);
            if (base == null) {
                continue;
            }
            pending.remove(path);
            base.ifPresentOrElse(b -> shadow.put(path, b), () -> shadow.remove(path));
            forgotten.add(path);
        }
        return forgotten;
    }

    synchronized Set<String> forgetUnanswered() {
        return forget(new ArrayList<>(pending.keySet()));
    }

    /** Workspace files the server has at or under {@code path} ("": all). */
    synchronized List<String> knownUnder(String path) {
        return shadow.keySet().stream().filter(p -> path.isEmpty() || p.equals(path) || p.startsWith(path + "/"))
                .toList();
    }

    synchronized boolean isIgnored(String path, boolean directory) {
        return ignores.isIgnored(path, directory);
    }

    /** Whether a file is one the server has (as opposed to one on the machine only). */
    synchronized boolean isKnown(String path) {
        return shadow.containsKey(path);
    }

    /** A git object of the machine's copy of the workspace (a reported change's content), or null. */
    synchronized byte[] object(String blob) throws IOException {
        if (repository == null || blob == null || !blob.matches("[0-9a-f]{40}")) {
            return null;
        }
        ObjectId id = ObjectId.fromString(blob);
        return repository.getObjectDatabase().has(id) ? repository.open(id, Constants.OBJ_BLOB).getBytes() : null;
    }

    private void open() throws IOException {
        if (repository == null) {
            repository = new FileRepositoryBuilder().setGitDir(workspace.resolve(".git").toFile()).setMustExist(true)
                    .build();
        }
    }

    private record Entry(String blob, int mode) {}

    /** The regular files (plain and executable) of a commit's tree. */
    private Map<String, Entry> tree(ObjectId commit) throws IOException {
        var files = new HashMap<String, Entry>();
        try (var walk = new RevWalk(repository); var tree = new TreeWalk(repository)) {
            tree.addTree(walk.parseCommit(commit).getTree());
            tree.setRecursive(true);
            while (tree.next()) {
                int mode = tree.getRawMode(0);
                if (FileMode.REGULAR_FILE.equals(mode) || FileMode.EXECUTABLE_FILE.equals(mode)) {
                    files.put(tree.getPathString(), new Entry(tree.getObjectId(0).name(), mode));
                }
            }
        }
        return files;
    }

    /** The blob id of the machine's file now; null when there is no regular file. */
    private String blobOf(String path) throws IOException {
        Path file = workspace.resolve(path);
        if (!Files.isRegularFile(file, LinkOption.NOFOLLOW_LINKS)) {
            return Files.exists(file, LinkOption.NOFOLLOW_LINKS) ? "not-a-file" : null;
        }
        try (InputStream in = Files.newInputStream(file); var formatter = new ObjectInserter.Formatter()) {
            return formatter.idFor(Constants.OBJ_BLOB, Files.size(file), in).name();
        }
    }

    /** Writes a blob into place atomically (a temporary file beside it, renamed), so nobody reads half a file. */
    private void write(String path, Entry entry) throws IOException {
        Path file = workspace.resolve(path);
        try {
            Files.createDirectories(file.getParent());
        } catch (IOException e) {
            return; // a file stands where a folder should: the machine's own arrangement wins until it reports
        }
        Path temporary = file.resolveSibling(HomePaths.TEMPORARY_PREFIX + "sync-" + UUID.randomUUID());
        try (OutputStream out = Files.newOutputStream(temporary)) {
            repository.open(ObjectId.fromString(entry.blob()), Constants.OBJ_BLOB).copyTo(out);
        }
        try {
            if (FileMode.EXECUTABLE_FILE.equals(entry.mode())) {
                var permissions = new HashSet<>(Files.getPosixFilePermissions(temporary));
                permissions.add(PosixFilePermission.OWNER_EXECUTE);
                permissions.add(PosixFilePermission.GROUP_EXECUTE);
                Files.setPosixFilePermissions(temporary, permissions);
            }
            Files.move(temporary, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } finally {
            Files.deleteIfExists(temporary);
        }
    }

    /** Deletes a file and the folders it leaves empty, as git does. */
    private void delete(String path) throws IOException {
        Path file = workspace.resolve(path);
        Files.deleteIfExists(file);
        for (Path dir = file.getParent(); dir != null && !dir.equals(workspace) && dir.startsWith(workspace);
             dir = dir.getParent()) {
            try (var entries = Files.list(dir)) {
                if (entries.findAny().isPresent()) {
                    break;
                }
            }
            Files.delete(dir);
        }
    }

    private static String name(String path) {
        return path.substring(path.lastIndexOf('/') + 1);
    }

    record Result(String commit) {}
}
