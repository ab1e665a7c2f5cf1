package dev.kiln.server.workspace;

import dev.kiln.api.files.FileContent;
import dev.kiln.api.files.FileRevision;
import dev.kiln.api.studio.StudioException;
import dev.kiln.api.studio.StudioException.Kind;
import dev.kiln.api.files.WorkspaceEntry;
import org.eclipse.jgit.api.Git;
import org.eclipse.jgit.api.errors.GitAPIException;
import org.eclipse.jgit.api.errors.NoHeadException;
import org.eclipse.jgit.errors.MissingObjectException;
import org.eclipse.jgit.lib.Constants;
import org.eclipse.jgit.lib.ObjectId;
import org.eclipse.jgit.lib.ObjectInserter;
import org.eclipse.jgit.lib.PersonIdent;
import org.eclipse.jgit.revwalk.RevCommit;
import org.eclipse.jgit.revwalk.RevWalk;
import org.eclipse.jgit.treewalk.TreeWalk;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.function.Consumer;
import java.util.stream.Stream;

/**
 * One studio's files: a directory that is a git repository. Every change is a commit whose author is the user
 * who made it. Writes are serialized per workspace so that "has the file changed since it was loaded?" and the
 * write that follows are one step.
 */
public final class Workspace implements AutoCloseable {

    private static final PersonIdent KILN = new PersonIdent("Kiln", "kiln@localhost");

    private final Path root;
    private final Git git;
    private final long maxFileBytes;
    private volatile Runnable afterCommit = () -> { };
    private final EditSessions sessions = new EditSessions();

    private Workspace(Path root, Git git, long maxFileBytes) {
        this.root = root;
        this.git = git;
        this.maxFileBytes = maxFileBytes;
    }

