package dev.kiln.collab;

import tools.jackson.databind.JsonNode;
import tools.jackson.databind.ObjectMapper;
import tools.jackson.databind.node.ObjectNode;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

/**
 * A document on disk: {@code snapshot.json} (text, version, per-client counts, written back blob) plus an
 * append-only {@code log-<version>.jsonl} of the batches accepted since. Each append is forced to disk before it
 * returns. A snapshot is written to a temporary file, forced, and renamed over the old one; it then starts a new
 * log and deletes the old ones (compaction). A batch torn by a crash was never acknowledged and is dropped on load.
 */
public final class FileDocumentStore implements DocumentStore {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String SNAPSHOT = "snapshot.json";

    /** While loading: the version the kept history reaches. */
    private int historyEnd;

    private final Path dir;
    private final boolean fsync;
    private final int keepHistory;
    private FileChannel log;
    /** The version of the newest snapshot: the next log file is named after it. */
    private int snapshotVersion;

    /**
     * @param fsync       false only for benchmarks that want to see the cost of forcing; never in production
     * @param keepHistory how many updates before the latest snapshot to keep on disk for clients catching up
     */
    public FileDocumentStore(Path dir, boolean fsync, int keepHistory) {
        this.dir = dir;
        this.fsync = fsync;
        this.keepHistory = keepHistory;
        try {
            Files.createDirectories(dir);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public FileDocumentStore(Path dir) {
        this(dir, true, DocumentAuthority.Limits.DEFAULT.retainedUpdates());
    }

    @Override
    public synchronized Stored load() {
        var snapshotFile = dir.resolve(SNAPSHOT);
        if (!Files.exists(snapshotFile)) {
            return null;
        }
        historyEnd = -1;
        try {
            var snapshot = JSON.readTree(snapshotFile.toFile());
            int version = snapshot.get("version").asInt();
            snapshotVersion = version;
            var accepted = new LinkedHashMap<String, Integer>();
            snapshot.get("accepted").properties().forEach(e -> accepted.put(e.getKey(), e.getValue().asInt()));
            var history = new ArrayList<Update>();
            var updates = new ArrayList<Update>();
            for (var file : logFiles()) {
                readLog(file, version, history, updates);
            }
            var blob = snapshot.get("blob");
            if (historyEnd != version) {
                history.clear(); // history must end where the snapshot starts
            }
            return new Stored(snapshot.get("text").asString(), version, accepted, updates,
                    blob == null || blob.isNull() ? null : blob.asString(), history);
        } catch (IOException e) {
            throw new UncheckedIOException("Could not read the collaborative document in " + dir, e);
        }
    }

    /**
     * Reads one log: updates up to the snapshot's version go to {@code history} (only a run that ends exactly at
     * the snapshot is kept), later ones to {@code into}.
     */
    private void readLog(Path file, int snapshotAt, List<Update> history, List<Update> into) throws IOException {
        var bytes = Files.readAllBytes(file);
        int lineStart = 0;
        for (int i = 0; i < bytes.length; i++) {
            if (bytes[i] != '\n') {
                continue;
            }
            var line = new String(bytes, lineStart, i - lineStart, StandardCharsets.UTF_8);
            lineStart = i + 1;
            JsonNode batch;
            try {
                batch = JSON.readTree(line);
            } catch (RuntimeException corrupt) {
                throw new IllegalStateException("Corrupt line in " + file + "; the document needs repair", corrupt);
            }
            int from = batch.get("from").asInt();
            var list = batch.get("updates");
            for (int j = 0; j < list.size(); j++) {
                int next = snapshotAt + into.size();
                if (from + j < next) {
                    var update = list.get(j);
                    // Kept for catching up; a gap (a missing older log) restarts the run.
                    if (!history.isEmpty() && historyEnd != from + j) {
                        history.clear();
                    }
                    history.add(new Update(ChangeSet.fromJson(JSON.treeToValue(update.get("changes"), List.class)), update.get("client").asString()));
                    historyEnd = from + j + 1;
                    continue;
                }
                if (from + j > next) {
                    throw new IllegalStateException("Gap in " + file + ": expected version " + next + ", found " + (from + j));
                }
                var update = list.get(j);
                into.add(new Update(ChangeSet.fromJson(JSON.treeToValue(update.get("changes"), List.class)), update.get("client").asString()));
            }
        }
        if (lineStart < bytes.length) {
            truncate(file, lineStart); // the last batch never finished: it was never acknowledged
        }
    }

    /** Appends {@code text} as a JSON string. */
    static void quote(StringBuilder out, String text) {
        out.append('"');
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            switch (c) {
                case '"' -> out.append("\\\"");
                case '\\' -> out.append("\\\\");
                case '\n' -> out.append("\\n");
                case '\r' -> out.append("\\r");
                case '\t' -> out.append("\\t");
                default -> {
                    if (c < 0x20 || Character.isSurrogate(c) && !validSurrogate(text, i)) {
                        out.append(String.format("\\u%04x", (int) c));
                    } else {
                        out.append(c);
                    }
                }
            }
        }
        out.append('"');
    }

    private static boolean validSurrogate(String text, int i) {
        char c = text.charAt(i);
        if (Character.isHighSurrogate(c)) {
            return i + 1 < text.length() && Character.isLowSurrogate(text.charAt(i + 1));
        }
        return i > 0 && Character.isHighSurrogate(text.charAt(i - 1));
    }

    private static void truncate(Path file, long size) throws IOException {
        try (var channel = FileChannel.open(file, StandardOpenOption.WRITE)) {
            channel.truncate(size);
            channel.force(true);
        }
    }

    @Override
    public synchronized void append(int fromVersion, List<Update> updates) {
        var line = new StringBuilder(64 + updates.size() * 48);
        line.append("{\"from\":").append(fromVersion).append(",\"updates\":[");
        for (int i = 0; i < updates.size(); i++) {
            var update = updates.get(i);
            line.append(i == 0 ? "{\"client\":" : ",{\"client\":");
            quote(line, update.clientId());
            line.append(",\"changes\":");
            update.changes().appendJson(line);
            line.append('}');
        }
        line.append("]}\n");
        var bytes = line.toString().getBytes(StandardCharsets.UTF_8);
        try {
            var channel = log();
            var buffer = ByteBuffer.wrap(bytes);
            while (buffer.hasRemaining()) {
                channel.write(buffer);
            }
            if (fsync) {
                channel.force(false);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("Could not save a change to " + dir + "; it was not applied", e);
        }
    }

    @Override
    public synchronized void snapshot(int version, String text, Map<String, Integer> acceptedByClient, String writtenBackBlob) {
        ObjectNode snapshot = JSON.createObjectNode();
        snapshot.put("version", version);
        snapshot.put("text", text);
        var accepted = snapshot.putObject("accepted");
        acceptedByClient.forEach(accepted::put);
        snapshot.put("blob", writtenBackBlob);
        try {
            var tmp = dir.resolve(SNAPSHOT + ".tmp");
            try (var channel = FileChannel.open(tmp, StandardOpenOption.CREATE, StandardOpenOption.WRITE, StandardOpenOption.TRUNCATE_EXISTING)) {
                var buffer = ByteBuffer.wrap(JSON.writeValueAsBytes(snapshot));
                while (buffer.hasRemaining()) {
                    channel.write(buffer);
                }
                if (fsync) {
                    channel.force(true);
                }
            }
            try {
                Files.move(tmp, dir.resolve(SNAPSHOT), StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(tmp, dir.resolve(SNAPSHOT), StandardCopyOption.REPLACE_EXISTING);
            }
            forceDirectory();
            snapshotVersion = version;
            // Compaction: start a new log at this version, and delete logs that hold only updates older than the
            // history kept for clients catching up.
            if (log != null) {
                log.close();
                log = null;
            }
            var files = logFiles();
            for (int i = 0; i < files.size(); i++) {
                long nextStart = i + 1 < files.size() ? startOf(files.get(i + 1)) : version;
                if (nextStart <= (long) version - keepHistory && startOf(files.get(i)) != version) {
                    Files.delete(files.get(i));
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException("Could not write a snapshot of " + dir, e);
        }
    }

    private static long startOf(Path logFile) {
        return Long.parseLong(logFile.getFileName().toString().replaceAll("\\D", ""));
    }

    private FileChannel log() throws IOException {
        if (log == null) {
            // Each snapshot starts a new log file named after its version.
            var file = dir.resolve("log-" + snapshotVersion + ".jsonl");
            log = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.WRITE, StandardOpenOption.APPEND);
        }
        return log;
    }

    private List<Path> logFiles() throws IOException {
        try (Stream<Path> files = Files.list(dir)) {
            return files.filter(p -> p.getFileName().toString().matches("log-\\d+\\.jsonl"))
                    .sorted(Comparator.comparingLong(p -> Long.parseLong(p.getFileName().toString().replaceAll("\\D", ""))))
                    .toList();
        }
    }

    private void forceDirectory() {
        if (!fsync) {
            return;
        }
        try (var channel = FileChannel.open(dir, StandardOpenOption.READ)) {
            channel.force(true);
        } catch (IOException | UnsupportedOperationException ignored) {
            // Not every platform can force a directory; the rename is still atomic.
        }
    }

    @Override
    public synchronized void close() {
        if (log != null) {
            try {
                log.close();
            } catch (IOException ignored) {
                // nothing left to save
            }
            log = null;
        }
    }
}
