package dev.kiln.collab;

import java.util.Objects;

/** One accepted change and the client that made it (so that client can recognise its own updates). */
public record Update(ChangeSet changes, String clientId) {

    public Update {
        Objects.requireNonNull(changes, "changes");
        Objects.requireNonNull(clientId, "clientId");
    }
}