    /** Creates a new repository at {@code root} (which must not exist yet). */
    public static Workspace create(Path root, long maxFileBytes) {
        try {
            Files.createDirectories(root.getParent());
            Files.createDirectory(root);
            var git = Git.init().setDirectory(root.toFile()).setInitialBranch("main").call();
            return new Workspace(root.toRealPath(), git, maxFileBytes);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (GitAPIException e) {
            throw new IllegalStateException("Could not create a git repository in " + root, e);
        }
    }

    /**
     * Opens a workspace repository. Only this server writes to it, and it opens each once, so lock files left in
     * {@code .git} are from a server that was killed mid-commit: they are removed, or every later commit (saves,
     * write-backs) would fail with "Cannot lock .git/index".
     */
    public static Workspace open(Path root, long maxFileBytes) {
        try {
            removeStaleLocks(root.resolve(Constants.DOT_GIT));
            return new Workspace(root.toRealPath(), Git.open(root.toFile()), maxFileBytes);
        } catch (IOException e) {
            throw new UncheckedIOException("Could not open the workspace repository at " + root, e);
        }
    }

    private static void removeStaleLocks(Path gitDir) throws IOException {
        if (!Files.isDirectory(gitDir)) {
            return;
        }
        try (var files = Files.walk(gitDir)) {
            for (var lock : files.filter(p -> p.getFileName().toString().endsWith(".lock") && Files.isRegularFile(p)
                    && !p.startsWith(gitDir.resolve("objects"))).toList()) {
                Files.deleteIfExists(lock);
            }
        }
    }

    public Path root() {
        return root;
    }

    /** The git repository itself, for serving it read-only over HTTP (JGit repositories are safe to share). */
    public org.eclipse.jgit.lib.Repository repository() {
        return git.getRepository();
    }

    /** Called after every commit (machines fetch the new files). */
    public void afterCommit(Runnable listener) {
        this.afterCommit = listener;
    }

    /** All files and folders except .git: folders first, then files, by name, each folder followed by its contents. */
    public List<WorkspaceEntry> tree() {
        var entries = new ArrayList<WorkspaceEntry>();
        collect(root, entries);
        return entries;
    }

    private void collect(Path dir, List<WorkspaceEntry> into) {
        List<Path> children;
        try (Stream<Path> list = Files.list(dir)) {
            children = list.filter(p -> !(dir.equals(root) && p.getFileName().toString().equals(Constants.DOT_GIT)))
                    .sorted(Comparator.comparing((Path p) -> !Files.isDirectory(p))
                            .thenComparing(p -> p.getFileName().toString().toLowerCase(Locale.ROOT)))
                    .toList();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        for (var child : children) {
            boolean directory = Files.isDirectory(child);
            long size = directory ? 0 : child.toFile().length();
            into.add(new WorkspaceEntry(relative(child), directory, size));
            if (directory) {
                collect(child, into);
            }
        }
    }

    public FileContent read(String path) {
        var checked = WorkspacePaths.check(path);
        var file = WorkspacePaths.resolve(root, checked);
        if (Files.isDirectory(file)) {
            throw new StudioException(Kind.INVALID, checked + " is a folder, not a file.");
        }
        if (!Files.isRegularFile(file)) {
            throw new StudioException(Kind.NOT_FOUND, "File not found: " + checked);
        }
        long size = file.toFile().length();
        if (size > maxFileBytes) {
            throw new StudioException(Kind.TOO_LARGE, checked + " is " + Sizes.human(size)
                    + ", over the editor's limit of " + Sizes.human(maxFileBytes) + " (kiln.max-file-size).");
        }
        return content(checked, readBytes(file));
    }

    /**
     * Writes the file and commits it, unless its current version differs from {@code baseVersion}: then nothing is
     * written and CONFLICT is thrown. Saving unchanged text makes no commit.
     */
    public synchronized FileContent save(String path, String text, String baseVersion, PersonIdent author) {
        var checked = WorkspacePaths.check(path);
        var bytes = text.getBytes(StandardCharsets.UTF_8);
        if (bytes.length > maxFileBytes) {
            throw new StudioException(Kind.TOO_LARGE, "Not saved: the text is " + Sizes.human(bytes.length)
                    + ", over the limit of " + Sizes.human(maxFileBytes) + " (kiln.max-file-size).");
        }
        var file = WorkspacePaths.resolve(root, checked);
        if (Files.isDirectory(file)) {
            throw new StudioException(Kind.INVALID, checked + " is a folder, not a file.");
        }
        boolean existed = Files.isRegularFile(file);
        var current = existed ? readBytes(file) : null;
        var currentVersion = current == null ? "" : blobId(current);
        if (!currentVersion.equals(baseVersion == null ? "" : baseVersion)) {
            throw new StudioException(Kind.CONFLICT, checked + " changed since you opened it. Reload it to see the "
                    + "newer version, or save yours over it (the other version stays in the history).");
        }
        if (current != null && java.util.Arrays.equals(current, bytes) && blobId(bytes).equals(headBlobId(checked))) {
            return content(checked, current);
        }
        try {
            Files.createDirectories(file.getParent());
            writeAtomically(file, bytes);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        commit((existed ? "Update " : "Create ") + checked, author, add -> add.accept(checked));
        return content(checked, bytes);
    }

    /**
     * Writes text that was edited together and commits it: the first editor is the author, the others are credited
     * with {@code Co-authored-by:} trailers. Returns the new content's blob id (unchanged text makes no commit).
     */
    public synchronized String writeBack(String path, String text, List<PersonIdent> editors) {
        var checked = WorkspacePaths.check(path);
        var file = WorkspacePaths.resolve(root, checked);
        var bytes = text.getBytes(StandardCharsets.UTF_8);
        boolean existed = Files.isRegularFile(file);
        // Equal bytes on disk are not enough: a crash between writing the file and committing it leaves the text
        // there but not in git, where the machines and the history read it.
        if (existed && java.util.Arrays.equals(readBytes(file), bytes) && blobId(bytes).equals(headBlobId(checked))) {
            return blobId(bytes);
        }
        try {
            Files.createDirectories(file.getParent());
            writeAtomically(file, bytes);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        // Folded into this file's open automatic commit when there is one (see EditSessions).
        var session = sessions.open(checked, head());
        var people = EditSessions.people(session, editors);
        var author = people.isEmpty() ? KILN : people.getFirst();
        commit(EditSessions.message(checked, people), author, add -> add.accept(checked), session != null);
        sessions.committed(checked, head(), session, people);
        return blobId(bytes);
    }

    /** Automatic write-backs of a file within {@code window} become one commit (zero: one commit per pause). */
    public void foldWriteBacks(java.time.Duration window, java.time.Clock clock) {
        sessions.configure(window, clock);
    }

    /** The file's next automatic write-back starts a new commit (after Ctrl+S, so later edits do not join it). */
    public void endEditSession(String path) {
        sessions.end(WorkspacePaths.check(path));
    }

    private String head() {
        try {
            var head = git.getRepository().resolve(Constants.HEAD);
            return head == null ? "" : head.name();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * As {@link #writeBack(String, String, List)}, with the files that belong to it: a notebook's large outputs,
     * kept in {@code companionDir} beside it. The folder ends up holding exactly {@code companions} (names inside
     * it); all of it is one commit. Returns the main file's blob id.
     */
    public synchronized String writeBack(String path, String text, String companionDir, java.util.Map<String, byte[]> companions,
                                         List<PersonIdent> editors) {
        var checked = WorkspacePaths.check(path);
        var dirPath = WorkspacePaths.check(companionDir);
        var file = WorkspacePaths.resolve(root, checked);
        var dir = WorkspacePaths.resolve(root, dirPath);
        var bytes = text.getBytes(StandardCharsets.UTF_8);
        var staged = new ArrayList<String>();
        try {
            if (!Files.isRegularFile(file) || !java.util.Arrays.equals(readBytes(file), bytes)) {
                Files.createDirectories(file.getParent());
                Files.write(file, bytes);
                staged.add(checked);
            }
            if (Files.isDirectory(dir)) {
                try (Stream<Path> list = Files.list(dir)) {
                    for (var existing : list.toList()) {
                        if (Files.isRegularFile(existing) && !companions.containsKey(existing.getFileName().toString())) {
                            Files.delete(existing);
                            staged.add(dirPath + "/" + existing.getFileName());
                        }
                    }
                }
            }
            for (var companion : companions.entrySet()) {
                var name = WorkspacePaths.check(dirPath + "/" + companion.getKey());
                var target = WorkspacePaths.resolve(root, name);
                if (!Files.isRegularFile(target) || !java.util.Arrays.equals(readBytes(target), companion.getValue())) {
                    Files.createDirectories(target.getParent());
                    Files.write(target, companion.getValue());
                    staged.add(name);
                }
            }
            if (companions.isEmpty() && Files.isDirectory(dir)) {
                try (Stream<Path> left = Files.list(dir)) {
                    if (left.findAny().isEmpty()) {
                        Files.delete(dir);
                    }
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        if (!staged.isEmpty()) {
            commit(editMessage(checked, editors), editors.isEmpty() ? KILN : editors.get(0), add -> staged.forEach(add));
        }
        return blobId(bytes);
    }

    private static String editMessage(String path, List<PersonIdent> editors) {
        var author = editors.isEmpty() ? KILN : editors.get(0);
        var message = new StringBuilder("Edit ").append(path);
        var coAuthors = editors.stream().skip(1).filter(p -> !p.getEmailAddress().equals(author.getEmailAddress())).distinct().toList();
        if (!coAuthors.isEmpty()) {
            message.append("\n");
            for (var co : coAuthors) {
                message.append("\nCo-authored-by: ").append(co.getName()).append(" <").append(co.getEmailAddress()).append(">");
            }
        }
        return message.toString();
    }

    /** The text of a blob in this repository (a version written back earlier), if it is there and is text. */
    public java.util.Optional<String> blobText(String blobId) {
        if (blobId == null || !blobId.matches("[0-9a-f]{40}")) {
            return java.util.Optional.empty();
        }
        try {
            var loader = git.getRepository().open(ObjectId.fromString(blobId), Constants.OBJ_BLOB);
            return java.util.Optional.ofNullable(decodeText(loader.getBytes()));
        } catch (IOException e) {
            return java.util.Optional.empty();
        }
    }

    /** The id git gives this text (the version the editor and the API compare). */
    public static String versionOf(String text) {
        return blobId(text.getBytes(StandardCharsets.UTF_8));
    }

    public synchronized void createFile(String path, PersonIdent author) {
        var checked = WorkspacePaths.check(path);
        var file = WorkspacePaths.resolve(root, checked);
        if (Files.exists(file)) {
            throw new StudioException(Kind.INVALID, checked + " already exists.");
        }
        try {
            Files.createDirectories(file.getParent());
            Files.createFile(file);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        commit("Create " + checked, author, add -> add.accept(checked));
    }

    /** Folders are not tracked by git until they hold a file; an empty one exists only on disk. */
    public synchronized void createFolder(String path) {
        var checked = WorkspacePaths.check(path);
        var dir = WorkspacePaths.resolve(root, checked);
        if (Files.exists(dir)) {
            throw new StudioException(Kind.INVALID, checked + " already exists.");
        }
        try {
            Files.createDirectories(dir);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public synchronized void rename(String fromPath, String toPath, PersonIdent author) {
        var from = WorkspacePaths.check(fromPath);
        var to = WorkspacePaths.check(toPath);
        var source = WorkspacePaths.resolve(root, from);
        var target = WorkspacePaths.resolve(root, to);
        if (!Files.exists(source)) {
            throw new StudioException(Kind.NOT_FOUND, "Not found: " + from);
        }
        if (Files.exists(target)) {
            throw new StudioException(Kind.INVALID, to + " already exists.");
        }
        if (target.startsWith(source)) {
            throw new StudioException(Kind.INVALID, "A folder can't be moved into itself.");
        }
        try {
            Files.createDirectories(target.getParent());
            Files.move(source, target);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        commit("Rename " + from + " to " + to, author, stage -> {
            stage.accept(from);
            stage.accept(to);
        });
    }

    public synchronized void delete(String path, PersonIdent author) {
        var checked = WorkspacePaths.check(path);
        var target = WorkspacePaths.resolve(root, checked);
        if (!Files.exists(target)) {
            throw new StudioException(Kind.NOT_FOUND, "Not found: " + checked);
        }
        try (Stream<Path> walk = Files.walk(target)) {
            for (var p : walk.sorted(Comparator.reverseOrder()).toList()) {
                Files.delete(p);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        commit("Delete " + checked, author, stage -> stage.accept(checked));
    }

    /** Commits that touched {@code path}, newest first (renames are not followed). */
    public List<FileRevision> history(String path) {
        var checked = WorkspacePaths.check(path);
        try {
            var revisions = new ArrayList<FileRevision>();
            for (RevCommit commit : git.log().addPath(checked).setMaxCount(500).call()) {
                var author = commit.getAuthorIdent();
                revisions.add(new FileRevision(commit.name(), commit.getShortMessage(), author.getName(), author.getWhenAsInstant()));
            }
            return revisions;
        } catch (NoHeadException e) {
            return List.of();
        } catch (GitAPIException e) {
            throw new IllegalStateException(e);
        }
    }

    /**
     * Replaces a file's bytes all at once: the text goes to a temporary file (inside .git, so it never shows in the
     * tree), which is then renamed over it. Writing in place truncates first, so a crash in the middle left an empty
     * or half-written file where the last saved text had been. Callers hold this workspace's lock.
     */
    private void writeAtomically(Path file, byte[] bytes) throws IOException {
        var tmp = root.resolve(Constants.DOT_GIT).resolve("kiln-write.tmp");
        Files.write(tmp, bytes);
        try {
            Files.move(tmp, file, java.nio.file.StandardCopyOption.ATOMIC_MOVE, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        } catch (java.nio.file.AtomicMoveNotSupportedException e) {
            Files.move(tmp, file, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        }
    }

    /** The blob id of {@code path} in the last commit, or null if it is not there. */
    private String headBlobId(String path) {
        var repo = git.getRepository();
        try (var walk = new RevWalk(repo)) {
            var head = repo.resolve(Constants.HEAD);
            if (head == null) {
                return null;
            }
            try (var tree = TreeWalk.forPath(repo, path, walk.parseCommit(head).getTree())) {
                return tree == null ? null : tree.getObjectId(0).name();
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public FileContent readAt(String path, String commitId) {
        var checked = WorkspacePaths.check(path);
        if (commitId == null || !commitId.matches("[0-9a-f]{40}")) {
            throw new StudioException(Kind.INVALID, "Not a commit id: " + commitId);
        }
        var repo = git.getRepository();
        try (var walk = new RevWalk(repo)) {
            var commit = walk.parseCommit(ObjectId.fromString(commitId));
            try (var tree = TreeWalk.forPath(repo, checked, commit.getTree())) {
                if (tree == null) {
                    throw new StudioException(Kind.NOT_FOUND, checked + " does not exist in commit " + commitId.substring(0, 8) + ".");
                }
                var loader = repo.open(tree.getObjectId(0), Constants.OBJ_BLOB);
                if (loader.getSize() > maxFileBytes) {
                    throw new StudioException(Kind.TOO_LARGE, checked + " at " + commitId.substring(0, 8) + " is "
                            + Sizes.human(loader.getSize()) + ", over the editor's limit.");
                }
                return content(checked, loader.getBytes());
            }
        } catch (MissingObjectException e) {
            throw new StudioException(Kind.NOT_FOUND, "No commit " + commitId.substring(0, 8) + " in this studio.");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Stages the given paths (additions, changes and removals) and commits them. */
    private void commit(String message, PersonIdent author, Consumer<Consumer<String>> paths) {
        commit(message, author, paths, false);
    }

    /** {@code amend}: replace the newest commit (an open edit session's) instead of adding one. */
    private void commit(String message, PersonIdent author, Consumer<Consumer<String>> paths, boolean amend) {
        try {
            var toStage = new ArrayList<String>();
            paths.accept(toStage::add);
            for (var p : toStage) {
                git.add().addFilepattern(p).call();
                git.add().setUpdate(true).addFilepattern(p).call();
            }
            git.commit().setMessage(message).setAuthor(author).setCommitter(KILN).setAllowEmpty(false)
                    .setAmend(amend).call();
            afterCommit.run();
        } catch (org.eclipse.jgit.api.errors.EmptyCommitException e) {
            // Nothing tracked changed (for example an empty folder was renamed): the disk already reflects it.
        } catch (GitAPIException e) {
            throw new IllegalStateException("Could not commit: " + message, e);
        }
    }

    private String relative(Path file) {
        return root.relativize(file).toString().replace(java.io.File.separatorChar, '/');
    }

    private static byte[] readBytes(Path file) {
        try {
            return Files.readAllBytes(file);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static FileContent content(String path, byte[] bytes) {
        var text = decodeText(bytes);
        return new FileContent(path, text == null ? "" : text, blobId(bytes), text == null, bytes.length);
    }

    /** The file's text, or null when it is binary: a NUL byte early on (git's own test) or invalid UTF-8. */
    static String decodeText(byte[] bytes) {
        for (int i = 0; i < Math.min(bytes.length, 8000); i++) {
            if (bytes[i] == 0) {
                return null;
            }
        }
        try {
            return StandardCharsets.UTF_8.newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(ByteBuffer.wrap(bytes)).toString();
        } catch (CharacterCodingException e) {
            return null;
        }
    }

    /** The id git gives this content: a version that changes whenever the bytes change. */
    static String blobId(byte[] bytes) {
        try (var formatter = new ObjectInserter.Formatter()) {
            return formatter.idFor(Constants.OBJ_BLOB, bytes).name();
        }
    }

    @Override
    public void close() {
        git.close();
    }

    // ---- The machine's side of the studio's files (issue 16): what the machine changed, and what the file tree needs.

    /** Whether git ignores this workspace path (by the workspace's .gitignore files): such a file is never committed. */
    public boolean isIgnored(String path) {
        var checked = WorkspacePaths.check(path);
        return new dev.kiln.machine.files.GitIgnores(root).isIgnored(checked, Files.isDirectory(root.resolve(checked)));
    }

    /** The bytes as text, or null when they are binary (a NUL early on, or invalid UTF-8), as the editor decides. */
    public static String text(byte[] bytes) {
        return decodeText(bytes);
    }

    /** The file's bytes (up to the size limit), for previews and downloads. */
    public byte[] bytes(String path) {
        var checked = WorkspacePaths.check(path);
        var file = WorkspacePaths.resolve(root, checked);
        if (!Files.isRegularFile(file)) {
            throw new StudioException(Files.isDirectory(file) ? Kind.INVALID : Kind.NOT_FOUND,
                    Files.isDirectory(file) ? checked + " is a folder, not a file." : "File not found: " + checked);
        }
        if (file.toFile().length() > maxFileBytes) {
            throw new StudioException(Kind.TOO_LARGE, checked + " is over the workspace's limit.");
        }
        return readBytes(file);
    }

    /** The file on disk for a checked path (symbolic links out of the workspace refused), for streaming a folder. */
    public Path file(String path) {
        return WorkspacePaths.resolve(root, WorkspacePaths.check(path));
    }

    /** The blob id of the file as it is now, or null when there is no such file. */
    public String fileVersion(String path) {
        var file = WorkspacePaths.resolve(root, WorkspacePaths.check(path));
        return Files.isRegularFile(file) ? blobId(readBytes(file)) : null;
    }

    /**
     * Keeps {@code bytes} as a git object without committing it: a machine's reported version of a file, which a
     * later change of the machine names as the version it started from.
     */
    public String storeBlob(byte[] bytes) {
        try (var inserter = git.getRepository().newObjectInserter()) {
            var id = inserter.insert(Constants.OBJ_BLOB, bytes);
            inserter.flush();
            return id.name();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** One file to write: its new bytes, or null for a deletion. */
    public record FileWrite(String path, byte[] bytes) {}

    /**
     * Writes (or deletes) files and commits them all at once, as {@code author}, with {@code message}: what the
     * machine changed, or an upload. Returns the paths that changed (an unchanged file makes no commit).
     */
    public synchronized List<String> writeAndCommit(List<FileWrite> writes, PersonIdent author, String message) {
        var changed = new ArrayList<String>();
        try {
            for (var write : writes) {
                var checked = WorkspacePaths.check(write.path());
                var file = WorkspacePaths.resolve(root, checked);
                if (write.bytes() == null) {
                    if (Files.isRegularFile(file)) {
                        Files.delete(file);
                        removeEmptyParents(file);
                        changed.add(checked);
                    }
                    continue;
                }
                if (Files.isDirectory(file)) {
                    continue;
                }
                if (Files.isRegularFile(file) && java.util.Arrays.equals(readBytes(file), write.bytes())) {
                    continue;
                }
                Files.createDirectories(file.getParent());
                Files.write(file, write.bytes());
                changed.add(checked);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        if (!changed.isEmpty()) {
            commit(message, author, stage -> changed.forEach(stage));
        }
        return changed;
    }

    private void removeEmptyParents(Path file) throws IOException {
        for (var dir = file.getParent(); dir != null && !dir.equals(root) && dir.startsWith(root); dir = dir.getParent()) {
            try (var entries = Files.list(dir)) {
                if (entries.findAny().isPresent()) {
                    return;
                }
            }
            Files.delete(dir);
        }
    }
}
