package dev.kiln.server.persistence;

import dev.kiln.server.ServerTestSupport;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

import javax.sql.DataSource;
import java.sql.SQLException;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;

import static org.assertj.core.api.Assertions.assertThat;

/** The embedded default: an SQLite file under the data directory, in WAL mode with synchronous=FULL. */
@SpringBootTest
class SqlitePersistenceTest extends PersistenceContract {

    @DynamicPropertySource
    static void dataDirectory(DynamicPropertyRegistry registry) {
        ServerTestSupport.freshDataDirectory(registry);
    }

    @Autowired
    DataSource dataSource;

    @Test
    void commitsAreDurableBeforeTheyReturn() throws SQLException {
        try (var connection = dataSource.getConnection(); var statement = connection.createStatement()) {
            assertThat(connection.getMetaData().getDatabaseProductName()).isEqualTo("SQLite");
            var journal = statement.executeQuery("pragma journal_mode");
            assertThat(journal.next() && journal.getString(1).equals("wal")).isTrue();
            var synchronous = statement.executeQuery("pragma synchronous");
            assertThat(synchronous.next() && synchronous.getInt(1) == 2).as("synchronous=FULL").isTrue();
            var keys = statement.executeQuery("pragma foreign_keys");
            assertThat(keys.next() && keys.getInt(1) == 1).as("foreign keys enforced").isTrue();
        }
    }

    @Test
    void timesCompareAsTimesNotAsText() {
        // A fraction-less instant and one with a fraction: as OffsetDateTime.toString() they would sort wrongly.
        var whole = OffsetDateTime.of(2026, 12, 1, 10, 0, 0, 0, ZoneOffset.UTC);
        var later = whole.plusNanos(500_000_000);
        jdbc.sql("create table if not exists times_probe (at timestamp with time zone)").update();
        jdbc.sql("insert into times_probe (at) values (?)").param(later).update();
        assertThat(jdbc.sql("select count(*) from times_probe where at > ?").param(whole).query(Integer.class).single()).isEqualTo(1);
        assertThat(jdbc.sql("select at from times_probe").query((rs, n) -> rs.getObject(1, OffsetDateTime.class)).single())
                .isEqualTo(later);
        assertThat(jdbc.sql("select at from times_probe").query((rs, n) -> rs.getTimestamp(1).toInstant()).single())
                .isEqualTo(Instant.parse("2026-12-01T10:00:00.5Z"));
    }
}
