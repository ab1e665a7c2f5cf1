package dev.kiln.server.studio;

import dev.kiln.api.studio.StudioSummary;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.stereotype.Repository;

import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Optional;

/** Studio rows. Access rules live in {@link StudioService}, not here. */
@Repository
class StudioRepository {

    /** A studio row with its owner's id. */
    record StudioRow(StudioSummary summary, long ownerId) {
    }

    private static final String SELECT = """
            select s.id, s.name, s.owner_id, s.created_at, s.updated_at, u.display_name as owner_name
            from studio s join kiln_user u on u.id = s.owner_id""";

    private final JdbcClient jdbc;

    StudioRepository(JdbcClient jdbc) {
        this.jdbc = jdbc;
    }

    void insert(String id, long ownerId, String name, Instant now) {
        jdbc.sql("insert into studio (id, owner_id, name, created_at, updated_at) values (:id, :owner, :name, :now, :now)")
                .param("id", id).param("owner", ownerId).param("name", name).param("now", utc(now))
                .update();
    }

    /** Studios the user owns, then those shared with them through a link that is still valid. */
    List<StudioSummary> findVisibleTo(long userId, Instant now) {
        var owned = jdbc.sql(SELECT + " where s.owner_id = :user order by s.updated_at desc, s.name")
                .param("user", userId)
                .query((rs, n) -> row(rs, "owner")).list();
        var shared = jdbc.sql(SELECT.replace("select s.id", "select l.role, s.id") + "\n" + """
                 join studio_member m on m.studio_id = s.id and m.user_id = :user
                 join share_link l on l.token = m.link_token
                 where l.revoked_at is null and (l.expires_at is null or l.expires_at > :now)
                 order by s.updated_at desc, s.name""")
                .param("user", userId).param("now", utc(now))
                .query((rs, n) -> row(rs, rs.getString("role"))).list();
        var all = new java.util.ArrayList<StudioSummary>();
        owned.forEach(r -> all.add(r.summary()));
        shared.forEach(r -> all.add(r.summary()));
        return all;
    }

    /** The role a non-owner has through a valid share link, if any. */
    Optional<String> memberRole(String studioId, long userId, Instant now) {
        return jdbc.sql("""
                select l.role from studio_member m join share_link l on l.token = m.link_token
                where m.studio_id = :studio and m.user_id = :user
                  and l.revoked_at is null and (l.expires_at is null or l.expires_at > :now)""")
                .param("studio", studioId).param("user", userId).param("now", utc(now))
                .query(String.class).optional();
    }

    List<StudioRow> ownedBy(long ownerId) {
        return jdbc.sql(SELECT + " where s.owner_id = :owner order by s.name").param("owner", ownerId)
                .query((rs, n) -> row(rs, "owner")).list();
    }

    Optional<StudioRow> find(String id) {
        return jdbc.sql(SELECT + " where s.id = :id").param("id", id).query((rs, n) -> row(rs, null)).optional();
    }

    void rename(String id, String name, Instant now) {
        jdbc.sql("update studio set name = :name, updated_at = :now where id = :id")
                .param("id", id).param("name", name).param("now", utc(now)).update();
    }

    void touch(String id, Instant now) {
        jdbc.sql("update studio set updated_at = :now where id = :id").param("id", id).param("now", utc(now)).update();
    }

    void delete(String id) {
        jdbc.sql("delete from studio where id = :id").param("id", id).update();
    }

    static OffsetDateTime utc(Instant instant) {
        return OffsetDateTime.ofInstant(instant, ZoneOffset.UTC);
    }

    private static StudioRow row(ResultSet rs, String role) throws SQLException {
        var summary = new StudioSummary(rs.getString("id"), rs.getString("name"), rs.getString("owner_name"),
                rs.getObject("created_at", OffsetDateTime.class).toInstant(),
                rs.getObject("updated_at", OffsetDateTime.class).toInstant(), role);
        return new StudioRow(summary, rs.getLong("owner_id"));
    }
}
