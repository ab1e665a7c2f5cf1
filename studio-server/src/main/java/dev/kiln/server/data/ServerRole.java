package dev.kiln.server.data;

import org.springframework.beans.factory.annotation.Value;
import org.springframework.stereotype.Component;

import java.util.Arrays;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * Whether an S3 connection without keys may use this server's own AWS identity (instance role, web identity, the
 * server's environment): only where the admin turned it on ({@code kiln.data.server-role.enabled}) and only for the
 * buckets the admin named ({@code kiln.data.server-role.buckets}). Off by default, because otherwise anyone who can
 * add a connection acts with the server's cloud role on every bucket it can reach.
 */
@Component
class ServerRole {
    static final String REFUSED = "Give an access key and its secret. This Kiln does not let connections use the "
            + "server's own AWS identity";

    private final boolean enabled;
    private final Set<String> buckets;

    ServerRole(@Value("${kiln.data.server-role.enabled:false}") boolean enabled,
               @Value("${kiln.data.server-role.buckets:}") String buckets) {
        this.enabled = enabled;
        this.buckets = Arrays.stream(buckets.split("[,\\s]+")).map(String::strip).filter(b -> !b.isEmpty())
                .collect(Collectors.toUnmodifiableSet());
    }

    /** Null when a key-less connection to {@code bucket} may use the server's identity; else what to tell the user. */
    String refusal(String bucket) {
        if (!enabled) {
            return REFUSED + " (an admin can allow it for named buckets: kiln.data.server-role.enabled and "
                    + "kiln.data.server-role.buckets).";
        }
        if (!buckets.contains(bucket)) {
            return REFUSED + " for bucket '" + bucket + "' (kiln.data.server-role.buckets does not name it).";
        }
        return null;
    }
}
