package dev.kiln.api.job;

import java.util.List;
import java.util.Map;

/** A studio's jobs, logs, training metrics and machine usage, as the studio view needs them (see JobService). */
public interface StudioJobs {

    List<JobSummary> jobs(String studioId);

    JobSummary start(String studioId, JobRequest request);

    JobSummary cancel(String studioId, String jobId);

    JobSummary rerun(String studioId, String jobId);

    /** Gives the job a name (blank: back to the default, its entry point and a short id). */
    JobSummary rename(String studioId, String jobId, String name);

    /** Log lines from {@code from} on (the first line is 0), of one rank or all (rank null). */
    LogChunk log(String studioId, String jobId, Integer rank, int from);

    /**
     * The job's metric series of rank 0 ({@code loss}, {@code val_loss}, ...) after a step, as (step, value, time the
     * trainer logged it in epoch milliseconds).
     */
    Map<String, List<double[]>> metrics(String studioId, String jobId, long afterStep);

    /** What ranks other than 0 logged per rank ({@code logPerRank}), by rank, after a step. */
    default Map<Integer, Map<String, List<double[]>>> otherRanks(String studioId, String jobId, long afterStep) {
        return Map.of();
    }

    /** Where the browser downloads the job's complete log (a path on this server). */
    default String logDownloadUrl(String studioId, String jobId) {
        return "/api/studios/" + studioId + "/jobs/" + jobId + "/log/download";
    }

    /** Classes of the workspace a job can start from (fully qualified names). */
    List<String> entryPoints(String studioId);

    /** The studio machine's latest usage, or null when it has no machine running. */
    MachineUsage usage(String studioId);

    record LogChunk(List<String> lines, int next, int ranks) {}

    /** CPU (0..1), memory, and per-GPU utilization (0..1), memory, temperature and power. */
    record MachineUsage(double cpu, int cpus, long memoryUsed, long memoryTotal, List<Gpu> gpus) {
        public record Gpu(int index, String name, double utilization, long memoryUsed, long memoryTotal,
                          double temperature, double power) {}
    }
}
