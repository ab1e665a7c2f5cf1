package dev.kiln.server.data;

import java.util.HashMap;
import java.util.Map;

/**
 * How many SQL connections are open, per studio and in all, and the limits on both: a query or an export holds a
 * slot from the moment it starts until its connection is closed (its last page read, cancelled, replaced, or idle).
 */
final class QuerySlots {
    /** Over a limit: the sentence to show, and it is answered 429. */
    static final class TooMany extends DataException {
        TooMany(String message) {
            super(message);
        }
    }

    private final int perStudio;
    private final int total;
    private final Map<String, Integer> used = new HashMap<>();
    private int inUse;

    QuerySlots(int perStudio, int total) {
        if (perStudio < 1 || total < 1) {
            throw new IllegalArgumentException("kiln.data.sql.max-per-studio and kiln.data.sql.max-total must be at "
                    + "least 1");
        }
        this.perStudio = perStudio;
        this.total = total;
    }

    /** Takes a slot for the studio, or throws {@link TooMany} saying which limit was reached. */
    synchronized void acquire(String studioId) {
        int studio = used.getOrDefault(studioId, 0);
        if (studio >= perStudio) {
            throw new TooMany("Too many queries running: this studio has " + studio + " open (at most " + perStudio
                    + "; kiln.data.sql.max-per-studio). Cancel one or read it to the end, then try again.");
        }
        if (inUse >= total) {
            throw new TooMany("Too many queries running on this Kiln (" + inUse + "; kiln.data.sql.max-total). Try "
                    + "again in a moment.");
        }
        used.put(studioId, studio + 1);
        inUse++;
    }

    synchronized void release(String studioId) {
        if (used.containsKey(studioId)) {
            used.computeIfPresent(studioId, (k, n) -> n <= 1 ? null : n - 1);
            inUse--;
        }
    }

    synchronized int inUse() {
        return inUse;
    }

    synchronized int inUse(String studioId) {
        return used.getOrDefault(studioId, 0);
    }
}
