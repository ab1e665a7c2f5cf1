package dev.kiln.server.studio;

import dev.kiln.api.studio.ShareInvitation;
import dev.kiln.api.studio.ShareLink;
import dev.kiln.api.studio.StudioException.Kind;
import dev.kiln.api.studio.StudioException;
import dev.kiln.api.studio.StudioMember;
import dev.kiln.api.studio.StudioRole;
import dev.kiln.api.studio.StudioSharing;
import dev.kiln.api.studio.StudioSummary;
import dev.kiln.server.security.Users;
import dev.kiln.server.studio.StudioAccess.Need;
import org.springframework.context.ApplicationEventPublisher;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.stereotype.Service;
import org.springframework.transaction.annotation.Transactional;

import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.time.OffsetDateTime;
import java.time.ZoneId;
import java.time.format.DateTimeFormatter;
import java.time.format.FormatStyle;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Set;

/** Share links: created and revoked by the owner, joined by anyone signed in who has the link. */
@Service
public class SharingService implements StudioSharing {

    private static final Set<String> ROLES = Set.of(StudioRole.VIEWER.id(), StudioRole.EDITOR.id());
    private static final SecureRandom RANDOM = new SecureRandom();

    private final JdbcClient jdbc;
    private final StudioAccess access;
    private final ApplicationEventPublisher events;
    private final Clock clock;

    SharingService(JdbcClient jdbc, StudioAccess access, ApplicationEventPublisher events, Clock clock) {
        this.jdbc = jdbc;
        this.access = access;
        this.events = events;
        this.clock = clock;
    }

    @Override
    public ShareLink createLink(String studioId, String role, Duration validFor) {
        access.require(studioId, Need.OWN);
        if (role == null || !ROLES.contains(role)) {
            throw new StudioException(Kind.INVALID, "A share link's role is viewer or editor.");
        }
        if (validFor != null && (validFor.isNegative() || validFor.isZero())) {
            throw new StudioException(Kind.INVALID, "A share link must be valid for some time.");
        }
        var bytes = new byte[32];
        RANDOM.nextBytes(bytes);
        var token = Base64.getUrlEncoder().withoutPadding().encodeToString(bytes);
        var now = clock.instant();
        jdbc.sql("""
                insert into share_link (token, studio_id, role, created_by, created_at, expires_at)
                values (:token, :studio, :role, :by, :now, :expires)""")
                .param("token", token).param("studio", studioId).param("role", role)
                .param("by", Users.current().id()).param("now", StudioRepository.utc(now))
                .param("expires", validFor == null ? null : StudioRepository.utc(now.plus(validFor)))
                .update();
        return new ShareLink(token, role, now, validFor == null ? null : now.plus(validFor), false, List.of());
    }

    @Override
    public List<ShareLink> links(String studioId) {
        access.require(studioId, Need.OWN);
        var links = jdbc.sql("select * from share_link where studio_id = :studio order by created_at desc")
                .param("studio", studioId)
                .query((rs, n) -> new ShareLink(rs.getString("token"), rs.getString("role"),
                        rs.getObject("created_at", OffsetDateTime.class).toInstant(),
                        instant(rs.getObject("expires_at", OffsetDateTime.class)),
                        rs.getObject("revoked_at", OffsetDateTime.class) != null, List.of()))
                .list();
        var withPeople = new ArrayList<ShareLink>();
        for (var link : links) {
            var joined = jdbc.sql("""
                    select u.display_name from studio_member m join kiln_user u on u.id = m.user_id
                    where m.link_token = :token order by m.joined_at""")
                    .param("token", link.token()).query(String.class).list();
            withPeople.add(new ShareLink(link.token(), link.role(), link.createdAt(), link.expiresAt(), link.revoked(), joined));
        }
        return withPeople;
    }

    @Override
    public List<StudioMember> members(String studioId) {
        access.require(studioId, Need.VIEW);
        var people = new ArrayList<StudioMember>();
        jdbc.sql("select u.display_name from studio s join kiln_user u on u.id = s.owner_id where s.id = :studio")
                .param("studio", studioId).query(String.class).optional()
                .ifPresent(owner -> people.add(new StudioMember(owner, StudioRole.OWNER.id())));
        var now = clock.instant();
        jdbc.sql("""
                select u.display_name, l.role, l.expires_at from studio_member m join kiln_user u on u.id = m.user_id
                join share_link l on l.token = m.link_token
                where m.studio_id = :studio and l.revoked_at is null and u.deleted_at is null
                order by m.joined_at""")
                .param("studio", studioId)
                .query((rs, n) -> {
                    var expires = instant(rs.getObject("expires_at", OffsetDateTime.class));
                    return expires != null && !expires.isAfter(now) ? null
                            : new StudioMember(rs.getString(1), rs.getString(2));
                })
                .list().stream().filter(java.util.Objects::nonNull).forEach(people::add);
        return people;
    }

