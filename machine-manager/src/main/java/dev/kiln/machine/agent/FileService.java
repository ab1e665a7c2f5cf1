package dev.kiln.machine.agent;

import dev.kiln.machine.files.Archives;
import dev.kiln.machine.files.FileRefusal;
import dev.kiln.machine.files.HomePaths;
import dev.kiln.machine.protocol.FromMachine;
import dev.kiln.machine.protocol.ToMachine;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.PipedInputStream;
import java.io.PipedOutputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.AccessDeniedException;
import java.nio.file.DirectoryNotEmptyException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Executor;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Predicate;

/**
 * The machine's side of the studio's file tree: lists, reads, sends and receives files of the home, deletes,
 * renames and creates folders, each path checked by {@link HomePaths} (nothing outside the home, nothing of
 * {@code ~/.kiln}, nothing of the workspace's {@code .git}). Bytes travel over HTTP to and from one-time URLs the
 * server gives (its side streams them on to the browser), so a file of any size costs a buffer, and the machine's
 * WebSocket carries only small messages. An upload is written to a hidden part file beside its target and renamed
 * into place when every byte is there: an interrupted upload or a full disk leaves nothing half-written in view.
 */
final class FileService implements AutoCloseable {
    static final int MAX_READ = 512 * 1024;
    /** Keeps a listing message well under the server's 1 MiB frame limit. */
    static final int LISTING_BUDGET = 700 * 1024;

