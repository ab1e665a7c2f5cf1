package dev.kiln.server.job;

import dev.kiln.api.job.JobRequest;
import dev.kiln.api.job.JobSummary;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.stereotype.Repository;
import tools.jackson.core.type.TypeReference;
import tools.jackson.databind.json.JsonMapper;

import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Optional;

/** Jobs and their outcomes, so the list (and what a job was run with) survives restarts. */
@Repository
class JobRepository implements JobReconciler.Records {
    private static final JsonMapper JSON = JsonMapper.shared();
    private static final String COLUMNS = "id, number, name, entry_point, args, nodes, devices, machine_type, status, "
            + "detail, started_by, created_at, started_at, ended_at, diagnostics";

    private final JdbcClient jdbc;

    JobRepository(JdbcClient jdbc) {
        this.jdbc = jdbc;
    }

    synchronized JobSummary create(String id, String studioId, JobRequest request, String machineType, String startedBy,
                                   long startedById, Instant now) {
        int number = jdbc.sql("select coalesce(max(number), 0) + 1 from studio_job where studio_id = ?").param(studioId)
                .query(Integer.class).single();
        jdbc.sql("insert into studio_job (id, studio_id, number, name, entry_point, args, nodes, devices, machine_type, "
                        + "status, started_by, started_by_id, created_at) values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)")
                .params(id, studioId, number, request.name(), request.entryPoint(), JSON.writeValueAsString(request.args()),
                        request.nodes(), request.devices(), machineType, JobSummary.Status.QUEUED.name(), startedBy,
                        startedById, time(now)).update();
        return find(id).orElseThrow();
    }

    Optional<JobSummary> find(String id) {
        return jdbc.sql("select " + COLUMNS + " from studio_job where id = ?").param(id).query(JobRepository::row)
                .optional();
    }

    Optional<String> studioOf(String id) {
        return jdbc.sql("select studio_id from studio_job where id = ?").param(id).query(String.class).optional();
    }

    List<JobSummary> ofStudio(String studioId) {
        return jdbc.sql("select " + COLUMNS + " from studio_job where studio_id = ? order by number desc")
                .param(studioId).query(JobRepository::row).list();
    }

    List<String> unfinished() {
        return jdbc.sql("select id from studio_job where status in ('QUEUED', 'STARTING', 'RUNNING', 'CANCELLING')")
                .query(String.class).list();
    }

    /** Who started the job, by user id; empty for jobs started before that was recorded. */
    Optional<Long> starterOf(String id) {
        var ids = jdbc.sql("select started_by_id from studio_job where id = ?").param(id)
                .query((rs, n) -> rs.getObject(1) == null ? -1L : rs.getLong(1)).list();
        return ids.isEmpty() || ids.getFirst() < 0 ? Optional.empty() : Optional.of(ids.getFirst());
    }

    @Override
    public void status(String id, JobSummary.Status status, String detail) {
        jdbc.sql("update studio_job set status = ?, detail = ? where id = ?").params(status.name(), detail, id).update();
    }

    @Override
    public void started(String id, Instant at) {
        jdbc.sql("update studio_job set status = 'RUNNING', detail = 'Running', started_at = coalesce(started_at, ?) "
                        + "where id = ?")
                .params(time(at), id).update();
    }

    @Override
    public void ended(String id, JobSummary.Status status, String detail, Instant at) {
        jdbc.sql("update studio_job set status = ?, detail = ?, ended_at = ? where id = ?")
                .params(status.name(), detail, time(at), id).update();
    }

    void rename(String id, String name) {
        jdbc.sql("update studio_job set name = ? where id = ?").params(name, id).update();
    }

    /** Some of the job's output never reached the server: its log here is partial. */
    @Override
    public void logPartial(String id) {
        jdbc.sql("update studio_job set log_partial = ? where id = ?").params(true, id).update();
    }

    boolean isLogPartial(String id) {
        return jdbc.sql("select log_partial from studio_job where id = ?").param(id).query(Boolean.class).optional()
                .orElse(false);
    }

    @Override
    public void diagnostics(String id, List<JobSummary.Diagnostic> diagnostics) {
        jdbc.sql("update studio_job set diagnostics = ? where id = ?")
                .params(JSON.writeValueAsString(diagnostics), id).update();
    }

    private static JobSummary row(ResultSet rs, int n) throws SQLException {
        List<String> args = JSON.readValue(rs.getString("args"), new TypeReference<>() {});
        String diagnostics = rs.getString("diagnostics");
        String id = rs.getString("id");
        String entryPoint = rs.getString("entry_point");
        String name = rs.getString("name");
        return new JobSummary(id, rs.getInt("number"), name == null ? JobNames.byDefault(entryPoint, id) : name,
                new JobRequest(entryPoint, args, rs.getInt("nodes"), rs.getInt("devices")), rs.getString("machine_type"),
                JobSummary.Status.valueOf(rs.getString("status")), rs.getString("detail"), rs.getString("started_by"),
                instant(rs.getTimestamp("created_at")), instant(rs.getTimestamp("started_at")),
                instant(rs.getTimestamp("ended_at")), diagnostics == null ? List.of()
                : JSON.readValue(diagnostics, new TypeReference<List<JobSummary.Diagnostic>>() {}));
    }

    private static OffsetDateTime time(Instant instant) {
        return OffsetDateTime.ofInstant(instant, ZoneOffset.UTC);
    }

    private static Instant instant(Timestamp timestamp) {
        return timestamp == null ? null : timestamp.toInstant();
    }
}