    @Override
    @Transactional
    public void revoke(String studioId, String token) {
        access.require(studioId, Need.OWN);
        int changed = jdbc.sql("update share_link set revoked_at = :now where token = :token and studio_id = :studio and revoked_at is null")
                .param("now", StudioRepository.utc(clock.instant())).param("token", token).param("studio", studioId)
                .update();
        if (changed == 0) {
            return;
        }
        var users = jdbc.sql("select user_id from studio_member where link_token = :token")
                .param("token", token).query(Long.class).list();
        events.publishEvent(new AccessRevoked(studioId, users));
    }

    /** A link as stored, if it exists and was not revoked; its expiry is checked by {@link #valid}. */
    private record Link(String token, String studioId, String role, String sharedBy, OffsetDateTime expires) {
    }

    @Override
    public ShareInvitation invitation(String token) {
        var user = Users.current();
        var link = valid(token);
        var studio = access.lookup(link.studioId(), user.id());
        var name = studio.map(StudioSummary::name).orElseGet(() -> jdbc.sql("select name from studio where id = :id")
                .param("id", link.studioId()).query(String.class).single());
        return new ShareInvitation(link.studioId(), name, link.sharedBy(), link.role(), instant(link.expires()),
                studio.map(StudioSummary::role).orElse(null));
    }

    /**
     * Joins only when the link gives a role the user does not have yet: an editor who opens a viewer link stays an
     * editor (their membership keeps its editor link), and an owner stays the owner.
     */
    @Override
    @Transactional
    public StudioSummary join(String token) {
        var user = Users.current();
        var invitation = invitation(token);
        if (invitation.joinChangesSomething()) {
            var now = StudioRepository.utc(clock.instant());
            int updated = jdbc.sql("update studio_member set link_token = :token, joined_at = :now where studio_id = :studio and user_id = :user")
                    .param("token", token).param("now", now).param("studio", invitation.studioId()).param("user", user.id()).update();
            if (updated == 0) {
                jdbc.sql("insert into studio_member (studio_id, user_id, link_token, joined_at) values (:studio, :user, :token, :now)")
                        .param("token", token).param("now", now).param("studio", invitation.studioId()).param("user", user.id()).update();
            }
        }
        return access.require(invitation.studioId(), Need.VIEW);
    }

    /** The link behind {@code token}, or NOT_FOUND saying whether it never existed, was revoked or expired. */
    private Link valid(String token) {
        record Row(Link link, OffsetDateTime revoked) {
        }
        var row = jdbc.sql("""
                        select l.token, l.studio_id, l.role, l.expires_at, l.revoked_at, u.display_name
                        from share_link l join kiln_user u on u.id = l.created_by where l.token = :token""")
                .param("token", token == null ? "" : token)
                .query((rs, n) -> new Row(new Link(rs.getString("token"), rs.getString("studio_id"), rs.getString("role"),
                        rs.getString("display_name"), rs.getObject("expires_at", OffsetDateTime.class)),
                        rs.getObject("revoked_at", OffsetDateTime.class)))
                .optional()
                .filter(r -> r.revoked() == null)
                .orElseThrow(() -> new StudioException(Kind.NOT_FOUND, "This share link does not exist or was revoked. Ask the studio's owner for a new one."));
        var link = row.link();
        if (link.expires() != null && !link.expires().toInstant().isAfter(clock.instant())) {
            throw new StudioException(Kind.NOT_FOUND, "This share link expired on "
                    + DateTimeFormatter.ofLocalizedDateTime(FormatStyle.MEDIUM).withZone(ZoneId.systemDefault()).format(link.expires())
                    + ". Ask the studio's owner for a new one.");
        }
        return link;
    }

    private static java.time.Instant instant(OffsetDateTime time) {
        return time == null ? null : time.toInstant();
    }
}
