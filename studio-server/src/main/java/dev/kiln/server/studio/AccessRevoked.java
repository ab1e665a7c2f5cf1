package dev.kiln.server.studio;

import java.util.List;

/** Published when people lose access to a studio (a share link revoked), so open connections can be ended. */
public record AccessRevoked(String studioId, List<Long> userIds) {
}
