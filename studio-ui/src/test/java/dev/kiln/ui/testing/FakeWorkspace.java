package dev.kiln.ui.testing;

import dev.kiln.api.files.FileContent;
import dev.kiln.api.files.FileRevision;
import dev.kiln.api.studio.StudioException;
import dev.kiln.api.files.StudioWorkspace;
import dev.kiln.api.files.WorkspaceEntry;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * One workspace in memory (the same files for every studio id): text files by path, binary ones as their size, and a
 * commit per change. {@link FakeFiles} shows the same files in the file tree.
 */
public final class FakeWorkspace implements StudioWorkspace {
    final Map<String, String> text = new TreeMap<>();
    final Map<String, Long> binary = new TreeMap<>();
    final Map<String, List<FileRevision>> history = new TreeMap<>();
    public final List<String> commitsNow = new ArrayList<>();
    private final Instant now;
    private int commits;

    public FakeWorkspace(Instant now) {
        this.now = now;
    }

    public FakeWorkspace file(String path, String content) {
        text.put(path, content);
        commit(path, "Create " + path);
        return this;
    }

    public FakeWorkspace binaryFile(String path, long size) {
        binary.put(path, size);
        return this;
    }

    private void commit(String path, String message) {
        history.computeIfAbsent(path, p -> new ArrayList<>())
                .addFirst(new FileRevision("%040x".formatted(++commits), message, "Ada Lovelace", now));
    }

    @Override
    public List<WorkspaceEntry> tree(String studioId) {
        var entries = new ArrayList<WorkspaceEntry>();
        var folders = new TreeSet<String>();
        for (String path : paths()) {
            for (int slash = path.indexOf('/'); slash > 0; slash = path.indexOf('/', slash + 1)) {
                folders.add(path.substring(0, slash));
            }
        }
        folders.forEach(f -> entries.add(new WorkspaceEntry(f, true, 0)));
        text.forEach((p, t) -> entries.add(new WorkspaceEntry(p, false, t.length())));
        binary.forEach((p, size) -> entries.add(new WorkspaceEntry(p, false, size)));
        entries.sort(java.util.Comparator.comparing(WorkspaceEntry::path));
        return entries;
    }

    List<String> paths() {
        var all = new TreeSet<>(text.keySet());
        all.addAll(binary.keySet());
        return List.copyOf(all);
    }

    @Override
    public FileContent read(String studioId, String path) {
        if (text.containsKey(path)) {
            return new FileContent(path, text.get(path), "v" + text.get(path).hashCode(), false, text.get(path).length());
        }
        if (binary.containsKey(path)) {
            return new FileContent(path, "", "b", true, binary.get(path));
        }
        throw new StudioException(StudioException.Kind.NOT_FOUND, "No file " + path + " in the workspace.");
    }

    @Override
    public FileContent save(String studioId, String path, String content, String baseVersion) {
        text.put(path, content);
        commit(path, "Edit " + path);
        return read(studioId, path);
    }

    @Override
    public void createFile(String studioId, String path) {
        if (text.containsKey(path)) {
            throw new StudioException(StudioException.Kind.INVALID, path + " exists already.");
        }
        file(path, "");
    }

    @Override
    public void createFolder(String studioId, String path) {
    }

    @Override
    public void rename(String studioId, String fromPath, String toPath) {
        text.put(toPath, text.remove(fromPath));
    }

    @Override
    public void delete(String studioId, String path) {
        text.keySet().removeIf(p -> p.equals(path) || p.startsWith(path + "/"));
        binary.keySet().removeIf(p -> p.equals(path) || p.startsWith(path + "/"));
    }

    @Override
    public List<FileRevision> history(String studioId, String path) {
        return history.getOrDefault(path, List.of());
    }

    @Override
    public FileContent readAt(String studioId, String path, String commitId) {
        return read(studioId, path);
    }

    @Override
    public void restore(String studioId, String path, String commitId) {
        commit(path, "Restore " + path);
    }

    @Override
    public void commitNow(String studioId, String path) {
        commitsNow.add(path);
        commit(path, "Edit " + path);
    }

    @Override
    public long maxFileBytes() {
        return 1 << 20;
    }
}