    private final Outbox outbox;
    private final HomePaths paths;
    private final String serverUrl;
    private final WorkspaceSync sync;
    private final WorkspaceWatcher watcher;
    private final Executor serial;
    private final ExecutorService work = Executors.newCachedThreadPool(
            Thread.ofPlatform().name("kiln-fs-", 0).daemon().factory());
    private final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(10)).build();

    FileService(Outbox outbox, Path home, String serverUrl, WorkspaceSync sync, WorkspaceWatcher watcher,
                Executor serial) {
        this.outbox = outbox;
        this.paths = new HomePaths(home);
        this.serverUrl = serverUrl.replaceAll("/$", "");
        this.sync = sync;
        this.watcher = watcher;
        this.serial = serial;
    }

    void handle(ToMachine.Fs message) {
        switch (message) {
            case ToMachine.FsWatch watch -> serial.execute(() -> {
                try {
                    watcher.start(watch.maxFileBytes());
                } catch (IOException | RuntimeException e) {
                    log("cannot watch the home: " + e);
                }
            });
            case ToMachine.FsApplied applied -> serial.execute(() -> {
                try {
                    sync.applied(applied.path(), applied.blob(), applied.result(), applied.error());
                } catch (IOException | RuntimeException e) {
                    log("cannot take the server's version of " + applied.path() + ": " + e);
                }
            });
            case ToMachine.FsList list -> work.execute(() -> outbox.offer(list(list)));
            case ToMachine.FsRead read -> work.execute(() -> outbox.offer(read(read)));
            case ToMachine.FsSend send -> work.execute(() -> done(send.id(), () -> send(send)));
            case ToMachine.FsReceive receive -> work.execute(() -> done(receive.id(), () -> receive(receive)));
            case ToMachine.FsDelete delete -> work.execute(() -> done(delete.id(), () -> delete(delete.path())));
            case ToMachine.FsRename rename -> work.execute(() -> done(rename.id(),
                    () -> rename(rename.from(), rename.to())));
            case ToMachine.FsMkdir mkdir -> work.execute(() -> done(mkdir.id(), () -> mkdir(mkdir.path())));
        }
    }

    private interface Operation {
        long run() throws IOException, InterruptedException;
    }

    private void done(String id, Operation operation) {
        try {
            outbox.offer(new FromMachine.FsDone(id, operation.run(), null, null));
        } catch (FileRefusal e) {
            outbox.offer(new FromMachine.FsDone(id, null, e.getMessage(), e.kind()));
        } catch (IOException e) {
            var refusal = refusal(e);
            outbox.offer(new FromMachine.FsDone(id, null, refusal.getMessage(), refusal.kind()));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            outbox.offer(new FromMachine.FsDone(id, null, "the machine is stopping", "CONFLICT"));
        } catch (RuntimeException e) {
            outbox.offer(new FromMachine.FsDone(id, null, String.valueOf(e.getMessage()), "INVALID"));
        }
    }

    /** An I/O failure in words a person can act on, with the kind of refusal it is. */
    static FileRefusal refusal(IOException e) {
        String message = String.valueOf(e.getMessage());
        if (e instanceof NoSuchFileException) {
            return FileRefusal.notFound("Not found on the machine: " + shortName(message));
        }
        if (e instanceof FileAlreadyExistsException) {
            return new FileRefusal("CONFLICT", shortName(message) + " already exists on the machine.");
        }
        if (e instanceof AccessDeniedException) {
            return FileRefusal.forbidden("The machine's user may not do that to " + shortName(message)
                    + " (permission denied).");
        }
        if (e instanceof DirectoryNotEmptyException) {
            return new FileRefusal("CONFLICT", shortName(message) + " is a folder that is not empty.");
        }
        if (message.contains("No space left on device") || message.contains("Disk quota exceeded")) {
            return new FileRefusal("TOO_LARGE", "The machine's disk is full: nothing was written. Free some space "
                    + "(or use a machine with a larger disk) and try again.");
        }
        return FileRefusal.invalid("The machine could not do that: " + message);
    }

    private static String shortName(String path) {
        int home = path.indexOf("/home/kiln/");
        return home >= 0 ? "~/" + path.substring(home + "/home/kiln/".length()) : path;
    }

    // ---- listing and reading

    FromMachine.FsListing list(ToMachine.FsList request) {
        String root;
        try {
            root = HomePaths.check(request.path());
            Path dir = paths.resolve(root);
            if (!Files.exists(dir)) {
                throw FileRefusal.notFound("Not found on the machine: ~/" + root);
            }
            if (!Files.isDirectory(dir)) {
                throw FileRefusal.invalid("~/" + root + " is a file, not a folder.");
            }
            var entries = new ArrayList<FromMachine.FsEntry>();
            var queue = new ArrayDeque<String>();
            queue.add(root);
            long budget = 0;
            boolean truncated = false;
            while (!queue.isEmpty() && !truncated) {
                String folder = queue.poll();
                for (var entry : children(folder)) {
                    if (entries.size() >= request.max() || budget > LISTING_BUDGET) {
                        truncated = true;
                        break;
                    }
                    entries.add(entry);
                    budget += 90 + entry.path().length();
                    if (request.recursive() && entry.dir() && !Boolean.TRUE.equals(entry.link())
                            && !Boolean.TRUE.equals(entry.ignored())) {
                        queue.add(entry.path());
                    }
                }
            }
            return new FromMachine.FsListing(request.id(), root, entries, truncated, null, null);
        } catch (FileRefusal e) {
            return new FromMachine.FsListing(request.id(), request.path(), List.of(), false, e.getMessage(), e.kind());
        } catch (IOException e) {
            var refusal = refusal(e);
            return new FromMachine.FsListing(request.id(), request.path(), List.of(), false, refusal.getMessage(),
                    refusal.kind());
        }
    }

    /** A folder's entries, folders first, by name; the agent's own and git's folders left out. */
    private List<FromMachine.FsEntry> children(String folder) throws IOException {
        Path dir = paths.resolve(folder);
        var entries = new ArrayList<FromMachine.FsEntry>();
        try (var stream = Files.newDirectoryStream(dir)) {
            for (Path child : stream) {
                String name = child.getFileName().toString();
                if (name.startsWith(HomePaths.TEMPORARY_PREFIX) || (folder.isEmpty() && name.equals(HomePaths.AGENT_DIR))
                        || (folder.equals(HomePaths.WORKSPACE) && name.equals(".git"))) {
                    continue;
                }
                String path = folder.isEmpty() ? name : folder + "/" + name;
                try {
                    entries.add(entry(path, child));
                } catch (IOException e) {
                    // vanished while listing
                }
            }
        }
        entries.sort(Comparator.comparing((FromMachine.FsEntry e) -> !e.dir())
                .thenComparing(e -> e.path().toLowerCase(Locale.ROOT)));
        return entries;
    }

    private FromMachine.FsEntry entry(String path, Path file) throws IOException {
        var attributes = Files.readAttributes(file, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
        boolean link = attributes.isSymbolicLink();
        boolean dir = attributes.isDirectory();
        long size = attributes.size();
        long modified = attributes.lastModifiedTime().toMillis();
        if (link) {
            // Shown as what it points to only when that is inside the home.
            dir = false;
            size = 0;
            try {
                Path target = file.toRealPath();
                if (target.startsWith(paths.home())) {
                    var real = Files.readAttributes(target, BasicFileAttributes.class);
                    dir = real.isDirectory();
                    size = real.isDirectory() ? 0 : real.size();
                }
            } catch (IOException e) {
                // a link to nowhere
            }
        }
        Boolean ignored = null;
        if (HomePaths.inWorkspace(path) && !path.equals(HomePaths.WORKSPACE)) {
            String relative = HomePaths.workspaceRelative(path);
            boolean isIgnored = !sync.isKnown(relative) && sync.isIgnored(relative, dir);
            ignored = isIgnored ? Boolean.TRUE : null;
        }
        return new FromMachine.FsEntry(path, dir, dir ? 0 : size, modified, link ? Boolean.TRUE : null, ignored);
    }

    FromMachine.FsData read(ToMachine.FsRead request) {
        try {
            Path file = paths.resolve(request.path());
            if (!Files.isRegularFile(file)) {
                throw Files.isDirectory(file) ? FileRefusal.invalid("~/" + HomePaths.check(request.path())
                        + " is a folder.") : FileRefusal.notFound("Not found on the machine: ~/"
                        + HomePaths.check(request.path()));
            }
            int length = Math.max(0, Math.min(MAX_READ, request.length()));
            var buffer = ByteBuffer.allocate(length);
            long size;
            try (var channel = FileChannel.open(file)) {
                size = channel.size();
                long offset = Math.max(0, request.offset());
                while (buffer.hasRemaining() && offset + buffer.position() < size) {
                    if (channel.read(buffer, offset + buffer.position()) < 0) {
                        break;
                    }
                }
            }
            byte[] bytes = new byte[buffer.position()];
            buffer.flip().get(bytes);
            return new FromMachine.FsData(request.id(), size, Files.getLastModifiedTime(file).toMillis(),
                    Base64.getEncoder().encodeToString(bytes), null, null);
        } catch (FileRefusal e) {
            return new FromMachine.FsData(request.id(), 0, 0, null, e.getMessage(), e.kind());
        } catch (IOException e) {
            var refusal = refusal(e);
            return new FromMachine.FsData(request.id(), 0, 0, null, refusal.getMessage(), refusal.kind());
        }
    }

    // ---- bytes to and from the server

    /** What archives leave out: the agent's folder, the workspace's .git, temporary files. */
    private Predicate<Path> skipped() {
        Path agentDir = paths.home().resolve(HomePaths.AGENT_DIR);
        Path git = paths.home().resolve(HomePaths.WORKSPACE).resolve(".git");
        return p -> p.equals(agentDir) || p.equals(git)
                || p.getFileName().toString().startsWith(HomePaths.TEMPORARY_PREFIX);
    }

    private long send(ToMachine.FsSend request) throws IOException, InterruptedException {
        URI target = URI.create(serverUrl + request.url());
        if (request.blob() != null) {
            byte[] bytes = sync.object(request.blob());
            if (bytes == null) {
                throw FileRefusal.notFound("The machine no longer has that version of the file.");
            }
            return put(target, HttpRequest.BodyPublishers.ofByteArray(bytes), bytes.length, null);
        }
        Path file = paths.resolve(request.path());
        if (!Files.exists(file)) {
            throw FileRefusal.notFound("Not found on the machine: ~/" + HomePaths.check(request.path()));
        }
        String format = request.format() == null ? "file" : request.format();
        if (Files.isRegularFile(file) && format.equals("file")) {
            return put(target, HttpRequest.BodyPublishers.ofFile(file), Files.size(file), null);
        }
        if (!Files.isDirectory(file) && format.equals("file")) {
            throw FileRefusal.invalid("That is not a file.");
        }
        // A folder asked for "as it is" comes as a zip.
        var archive = Archives.Format.of(format.equals("file") ? "zip" : format);
        // The archive is written on one thread while the HTTP client reads it on another: a 1 MB pipe between.
        var in = new PipedInputStream(1 << 20);
        var out = new PipedOutputStream(in);
        var written = new AtomicLong();
        var failure = new java.util.concurrent.atomic.AtomicReference<IOException>();
        work.execute(() -> {
            try (OutputStream pipe = out) {
                written.set(Archives.write(file, archive, pipe, skipped()));
            } catch (IOException e) {
                failure.set(e);
            }
        });
        try (InputStream body = in) {
            put(target, HttpRequest.BodyPublishers.ofInputStream(() -> body), -1, archive.extension());
        }
        if (failure.get() != null) {
            throw failure.get();
        }
        return written.get();
    }

    private long put(URI target, HttpRequest.BodyPublisher body, long size, String format)
            throws IOException, InterruptedException {
        var request = HttpRequest.newBuilder(target).PUT(body).timeout(Duration.ofHours(12));
        if (size >= 0) {
            request.header("X-Kiln-Size", Long.toString(size));
        }
        if (format != null) {
            request.header("X-Kiln-Format", format);
        }
        HttpResponse<Void> response = http.send(request.build(), HttpResponse.BodyHandlers.discarding());
        if (response.statusCode() / 100 != 2) {
            throw FileRefusal.invalid("The server stopped taking the file (HTTP " + response.statusCode() + ").");
        }
        return size;
    }

    private long receive(ToMachine.FsReceive request) throws IOException, InterruptedException {
        String checked = HomePaths.check(request.path());
        if (checked.isEmpty() || checked.equals(HomePaths.WORKSPACE)) {
            throw FileRefusal.invalid("Give the file's name, not only its folder.");
        }
        Path file = paths.resolve(checked);
        if (Files.isDirectory(file)) {
            throw new FileRefusal("CONFLICT", "~/" + checked + " is a folder.");
        }
        if (Files.exists(file, LinkOption.NOFOLLOW_LINKS) && !request.overwrite()) {
            throw new FileRefusal("CONFLICT", "~/" + checked + " already exists.");
        }
        Path parent = file.getParent();
        Files.createDirectories(parent);
        long free = Files.getFileStore(parent).getUsableSpace();
        if (request.size() > free) {
            throw new FileRefusal("TOO_LARGE", "The machine's disk has " + human(free) + " free; this file needs "
                    + human(request.size()) + ". Nothing was written.");
        }
        Path part = parent.resolve(HomePaths.TEMPORARY_PREFIX + "upload-" + request.id() + ".part");
        try {
            HttpResponse<InputStream> response = http.send(HttpRequest.newBuilder(URI.create(serverUrl + request.url()))
                    .GET().build(), HttpResponse.BodyHandlers.ofInputStream());
            if (response.statusCode() != 200) {
                response.body().close();
                throw FileRefusal.invalid("The server did not hand over the upload (HTTP " + response.statusCode()
                        + ").");
            }
            long copied = 0;
            byte[] buffer = new byte[256 * 1024];
            try (InputStream in = response.body(); OutputStream out = Files.newOutputStream(part)) {
                int n;
                while ((n = in.read(buffer)) > 0) {
                    out.write(buffer, 0, n);
                    copied += n;
                    if (copied > request.size()) {
                        throw FileRefusal.invalid("The upload was longer than it said.");
                    }
                }
            } catch (IOException e) {
                if (refusal(e).kind().equals("TOO_LARGE")) {
                    throw refusal(e);
                }
                throw FileRefusal.invalid("The upload was cut off after " + human(copied(part)) + " of "
                        + human(request.size()) + "; nothing was written.");
            }
            if (copied != request.size()) {
                throw FileRefusal.invalid("The upload was cut off after " + human(copied) + " of "
                        + human(request.size()) + "; nothing was written.");
            }
            // One rename: whoever looks sees the old file or the whole new one, never a part.
            Files.move(part, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
            return copied;
        } finally {
            Files.deleteIfExists(part);
        }
    }

    private static long copied(Path part) {
        try {
            return Files.size(part);
        } catch (IOException e) {
            return 0;
        }
    }

    static String human(long bytes) {
        if (bytes < 1024) {
            return bytes + " B";
        }
        String[] units = {"KB", "MB", "GB", "TB"};
        double value = bytes;
        int unit = -1;
        while (value >= 1024 && unit < units.length - 1) {
            value /= 1024;
            unit++;
        }
        return String.format(Locale.ROOT, value >= 100 ? "%.0f %s" : "%.1f %s", value, units[unit]);
    }

    // ---- changes

    private long delete(String path) throws IOException {
        String checked = HomePaths.check(path);
        if (checked.isEmpty() || checked.equals(HomePaths.WORKSPACE)) {
            throw FileRefusal.invalid(checked.isEmpty() ? "The home itself can't be deleted."
                    : "The workspace itself can't be deleted (delete what is in it).");
        }
        Path target = paths.resolveEntry(checked);
        if (!Files.exists(target, LinkOption.NOFOLLOW_LINKS)) {
            throw FileRefusal.notFound("Not found on the machine: ~/" + checked);
        }
        long[] count = {0};
        Files.walkFileTree(target, new SimpleFileVisitor<>() {
            @Override
            public FileVisitResult visitFile(Path file, BasicFileAttributes attributes) throws IOException {
                Files.delete(file);
                count[0]++;
                return FileVisitResult.CONTINUE;
            }

            @Override
            public FileVisitResult postVisitDirectory(Path dir, IOException e) throws IOException {
                if (e != null) {
                    throw e;
                }
                Files.delete(dir);
                return FileVisitResult.CONTINUE;
            }
        });
        return count[0];
    }

    private long rename(String from, String to) throws IOException {
        String source = HomePaths.check(from);
        String target = HomePaths.check(to);
        for (String p : List.of(source, target)) {
            if (p.isEmpty() || p.equals(HomePaths.WORKSPACE)) {
                throw FileRefusal.invalid("The home and the workspace themselves can't be moved.");
            }
        }
        Path a = paths.resolveEntry(source);
        Path b = paths.resolveEntry(target);
        if (!Files.exists(a, LinkOption.NOFOLLOW_LINKS)) {
            throw FileRefusal.notFound("Not found on the machine: ~/" + source);
        }
        if (Files.exists(b, LinkOption.NOFOLLOW_LINKS)) {
            throw new FileRefusal("CONFLICT", "~/" + target + " already exists.");
        }
        if (b.startsWith(a)) {
            throw FileRefusal.invalid("A folder can't be moved into itself.");
        }
        Files.createDirectories(b.getParent());
        Files.move(a, b);
        return 0;
    }

    private long mkdir(String path) throws IOException {
        String checked = HomePaths.check(path);
        Path dir = paths.resolve(checked);
        if (Files.exists(dir, LinkOption.NOFOLLOW_LINKS)) {
            throw new FileRefusal("CONFLICT", "~/" + checked + " already exists.");
        }
        Files.createDirectories(dir);
        return 0;
    }

    @Override
    public void close() {
        work.shutdownNow();
    }

    private static void log(String message) {
        System.out.println("kiln-agent: " + message);
    }
}
