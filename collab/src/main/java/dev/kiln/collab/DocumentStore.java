package dev.kiln.collab;

import java.util.List;
import java.util.Map;

/**
 * Where a document's accepted updates are kept. {@link #append} returns only once the updates are durable
 * (written and forced to disk for the file store), so an acknowledged change survives a crash.
 */
public interface DocumentStore extends AutoCloseable {

    /**
     * A document as found in the store: a snapshot, the updates accepted after it, and the updates just before it
     * that are still kept ({@code history}, ending at the snapshot's version), so that clients a little behind can
     * catch up update by update after a restart instead of starting over.
     */
    record Stored(String text, int version, Map<String, Integer> acceptedByClient, List<Update> updatesAfterSnapshot,
                  String writtenBackBlob, List<Update> history) {
    }

    /** The stored document, or null if the store is new. */
    Stored load();

    /** Makes {@code updates} (the first being version {@code fromVersion} + 1) durable. */
    void append(int fromVersion, List<Update> updates);

    /**
     * Records the full text at {@code version} and how many updates each client has had accepted up to it;
     * updates up to it may then be dropped from the log.
     */
    void snapshot(int version, String text, Map<String, Integer> acceptedByClient, String writtenBackBlob);

    @Override
    void close();
}
