package dev.kiln.server.studio;

import java.util.Set;

/**
 * A component that holds live state for studios: open documents, terminals, running queries, transfers, outputs,
 * activity. Each kind of state has one owner that can say which studios it holds and let one go; {@link LiveStudios}
 * releases a studio everywhere at once when it is deleted. It is also the boundary a "one server replica owns a
 * studio" lease would use: losing the lease releases the studio here, and the replica that takes it over starts
 * from what is stored.
 */
public interface StudioScoped {

    /** The studios this holds anything for right now. */
    Set<String> liveStudios();

    /** Ends and forgets everything held for {@code studioId} (the studio is being deleted); safe to repeat. */
    void release(String studioId);
}
