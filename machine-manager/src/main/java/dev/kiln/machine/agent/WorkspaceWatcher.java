package dev.kiln.machine.agent;

import dev.kiln.machine.files.HomePaths;
import dev.kiln.machine.protocol.FromMachine;

import java.io.IOException;
import java.nio.file.ClosedWatchServiceException;
import java.nio.file.FileSystems;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.StandardWatchEventKinds;
import java.nio.file.WatchEvent;
import java.nio.file.WatchKey;
import java.nio.file.WatchService;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

/**
 * Watches the machine's home (inotify, through the JDK's WatchService) so that what happens on the machine reaches
 * the studio within a fraction of a second: a changed, created, renamed or deleted workspace file becomes an
 * {@code fs.changes} report (through {@link WorkspaceSync}, which decides what the server lacks), and anything created
 * or deleted anywhere in the home an {@code fs.events} note, so open file trees refresh.
 * <p>
 * Events are gathered until the home has been quiet for {@value #QUIET_MS} ms (at most {@value #MAX_WAIT_MS} ms
 * after the first), so the temporary file of a {@code sed -i} or an editor's save never travels: by the time the
 * burst is read, only its result is there. Watched: every folder of the workspace except {@code .git} (ignored
 * folders themselves, not their insides), and the home's other folders except hidden ones (caches, the agent's own
 * {@code .kiln}); at most {@value #MAX_WATCHED} folders, the limit inotify sets per user being shared with the
 * machine's own programs.
 */
final class WorkspaceWatcher implements AutoCloseable {
    static final long QUIET_MS = 60;
    static final long MAX_WAIT_MS = 400;
    static final int MAX_WATCHED = 8192;
    /** File contents up to this size travel in the report itself; larger ones are fetched by the server. */
    static final int INLINE_BYTES = 192 * 1024;
    /** Keeps one fs.changes message well under the server's 1 MiB frame limit. */
    static final int MESSAGE_BUDGET = 640 * 1024;

    private final Path home;
    private final Path workspace;
    private final WorkspaceSync sync;
    private final Outbox outbox;
    private final Map<WatchKey, Path> keys = new ConcurrentHashMap<>();
    private final Set<String> dirtyFiles = new HashSet<>();
    private final Set<String> changedDirs = new HashSet<>();
    private final Set<String> retry = new HashSet<>();
    private long retryAt;
    private WatchService service;
    private Thread thread;
    private volatile long maxFileBytes;
    private boolean warnedFull;

    WorkspaceWatcher(Path home, WorkspaceSync sync, Outbox outbox) {
        this.home = home;
        this.workspace = sync.workspace();
        this.sync = sync;
        this.outbox = outbox;
    }

    /** Starts watching (once; a second call only changes the size limit) and reports what changed meanwhile. */
    synchronized void start(long maxFileBytes) throws IOException {
        this.maxFileBytes = maxFileBytes;
        if (thread != null) {
            return;
        }
        service = FileSystems.getDefault().newWatchService();
        register(home);
        rescan();
        thread = Thread.ofPlatform().name("kiln-fs-watch").daemon().start(this::run);
    }

    /** After a reconnect: reports the server never answered are made again. */
    void reconnected() {
        var again = sync.forgetUnanswered();
        synchronized (this) {
            dirtyFiles.addAll(again);
        }
        wake();
    }

    boolean running() {
        return thread != null;
    }

    private void run() {
        long firstEvent = 0;
        while (!Thread.currentThread().isInterrupted()) {
            try {
                long now = System.currentTimeMillis();
                boolean dirty;
                synchronized (this) {
                    if (!retry.isEmpty() && now >= retryAt) {
                        dirtyFiles.addAll(retry);
                        retry.clear();
                    }
                    dirty = !dirtyFiles.isEmpty() || !changedDirs.isEmpty();
                }
                if (dirty && firstEvent == 0) {
                    firstEvent = now;
                }
                long wait = !dirty ? 1000 : Math.max(1, Math.min(QUIET_MS, firstEvent + MAX_WAIT_MS - now));
                WatchKey key = service.poll(wait, TimeUnit.MILLISECONDS);
                if (key != null) {
                    handle(key);
                    if (firstEvent == 0) {
                        firstEvent = System.currentTimeMillis();
                    }
                    if (System.currentTimeMillis() - firstEvent < MAX_WAIT_MS) {
                        continue; // the burst goes on: gather more
                    }
                }
                if (dirty || key != null) {
                    flush();
                    firstEvent = 0;
                }
            } catch (InterruptedException | ClosedWatchServiceException e) {
                return;
            } catch (IOException | RuntimeException e) {
                log("watching the home failed for a moment: " + e);
                firstEvent = 0;
            }
        }
    }

