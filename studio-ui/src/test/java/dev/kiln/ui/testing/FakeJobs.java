package dev.kiln.ui.testing;

import dev.kiln.api.job.JobRequest;
import dev.kiln.api.job.JobSummary;
import dev.kiln.api.job.StudioJobs;
import dev.kiln.api.studio.StudioException;

import java.time.Clock;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Jobs in memory, newest first, refusing what JobService refuses (no machine, an entry point the workspace lacks,
 * more devices than the machine has). Tests move a job on with {@link #finish} and add log lines and metrics.
 */
public final class FakeJobs implements StudioJobs {
    private final Clock clock;
    private final List<JobSummary> jobs = new ArrayList<>();
    public final List<String> entryPoints = new ArrayList<>(List.of("example.SumRegression", "example.Hello"));
    public final Map<String, List<String>> logs = new LinkedHashMap<>();
    public final Map<String, Map<String, List<double[]>>> metrics = new LinkedHashMap<>();
    public boolean machineRunning = true;
    public int devices = 1;
    /** The machine's usage the header shows; null while no machine runs. */
    public MachineUsage usage;

    public FakeJobs(Clock clock) {
        this.clock = clock;
    }

    /** A job that already ran: {@code status}, with metric {@code loss} at steps 1..n. */
    public JobSummary add(String name, List<String> args, JobSummary.Status status, double... loss) {
        int number = jobs.size() + 1;
        var job = new JobSummary("job" + number, number, name, new JobRequest("example.SumRegression", args, 1, 1, name),
                "cpu-small", status, null, "Ada Lovelace", clock.instant(), clock.instant(),
                status.ended() ? clock.instant() : null, List.of());
        jobs.addFirst(job);
        var series = new ArrayList<double[]>();
        for (int i = 0; i < loss.length; i++) {
            series.add(new double[] {i + 1, loss[i], clock.millis()});
        }
        metrics.put(job.id(), series.isEmpty() ? Map.of() : Map.of("loss", series));
        return job;
    }

    public void finish(String jobId, JobSummary.Status status) {
        jobs.replaceAll(j -> !j.id().equals(jobId) ? j : new JobSummary(j.id(), j.number(), j.name(), j.request(),
                j.machineType(), status, null, j.startedBy(), j.createdAt(), j.startedAt(), clock.instant(), j.diagnostics()));
    }

    public void setDiagnostics(String jobId, List<JobSummary.Diagnostic> diagnostics) {
        jobs.replaceAll(j -> !j.id().equals(jobId) ? j : new JobSummary(j.id(), j.number(), j.name(), j.request(),
                j.machineType(), j.status(), j.detail(), j.startedBy(), j.createdAt(), j.startedAt(), j.endedAt(),
                diagnostics));
    }

    public JobSummary get(String jobId) {
        return jobs.stream().filter(j -> j.id().equals(jobId)).findFirst()
                .orElseThrow(() -> new StudioException(StudioException.Kind.NOT_FOUND, "No such job."));
    }

    @Override
    public List<JobSummary> jobs(String studioId) {
        return List.copyOf(jobs);
    }

    @Override
    public JobSummary start(String studioId, JobRequest request) {
        if (!machineRunning) {
            throw new StudioException(StudioException.Kind.INVALID, "Start the studio's machine first.");
        }
        if (request.entryPoint() == null || request.entryPoint().isBlank()) {
            throw new StudioException(StudioException.Kind.INVALID, "Choose an entry point.");
        }
        if (!entryPoints.contains(request.entryPoint())) {
            throw new StudioException(StudioException.Kind.INVALID, "No class " + request.entryPoint()
                    + " in the workspace.");
        }
        if (request.devices() > devices) {
            throw new StudioException(StudioException.Kind.INVALID, "The machine has " + devices + " device"
                    + (devices == 1 ? "" : "s") + "; ask for at most that many per node.");
        }
        int number = jobs.size() + 1;
        String name = request.name() == null || request.name().isBlank() ? request.entryPoint() + " #" + number
                : request.name();
        var job = new JobSummary("job" + number, number, name, request, "cpu-small", JobSummary.Status.RUNNING, null,
                "Ada Lovelace", clock.instant(), clock.instant(), null, List.of());
        jobs.addFirst(job);
        return job;
    }

    @Override
    public JobSummary cancel(String studioId, String jobId) {
        finish(jobId, JobSummary.Status.CANCELLED);
        return get(jobId);
    }

    @Override
    public JobSummary rerun(String studioId, String jobId) {
        return start(studioId, get(jobId).request());
    }

    @Override
    public JobSummary rename(String studioId, String jobId, String name) {
        jobs.replaceAll(j -> !j.id().equals(jobId) ? j : new JobSummary(j.id(), j.number(), name, j.request(),
                j.machineType(), j.status(), j.detail(), j.startedBy(), j.createdAt(), j.startedAt(), j.endedAt(),
                j.diagnostics()));
        return get(jobId);
    }

    @Override
    public LogChunk log(String studioId, String jobId, Integer rank, int from) {
        var lines = logs.getOrDefault(jobId, List.of());
        return new LogChunk(List.copyOf(lines.subList(Math.min(from, lines.size()), lines.size())), lines.size(), 1);
    }

    @Override
    public Map<String, List<double[]>> metrics(String studioId, String jobId, long afterStep) {
        var result = new LinkedHashMap<String, List<double[]>>();
        metrics.getOrDefault(jobId, Map.of()).forEach((name, points) ->
                result.put(name, points.stream().filter(p -> p[0] > afterStep).toList()));
        return result;
    }

    @Override
    public List<String> entryPoints(String studioId) {
        return List.copyOf(entryPoints);
    }

    @Override
    public MachineUsage usage(String studioId) {
        return usage;
    }
}
