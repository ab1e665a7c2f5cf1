package dev.kiln.server.job;

import dev.kiln.api.job.JobRequest;
import dev.kiln.api.job.JobSummary;
import dev.kiln.api.job.StudioJobs;
import org.springframework.http.ContentDisposition;
import org.springframework.http.HttpHeaders;
import org.springframework.http.HttpStatus;
import org.springframework.http.MediaType;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.PutMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RequestMapping;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.bind.annotation.ResponseStatus;
import org.springframework.web.bind.annotation.RestController;
import org.springframework.web.servlet.mvc.method.annotation.StreamingResponseBody;

import java.util.List;
import java.util.Map;

/**
 * {@code /api/studios/{id}/jobs}: list and start jobs (editors), follow their logs and metrics (anyone who can see
 * the studio), download a job's whole log, rename, cancel and re-run them; {@code /api/studios/{id}/usage}: the machine's CPU, memory and GPUs now.
 */
@RestController
@RequestMapping("/api/studios/{id}")
class JobApiController {
    private final JobService jobs;

    JobApiController(JobService jobs) {
        this.jobs = jobs;
    }

    @GetMapping("/jobs")
    List<JobSummary> list(@PathVariable String id) {
        return jobs.jobs(id);
    }

    @PostMapping("/jobs")
    @ResponseStatus(HttpStatus.CREATED)
    JobSummary start(@PathVariable String id, @RequestBody JobRequest request) {
        return jobs.start(id, request);
    }

    @GetMapping("/jobs/{job}")
    JobSummary job(@PathVariable String id, @PathVariable String job) {
        return jobs.job(id, job);
    }

    @PostMapping("/jobs/{job}/cancel")
    JobSummary cancel(@PathVariable String id, @PathVariable String job) {
        return jobs.cancel(id, job);
    }

    @PostMapping("/jobs/{job}/rerun")
    @ResponseStatus(HttpStatus.CREATED)
    JobSummary rerun(@PathVariable String id, @PathVariable String job) {
        return jobs.rerun(id, job);
    }

    record Rename(String name) {}

    @PutMapping("/jobs/{job}/name")
    JobSummary rename(@PathVariable String id, @PathVariable String job, @RequestBody Rename body) {
        return jobs.rename(id, job, body.name());
    }

    /** The whole log as a file (from the machine when the server's copy is partial), streamed. */
    @GetMapping("/jobs/{job}/log/download")
    ResponseEntity<StreamingResponseBody> download(@PathVariable String id, @PathVariable String job) {
        JobLogDownload download = jobs.download(id, job);
        return ResponseEntity.ok()
                .contentType(new MediaType("text", "plain", java.nio.charset.StandardCharsets.UTF_8))
                .header(HttpHeaders.CONTENT_DISPOSITION, ContentDisposition.attachment()
                        .filename(download.fileName(), java.nio.charset.StandardCharsets.UTF_8).build().toString())
                .body(download::write);
    }

    @GetMapping("/jobs/{job}/log")
    StudioJobs.LogChunk log(@PathVariable String id, @PathVariable String job,
                            @RequestParam(required = false) Integer rank, @RequestParam(defaultValue = "0") int from) {
        return jobs.log(id, job, rank, from);
    }

    @GetMapping("/jobs/{job}/metrics")
    Map<String, List<double[]>> metrics(@PathVariable String id, @PathVariable String job,
                                        @RequestParam(defaultValue = "-1") long after,
                                        @RequestParam(required = false) Integer rank) {
        if (rank == null || rank == 0) {
            return jobs.metrics(id, job, after);
        }
        return jobs.otherRanks(id, job, after).getOrDefault(rank, Map.of());
    }

    @GetMapping("/usage")
    StudioJobs.MachineUsage usage(@PathVariable String id) {
        return jobs.usage(id);
    }
}