    /** Nudges the loop (a reconnect's files to report again). */
    private void wake() {
        // The loop polls at least once a second; nothing more is needed.
    }

    private void handle(WatchKey key) throws IOException {
        Path dir = keys.get(key);
        for (WatchEvent<?> event : key.pollEvents()) {
            if (dir == null) {
                continue;
            }
            if (event.kind() == StandardWatchEventKinds.OVERFLOW) {
                // inotify's queue overflowed: what happened is unknown, so look at everything again.
                rescan();
                synchronized (this) {
                    changedDirs.add("");
                }
                continue;
            }
            Path child = dir.resolve((Path) event.context());
            String name = child.getFileName().toString();
            if (name.startsWith(HomePaths.TEMPORARY_PREFIX)) {
                continue; // the agent's own temporary files (an upload in progress, a sync's write)
            }
            boolean structural = event.kind() != StandardWatchEventKinds.ENTRY_MODIFY;
            boolean isDir = Files.isDirectory(child, LinkOption.NOFOLLOW_LINKS);
            if (event.kind() == StandardWatchEventKinds.ENTRY_CREATE && isDir) {
                register(child);
            }
            synchronized (this) {
                if (structural) {
                    changedDirs.add(relativeToHome(dir));
                }
                if (event.kind() == StandardWatchEventKinds.ENTRY_CREATE && isDir) {
                    // Files made in it before it was watched raised no event of their own.
                    changedDirs.add(relativeToHome(child));
                }
                if (child.startsWith(workspace) && !child.equals(workspace)) {
                    String path = relativeToWorkspace(child);
                    if (path.equals(".git") || path.startsWith(".git/")) {
                        continue;
                    }
                    if (isDir) {
                        dirtyFiles.addAll(filesUnder(child));
                    }
                    if (event.kind() == StandardWatchEventKinds.ENTRY_DELETE) {
                        dirtyFiles.addAll(sync.knownUnder(path));
                    }
                    dirtyFiles.add(path);
                }
            }
        }
        if (!key.reset()) {
            keys.remove(key);
        }
    }

    private void flush() throws IOException {
        List<String> dirs;
        List<String> files;
        synchronized (this) {
            dirs = new ArrayList<>(new TreeSet<>(changedDirs));
            files = new ArrayList<>(dirtyFiles);
            changedDirs.clear();
            dirtyFiles.clear();
        }
        var changes = sync.changes(files, maxFileBytes, INLINE_BYTES);
        var batch = new ArrayList<FromMachine.FsChange>();
        long size = 0;
        for (var change : changes) {
            long cost = 200 + change.path().length() + (change.data() == null ? 0 : change.data().length());
            if (!batch.isEmpty() && size + cost > MESSAGE_BUDGET) {
                send(batch);
                batch = new ArrayList<>();
                size = 0;
            }
            batch.add(change);
            size += cost;
        }
        if (!batch.isEmpty()) {
            send(batch);
        }
        if (!dirs.isEmpty()) {
            outbox.offer(new FromMachine.FsEvents(dirs.size() > 100 ? List.of("") : dirs));
        }
    }

    private void send(List<FromMachine.FsChange> batch) {
        if (!outbox.offer(new FromMachine.FsChanges(batch))) {
            // Not connected, or the outbox is full: undo the reports and make them again in a second.
            var paths = batch.stream().map(FromMachine.FsChange::path).toList();
            sync.forget(paths);
            synchronized (this) {
                retry.addAll(paths);
                retryAt = System.currentTimeMillis() + 1000;
            }
        }
    }

