package dev.kiln.api.studio;

import java.time.Instant;
import java.util.List;

/**
 * A link the owner handed out. {@code path} is the part after the host ("/share/&lt;token&gt;").
 *
 * @param expiresAt null for a link that does not expire
 * @param joined    display names of the people who joined through it
 */
public record ShareLink(String token, String role, Instant createdAt, Instant expiresAt, boolean revoked, List<String> joined) {

    public String path() {
        return "/share/" + token;
    }

    public boolean activeAt(Instant now) {
        return !revoked && (expiresAt == null || expiresAt.isAfter(now));
    }
}
