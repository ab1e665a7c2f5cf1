package dev.kiln.server.machine;

import dev.kiln.machine.plan.DesiredMachine;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.stereotype.Repository;

import java.time.Clock;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Optional;

/** The desired machine of each studio: what survives a server restart, so reconciliation picks up where it was. */
@Repository
class MachineRepository {
    private final JdbcClient jdbc;
    private final Clock clock;

    MachineRepository(JdbcClient jdbc, Clock clock) {
        this.jdbc = jdbc;
        this.clock = clock;
    }

    Optional<DesiredMachine> find(String studioId) {
        return jdbc.sql("select studio_id, machine_type, running, fallback_type from studio_machine where studio_id = ?")
                .param(studioId)
                .query((rs, n) -> new DesiredMachine(rs.getString(1), rs.getString(2), rs.getBoolean(3), rs.getString(4)))
                .optional();
    }

    List<DesiredMachine> all() {
        return jdbc.sql("select studio_id, machine_type, running, fallback_type from studio_machine")
                .query((rs, n) -> new DesiredMachine(rs.getString(1), rs.getString(2), rs.getBoolean(3), rs.getString(4)))
                .list();
    }

    void save(DesiredMachine desired) {
        var now = OffsetDateTime.ofInstant(clock.instant(), ZoneOffset.UTC);
        int updated = jdbc.sql("update studio_machine set machine_type = ?, running = ?, fallback_type = ?, updated_at = ? "
                        + "where studio_id = ?")
                .params(desired.machineType(), desired.running(), desired.fallbackType(), now, desired.studioId()).update();
        if (updated == 0) {
            jdbc.sql("insert into studio_machine (studio_id, machine_type, running, fallback_type, updated_at) "
                            + "values (?, ?, ?, ?, ?)")
                    .params(desired.studioId(), desired.machineType(), desired.running(), desired.fallbackType(), now)
                    .update();
        }
    }
}
