package dev.kiln.server.collab;

import dev.kiln.collab.CollabRoom.Participant;
import dev.kiln.collab.DocumentStore;
import dev.kiln.server.workspace.Workspace;
import tools.jackson.databind.json.JsonMapper;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Stream;

/**
 * Where each live document's log lives: {@code <data-dir>/collab/<studio>/<hash of the path>/}. Beside the log it
 * keeps the file's path (so a restart can find the document a log belongs to and write it back) and who each client
 * id was (so edits written back after a restart still credit the people who made them).
 */
final class CollabStores {

    private static final String PATH_FILE = "path.txt";
    private static final String PEOPLE_FILE = "people.jsonl";
    private static final String WRITING_BACK_FILE = "writing-back.txt";

    /** A document found on disk: its studio, file path and log directory. */
    record Found(String studioId, String path, Path dir) {
    }

    private final Path root;

    CollabStores(Path root) {
        this.root = root;
    }

    Path dir(String studioId, String path) {
        return root.resolve(studioId).resolve(hash(path));
    }

    /** Remembers which file a log belongs to (written once, before the first update is accepted). */
    void rememberPath(String studioId, String path) {
        var file = dir(studioId, path).resolve(PATH_FILE);
        if (Files.exists(file)) {
            return;
        }
        try {
            Files.createDirectories(file.getParent());
            var tmp = file.resolveSibling(PATH_FILE + ".tmp");
            Files.writeString(tmp, path);
            Files.move(tmp, file, java.nio.file.StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException e) {
            throw new UncheckedIOException("Could not prepare the collaboration log of " + path, e);
        }
    }

    /**
     * Records, before the text goes to the workspace, which blob is about to be written there. A crash between the
     * commit and the log's next snapshot then still lets a restart tell that blob for ours, instead of taking it
     * for an edit made outside and merging it in a second time.
     */
    void writingBack(String studioId, String path, String blob) {
        var file = dir(studioId, path).resolve(WRITING_BACK_FILE);
        try (var channel = java.nio.channels.FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                StandardOpenOption.TRUNCATE_EXISTING)) {
            channel.write(java.nio.ByteBuffer.wrap(blob.getBytes(StandardCharsets.US_ASCII)));
            channel.force(false);
        } catch (IOException e) {
            throw new UncheckedIOException("Could not prepare writing " + path + " back", e);
        }
    }

    /** The blob last being written back, if recorded. */
    Optional<String> lastWritingBack(String studioId, String path) {
        try {
            var text = Files.readString(dir(studioId, path).resolve(WRITING_BACK_FILE), StandardCharsets.US_ASCII).strip();
            return text.matches("[0-9a-f]{40}") ? Optional.of(text) : Optional.empty();
        } catch (IOException e) {
            return Optional.empty();
        }
    }

    /** Remembers who a client id is, once per client id. */
    void rememberPerson(String studioId, String path, String clientId, Participant who) {
        var line = JsonMapper.shared().createObjectNode().put("clientId", clientId).put("name", who.name())
                .put("email", who.email()).toString() + "\n";
        try {
            Files.writeString(dir(studioId, path).resolve(PEOPLE_FILE), line, StandardCharsets.UTF_8,
                    StandardOpenOption.CREATE, StandardOpenOption.APPEND);
        } catch (IOException e) {
            // Only commit credits depend on it; the edits themselves are in the log.
        }
    }

    /** Name and email per client id, as far as they were recorded. */
    Map<String, String[]> people(String studioId, String path) {
        var people = new LinkedHashMap<String, String[]>();
        var file = dir(studioId, path).resolve(PEOPLE_FILE);
        if (!Files.exists(file)) {
            return people;
        }
        try {
            for (var line : Files.readAllLines(file, StandardCharsets.UTF_8)) {
                try {
                    var node = JsonMapper.shared().readTree(line);
                    people.put(node.get("clientId").asString(), new String[] {node.get("name").asString(), node.get("email").asString()});
                } catch (RuntimeException torn) {
                    // a line the crash cut short
                }
            }
        } catch (IOException e) {
            return people;
        }
        return people;
    }

    /**
     * Every document with a log. A log from before the path was recorded is matched to its file by hashing the
     * paths of the studio's workspace ({@code workspaceOf} gives it, or empty for a studio that is gone).
     */
    List<Found> all(java.util.function.Function<String, Optional<Workspace>> workspaceOf) {
        var found = new ArrayList<Found>();
        if (!Files.isDirectory(root)) {
            return found;
        }
        try (Stream<Path> studios = Files.list(root)) {
            for (var studioDir : studios.filter(Files::isDirectory).toList()) {
                var studioId = studioDir.getFileName().toString();
                Map<String, String> byHash = null;
                try (Stream<Path> documents = Files.list(studioDir)) {
                    for (var dir : documents.filter(Files::isDirectory).toList()) {
                        var pathFile = dir.resolve(PATH_FILE);
                        String path = Files.exists(pathFile) ? Files.readString(pathFile) : null;
                        if (path == null) {
                            if (byHash == null) {
                                byHash = new LinkedHashMap<>();
                                for (var workspace : workspaceOf.apply(studioId).stream().toList()) {
                                    for (var entry : workspace.tree()) {
                                        if (!entry.directory()) {
                                            byHash.put(hash(entry.path()), entry.path());
                                        }
                                    }
                                }
                            }
                            path = byHash.get(dir.getFileName().toString());
                        }
                        if (path != null) {
                            found.add(new Found(studioId, path, dir));
                        }
                    }
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException("Could not list the collaboration logs in " + root, e);
        }
        return found;
    }

    /** Whether a stored document holds text that was never written back (its log is ahead of git). */
    static boolean aheadOfWriteBack(DocumentStore.Stored stored) {
        return stored != null && (!stored.updatesAfterSnapshot().isEmpty()
                || !Workspace.versionOf(stored.text()).equals(stored.writtenBackBlob()));
    }

    static String hash(String path) {
        try {
            var digest = MessageDigest.getInstance("SHA-256").digest(path.getBytes(StandardCharsets.UTF_8));
            return HexFormat.of().formatHex(digest, 0, 16);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