    /** Marks every workspace file and every file the server has as dirty: the next flush reports the differences. */
    private void rescan() throws IOException {
        var files = filesUnder(workspace);
        var known = sync.knownUnder("");
        synchronized (this) {
            dirtyFiles.addAll(files);
            dirtyFiles.addAll(known);
        }
    }

    /** Workspace-relative paths of the files under a folder, without .git and without ignored folders' insides. */
    private List<String> filesUnder(Path dir) throws IOException {
        var files = new ArrayList<String>();
        if (!Files.isDirectory(dir, LinkOption.NOFOLLOW_LINKS) || !dir.startsWith(workspace)) {
            return files;
        }
        Files.walkFileTree(dir, new SimpleFileVisitor<>() {
            @Override
            public FileVisitResult preVisitDirectory(Path d, BasicFileAttributes attributes) {
                if (d.equals(workspace)) {
                    return FileVisitResult.CONTINUE;
                }
                String path = relativeToWorkspace(d);
                return path.equals(".git") || sync.isIgnored(path, true) ? FileVisitResult.SKIP_SUBTREE
                        : FileVisitResult.CONTINUE;
            }

            @Override
            public FileVisitResult visitFile(Path file, BasicFileAttributes attributes) {
                if (attributes.isRegularFile()) {
                    files.add(relativeToWorkspace(file));
                }
                return FileVisitResult.CONTINUE;
            }

            @Override
            public FileVisitResult visitFileFailed(Path file, IOException e) {
                return FileVisitResult.CONTINUE;
            }
        });
        return files;
    }

    /** Registers a folder and the folders under it that are watched (see the class comment). */
    private void register(Path start) throws IOException {
        if (!Files.isDirectory(start, LinkOption.NOFOLLOW_LINKS)) {
            return;
        }
        Files.walkFileTree(start, new SimpleFileVisitor<>() {
            @Override
            public FileVisitResult preVisitDirectory(Path dir, BasicFileAttributes attributes) throws IOException {
                String name = dir.getFileName() == null ? "" : dir.getFileName().toString();
                boolean inWorkspace = dir.startsWith(workspace);
                if (!dir.equals(home) && !dir.equals(workspace)) {
                    if (name.startsWith(HomePaths.TEMPORARY_PREFIX)
                            || (inWorkspace && relativeToWorkspace(dir).equals(".git"))
                            || (!inWorkspace && name.startsWith("."))) {
                        return FileVisitResult.SKIP_SUBTREE;
                    }
                }
                if (keys.size() >= MAX_WATCHED) {
                    if (!warnedFull) {
                        warnedFull = true;
                        log("watching " + MAX_WATCHED + " folders already; changes in more of them show on refresh");
                    }
                    return FileVisitResult.SKIP_SUBTREE;
                }
                keys.put(dir.register(service, StandardWatchEventKinds.ENTRY_CREATE,
                        StandardWatchEventKinds.ENTRY_DELETE, StandardWatchEventKinds.ENTRY_MODIFY), dir);
                boolean ignored = inWorkspace && !dir.equals(workspace) && sync.isIgnored(relativeToWorkspace(dir), true);
                return ignored ? FileVisitResult.SKIP_SUBTREE : FileVisitResult.CONTINUE;
            }

            @Override
            public FileVisitResult visitFileFailed(Path file, IOException e) {
                return FileVisitResult.CONTINUE;
            }
        });
    }

    private String relativeToWorkspace(Path path) {
        return workspace.relativize(path).toString().replace(java.io.File.separatorChar, '/');
    }

    private String relativeToHome(Path path) {
        return home.relativize(path).toString().replace(java.io.File.separatorChar, '/');
    }

    @Override
    public synchronized void close() {
        if (thread != null) {
            thread.interrupt();
        }
        if (service != null) {
            try {
                service.close();
            } catch (IOException ignored) {
                // closing anyway
            }
        }
    }

    private static void log(String message) {
        System.out.println("kiln-agent: " + message);
    }
}
