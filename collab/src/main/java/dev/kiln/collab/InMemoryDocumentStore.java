package dev.kiln.collab;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/** A store that forgets everything with the process: for tests and for documents that need no durability. */
public final class InMemoryDocumentStore implements DocumentStore {

    private String text;
    private int version;
    private String blob;
    private Map<String, Integer> accepted = Map.of();
    private final List<Update> log = new ArrayList<>();

    @Override
    public synchronized Stored load() {
        return text == null && log.isEmpty() ? null : new Stored(text == null ? "" : text, version, accepted, List.copyOf(log), blob, List.of());
    }

    @Override
    public synchronized void append(int fromVersion, List<Update> updates) {
        if (fromVersion != version + log.size()) {
            throw new IllegalStateException("Gap in the log: at " + (version + log.size()) + ", got " + fromVersion);
        }
        log.addAll(updates);
    }

    @Override
    public synchronized void snapshot(int atVersion, String atText, Map<String, Integer> acceptedByClient, String writtenBackBlob) {
        int drop = atVersion - version;
        log.subList(0, Math.min(drop, log.size())).clear();
        version = atVersion;
        text = atText;
        blob = writtenBackBlob;
        accepted = Map.copyOf(acceptedByClient);
    }

    @Override
    public void close() {
    }
}
