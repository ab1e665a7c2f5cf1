package dev.kiln.ui.testing;

import dev.kiln.api.studio.ShareInvitation;
import dev.kiln.api.studio.ShareLink;
import dev.kiln.api.studio.StudioException;
import dev.kiln.api.studio.StudioMember;
import dev.kiln.api.studio.StudioSharing;
import dev.kiln.api.studio.StudioSummary;

import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Share links in memory: created by the owner, an invitation per token, joining gives the studio with the role. */
public final class FakeSharing implements StudioSharing {
    private final Clock clock;
    private final FakeCatalog catalog;
    private final Map<String, ShareLink> links = new LinkedHashMap<>();
    /** Invitations by token, for the confirmation page; a token absent here is refused like a revoked one. */
    public final Map<String, ShareInvitation> invitations = new LinkedHashMap<>();
    public final List<StudioMember> members = new ArrayList<>(List.of(new StudioMember("Ada Lovelace", "owner")));
    public final List<String> joined = new ArrayList<>();
    private int next = 1;

    public FakeSharing(Clock clock, FakeCatalog catalog) {
        this.clock = clock;
        this.catalog = catalog;
    }

    @Override
    public ShareLink createLink(String studioId, String role, Duration validFor) {
        var link = new ShareLink("token" + next++, role, clock.instant(),
                validFor == null ? null : clock.instant().plus(validFor), false, List.of());
        links.put(link.token(), link);
        return link;
    }

    @Override
    public List<ShareLink> links(String studioId) {
        return List.copyOf(links.values());
    }

    @Override
    public List<StudioMember> members(String studioId) {
        return List.copyOf(members);
    }

    @Override
    public void revoke(String studioId, String token) {
        var l = links.get(token);
        links.put(token, new ShareLink(l.token(), l.role(), l.createdAt(), l.expiresAt(), true, l.joined()));
    }

    @Override
    public ShareInvitation invitation(String token) {
        var invitation = invitations.get(token);
        if (invitation == null) {
            throw new StudioException(StudioException.Kind.NOT_FOUND, "This link was revoked by the studio's owner.");
        }
        return invitation;
    }

    @Override
    public StudioSummary join(String token) {
        var invitation = invitation(token);
        joined.add(token);
        return catalog.open(invitation.studioId());
    }
}
