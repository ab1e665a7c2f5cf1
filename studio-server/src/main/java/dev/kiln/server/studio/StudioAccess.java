package dev.kiln.server.studio;

import dev.kiln.api.studio.StudioException;
import dev.kiln.api.studio.StudioRole;
import dev.kiln.api.studio.StudioSummary;
import dev.kiln.server.security.Users;
import org.springframework.stereotype.Component;

import java.time.Clock;
import java.util.Optional;

/**
 * The one place that decides what a user may do in a studio: the owner may do everything; a member through a
 * valid share link may view, or edit files as an editor. Anyone else is told the studio does not exist, so ids
 * leak nothing. Every route, view and WebSocket asks here, on every request.
 */
@Component
public class StudioAccess {

    /** What a caller needs to do. */
    public enum Need {
        VIEW, EDIT, OWN,
        /** Run code on the studio's machine (type in its terminal, start jobs): editors where machines are sandboxed. */
        RUN_CODE
    }

    private final StudioRepository studios;
    private final Clock clock;
    private final MachineIsolation isolation;

    StudioAccess(StudioRepository studios, Clock clock, MachineIsolation isolation) {
        this.studios = studios;
        this.clock = clock;
        this.isolation = isolation;
    }

    /** Whether someone with this view of a studio may run code on its machine. */
    public boolean mayRunCode(StudioSummary studio) {
        return isolation.sandboxed() ? studio.canEdit() : studio.isOwner();
    }

    /** The studio with the signed-in user's role, or NOT_FOUND / FORBIDDEN. */
    public StudioSummary require(String studioId, Need need) {
        var user = Users.current();
        var studio = lookup(studioId, user.id()).orElseThrow(StudioException::studioNotFound);
        if (need == Need.EDIT && !studio.canEdit()) {
            throw new StudioException(StudioException.Kind.FORBIDDEN, "You can view this studio but not change it (your share link is view-only).");
        }
        if (need == Need.RUN_CODE && !mayRunCode(studio)) {
            throw new StudioException(StudioException.Kind.FORBIDDEN, studio.canEdit()
                    ? "Only the studio's owner can run code on its machine here: " + isolation.unsandboxedReason()
                    : "You can view this studio but not change it (your share link is view-only).");
        }
        if (need == Need.OWN && !studio.isOwner()) {
            throw new StudioException(StudioException.Kind.FORBIDDEN, "Only the studio's owner can do that.");
        }
        return studio;
    }

    /** The studio as {@code userId} sees it (with their role), if they may see it at all. */
    public Optional<StudioSummary> lookup(String studioId, long userId) {
        if (studioId == null || studioId.length() > 64) {
            return Optional.empty();
        }
        return studios.find(studioId).flatMap(row -> {
            var s = row.summary();
            if (row.ownerId() == userId) {
                return Optional.of(withRole(s, StudioRole.OWNER.id()));
            }
            return studios.memberRole(studioId, userId, clock.instant()).map(role -> withRole(s, role));
        });
    }

    private static StudioSummary withRole(StudioSummary s, String role) {
        return new StudioSummary(s.id(), s.name(), s.ownerName(), s.createdAt(), s.updatedAt(), role);
    }
}
