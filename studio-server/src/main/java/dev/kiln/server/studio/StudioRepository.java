package dev.kiln.server.studio;

import dev.kiln.ui.studio.StudioSummary;
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

    List<StudioSummary> findByOwner(long ownerId) {
        return jdbc.sql(SELECT + " where s.owner_id = :owner order by s.updated_at desc, s.name")
                .param("owner", ownerId)
                .query(StudioRepository::row).list().stream().map(StudioRow::summary).toList();
    }

    Optional<StudioRow> find(String id) {
        return jdbc.sql(SELECT + " where s.id = :id").param("id", id).query(StudioRepository::row).optional();
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

    private static OffsetDateTime utc(Instant instant) {
        return OffsetDateTime.ofInstant(instant, ZoneOffset.UTC);
    }

    private static StudioRow row(ResultSet rs, int rowNum) throws SQLException {
        var summary = new StudioSummary(rs.getString("id"), rs.getString("name"), rs.getString("owner_name"),
                rs.getObject("created_at", OffsetDateTime.class).toInstant(),
                rs.getObject("updated_at", OffsetDateTime.class).toInstant());
        return new StudioRow(summary, rs.getLong("owner_id"));
    }
}
