package dev.kiln.server.job;

import dev.kiln.api.machine.MachinePhase;
import dev.kiln.machine.catalog.MachineCatalog;
import dev.kiln.machine.catalog.MachineType;
import dev.kiln.machine.catalog.ResourceQuantity;
import dev.kiln.server.config.KilnProperties;
import dev.kiln.server.machine.MachineChannel;
import dev.kiln.server.security.Users;
import dev.kiln.server.studio.StudioAccess;
import dev.kiln.server.studio.StudioAccess.Need;
import dev.kiln.server.studio.StudioActivity;
import dev.kiln.server.studio.Workspaces;
import dev.kiln.api.job.JobRequest;
import dev.kiln.api.job.JobSummary;
import dev.kiln.api.job.JobSummary.Status;
import dev.kiln.api.job.StudioJobs;
import dev.kiln.server.machine.MachineService;
import dev.kiln.api.studio.StudioException;
import jakarta.annotation.PostConstruct;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.stereotype.Service;
import dev.kiln.machine.protocol.FromMachine;
import dev.kiln.machine.protocol.ToMachine;

import java.nio.file.Path;
import java.time.Clock;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Runs studios' jobs on their machines and follows them: the request goes to the machine's agent (which syncs,
 * compiles and launches), and everything the agent reports comes back here: phases, compile diagnostics, output
 * (logs and metric lines, see {@link JobOutput}) and the exit. Status and parameters are persisted; logs are files
 * under {@code <data>/jobs}; metrics also go to Micrometer ({@link JobMetrics}).
 */
@Service
public class JobService implements StudioJobs {
    private final dev.kiln.server.data.DataConnections data;
    private static final Logger log = LoggerFactory.getLogger(JobService.class);
    private static final tools.jackson.databind.json.JsonMapper JSON = tools.jackson.databind.json.JsonMapper.shared();
    private static final String JAVA_NAME = "([\\p{L}_$][\\p{L}\\p{N}_$]*\\.)*[\\p{L}_$][\\p{L}\\p{N}_$]*";
    private static final int MAX_LINES_PER_READ = 20_000;

    private final JobRepository jobs;
    private final MachineJobLogs machineLogs;
    private final StudioAccess access;
    private final MachineChannel machines;
    private final MachineService machineControl;
    private final MachineCatalog catalog;
    private final Workspaces workspaces;
    private final StudioActivity activity;
    private final JobMetrics metrics;
    private final Path logs;
    private final Clock clock;
    private final Map<String, Run> running = new ConcurrentHashMap<>();
    /** Multi-node jobs on the Kubernetes backend; null on the local backend (nodes are local processes there). */
    private final ClusterJobs cluster;

    /** A job this server is following. */
    private static final class Run {
        final String studioId;
        final String jobId;
        final JobOutput output;
        volatile boolean cancelling;
        volatile String cancelledBy;
        /** The machine went away mid-run (a switch, a crash); the job restarts from its checkpoint on the next one. */
        volatile boolean awaitingMachine;
        /** A multi-node job running as a Kubernetes Indexed Job rather than on the studio's machine. */
        volatile boolean onCluster;
        volatile int resumes;
        final JobRequest request;
        /** Who started it: when their access to the studio's machine ends, so does the job. */
        final long starterId;

        Run(String studioId, String jobId, JobOutput output, JobRequest request, long starterId) {
            this.studioId = studioId;
            this.jobId = jobId;
            this.output = output;
            this.request = request;
            this.starterId = starterId;
        }
    }

    private final Map<String, JobOutput> outputs = new ConcurrentHashMap<>();
    /** When each job in {@link #outputs} ended: a while later its output leaves memory (the files keep it). */
    private final Map<String, Long> ended = new ConcurrentHashMap<>();
    static final long OUTPUT_KEPT_AFTER_END_MS = 10 * 60_000;

    JobService(JobRepository jobs, StudioAccess access, MachineChannel machines, MachineService machineControl,
               MachineCatalog catalog, Workspaces workspaces, StudioActivity activity, JobMetrics metrics,
               KilnProperties properties, Clock clock,
               org.springframework.beans.factory.ObjectProvider<ClusterJobs> clusterJobs,
               dev.kiln.server.data.DataConnections data, MachineJobLogs machineLogs) {
        this.machineLogs = machineLogs;
        this.cluster = clusterJobs.getIfAvailable();
        this.data = data;
        this.jobs = jobs;
        this.access = access;
        this.machines = machines;
        this.machineControl = machineControl;
        this.catalog = catalog;
        this.workspaces = workspaces;
        this.activity = activity;
        this.metrics = metrics;
        this.logs = properties.dataDir().resolve("jobs");
        this.clock = clock;
        follow();
    }

    /** Jobs that were running when the server stopped cannot be followed any more: say so instead of "running". */
    @PostConstruct
    void markInterrupted() {
        for (String id : jobs.unfinished()) {
            jobs.ended(id, Status.FAILED, "Kiln restarted while this job ran; it was not followed after that",
                    clock.instant());
        }
    }

    @Override
    public List<JobSummary> jobs(String studioId) {
        access.require(studioId, Need.VIEW);
        return jobs.ofStudio(studioId);
    }

    public JobSummary job(String studioId, String jobId) {
        access.require(studioId, Need.VIEW);
        return find(studioId, jobId);
    }

    @Override
    public JobSummary start(String studioId, JobRequest request) {
        access.require(studioId, Need.RUN_CODE);
        MachineType type = checkRunnable(studioId, request);
        request = request.named(JobNames.checked(request.name()));
        String id = UUID.randomUUID().toString();
        JobSummary job = jobs.create(id, studioId, request, type.id(), Users.current().displayName(), clock.instant());
        var run = new Run(studioId, id, output(studioId, id), request, Users.current().id());
        running.put(id, run);
        run.output.note("job " + job.number() + ": " + request.entryPoint() + " " + String.join(" ", request.args())
                + " on " + type.displayName() + ", " + request.nodes() + " node(s) x " + request.devices()
                + " device(s), started by " + job.startedBy());
        if (cluster != null && request.nodes() > 1) {
            run.onCluster = true;
            jobs.status(id, Status.STARTING, "Waiting for all " + request.nodes() + " nodes to be scheduled");
            try {
                var connections = data.forJob(studioId);
                connections.notes().forEach(run.output::note);
                cluster.submit(id, studioId, type, request,
                        tools.jackson.databind.json.JsonMapper.shared().writeValueAsString(connections.document()));
            } catch (RuntimeException e) {
                finish(run, Status.FAILED, "The cluster refused the job: " + e.getMessage());
            }
        } else if (!machines.send(studioId, startMessage(run, false))) {
            finish(run, Status.FAILED, "The studio's machine went away before the job could start");
        }
        activity.touch(studioId);
        return jobs.find(id).orElseThrow();
    }

    private ToMachine.JobStart startMessage(Run run, boolean resume) {
        // The studio's data connections, with short-lived credentials: the agent writes them to a file only this
        // job can read (KILN_CONNECTIONS) and deletes it when the job ends. Never logged.
        var connections = data.forJob(run.studioId);
        connections.notes().forEach(run.output::note);
        return new ToMachine.JobStart(run.jobId, run.request.entryPoint(), run.request.args(), run.request.nodes(),
                run.request.devices(), Map.of("KILN_STUDIO_ID", run.studioId), resume,
                JSON.valueToTree(connections.document()));
    }

    /**
     * The job's machine went away. If the studio still wants a machine (a switch, or a crashed machine being
     * replaced), the job waits for the next one and resumes there from its last checkpoint; otherwise it ends.
     */
    private void interrupted(Run run, String why) {
        if (run.cancelling) {
            finish(run, Status.CANCELLED, "Cancelled by " + run.cancelledBy);
        } else if (machineControl.wantsMachine(run.studioId)) {
            if (!run.awaitingMachine) {
                run.awaitingMachine = true;
                jobs.status(run.jobId, Status.STARTING, why + "; the job resumes from its last checkpoint on the "
                        + "next machine");
                run.output.note(why + "; waiting for the next machine to resume from the last checkpoint");
            }
        } else {
            finish(run, Status.FAILED, why + " (the studio's machine was stopped)");
        }
    }

    private void resumeWaiting(String studioId) {
        for (Run run : running.values()) {
            if (run.studioId.equals(studioId) && run.awaitingMachine) {
                run.awaitingMachine = false;
                run.resumes++;
                run.output.note("resuming on the new machine (attempt " + (run.resumes + 1) + ")");
                if (!machines.send(studioId, startMessage(run, true))) {
                    run.awaitingMachine = true;
                }
            }
        }
    }

    private MachineType checkRunnable(String studioId, JobRequest request) {
        if (request == null || request.entryPoint() == null || !request.entryPoint().strip().matches(JAVA_NAME)) {
            throw new StudioException(StudioException.Kind.INVALID, "Choose an entry point: a class of the workspace, "
                    + "such as example.SumRegression.");
        }
        if (request.nodes() < 1 || request.nodes() > 64 || request.devices() < 1 || request.devices() > 64) {
            throw new StudioException(StudioException.Kind.INVALID, "Nodes and devices per node are 1 to 64.");
        }
        var state = machineControl.state(studioId);
        if (!state.running() || state.phase() != MachinePhase.READY || !machines.isReady(studioId)) {
            throw new StudioException(StudioException.Kind.CONFLICT, "Start the studio's machine first (the machine "
                    + "button at the top), then run the job.");
        }
        MachineType type = catalog.require(state.machineType());
        int perNode = type.hasGpu() ? type.gpuCount()
                : Math.max(1, ResourceQuantity.parse(type.cpu()).amount().intValue());
        if (request.devices() > perNode) {
            throw new StudioException(StudioException.Kind.INVALID, "This job asks for " + request.devices()
                    + " devices per node, but the studio's machine (" + type.displayName() + ") has " + perNode
                    + (type.hasGpu() ? " GPU" : " core") + (perNode == 1 ? "" : "s") + ". Pick fewer devices, or "
                    + "switch to a bigger machine.");
        }
        return type;
    }

    @Override
    public JobSummary cancel(String studioId, String jobId) {
        access.require(studioId, Need.EDIT);
        JobSummary job = find(studioId, jobId);
        Run run = running.get(jobId);
        if (job.status().ended() || run == null) {
            return job;
        }
        cancel(run, Users.current().displayName());
        return jobs.find(jobId).orElseThrow();
    }

    private void cancel(Run run, String by) {
        run.cancelling = true;
        run.cancelledBy = by;
        jobs.status(run.jobId, Status.CANCELLING, "Stopping every process (they get 10 s to save a checkpoint)");
        run.output.note("cancel requested by " + run.cancelledBy);
        if (run.onCluster) {
            cluster.cancel(run.jobId, clusterListener, "Cancelled by " + run.cancelledBy);
        } else if (!machines.send(run.studioId, new ToMachine.Cancel(run.jobId, 10_000L))) {
            finish(run, Status.CANCELLED, "Cancelled by " + run.cancelledBy + " (the machine was already gone)");
        }
    }

    /** A share link was revoked: the jobs its people started stop now. */
    @org.springframework.context.event.EventListener
    void revoked(dev.kiln.server.studio.AccessRevoked event) {
        running.values().stream().filter(r -> r.studioId.equals(event.studioId()) && !r.cancelling
                && event.userIds().contains(r.starterId)).forEach(r -> cancel(r, "Kiln (the access of the person "
                + "who started it was revoked)"));
    }

    /** Every few seconds: a job whose starter may no longer run code on the machine (expired, lowered) stops. */
    @org.springframework.scheduling.annotation.Scheduled(fixedDelay = 5000)
    void sweepStarters() {
        running.values().stream().filter(r -> !r.cancelling && access.lookup(r.studioId, r.starterId)
                .map(access::mayRunCode).orElse(false) == false)
                .forEach(r -> cancel(r, "Kiln (the person who started it may no longer use this studio's machine)"));
    }

    @Override
    public JobSummary rerun(String studioId, String jobId) {
        return start(studioId, find(studioId, jobId).request());
    }

    @Override
    public JobSummary rename(String studioId, String jobId, String name) {
        access.require(studioId, Need.EDIT);
        find(studioId, jobId);
        jobs.rename(jobId, JobNames.checked(name));
        return jobs.find(jobId).orElseThrow();
    }

    /** The job's whole log for a download: see {@link JobLogDownload}. */
    public JobLogDownload download(String studioId, String jobId) {
        access.require(studioId, Need.VIEW);
        JobSummary job = find(studioId, jobId);
        boolean partial = jobs.isLogPartial(jobId);
        // While the job runs its file on the machine is still growing: the server's copy is the one to give.
        return new JobLogDownload(job, logs.resolve(jobId + ".log"), partial, partial && !running.containsKey(jobId)
                ? machineLogs.open(studioId, jobId) : null, line -> data.masks().mask(studioId, line));
    }

    @Override
    public LogChunk log(String studioId, String jobId, Integer rank, int from) {
        access.require(studioId, Need.VIEW);
        find(studioId, jobId);
        JobOutput output = outputs.get(jobId);
        if (output == null) {
            return JobOutput.readFile(logs.resolve(jobId + ".log"), rank, from, MAX_LINES_PER_READ);
        }
        var slice = output.lines(rank, from, MAX_LINES_PER_READ);
        return new LogChunk(slice.lines(), slice.next(), output.ranks());
    }

    @Override
    public Map<String, List<double[]>> metrics(String studioId, String jobId, long afterStep) {
        access.require(studioId, Need.VIEW);
        find(studioId, jobId);
        JobOutput output = outputs.get(jobId);
        return output == null ? JobOutput.readSeries(logs.resolve(jobId + ".log"), afterStep) : output.series(afterStep);
    }

    @Override
    public Map<Integer, Map<String, List<double[]>>> otherRanks(String studioId, String jobId, long afterStep) {
        access.require(studioId, Need.VIEW);
        find(studioId, jobId);
        JobOutput output = outputs.get(jobId);
        return output == null ? Map.of() : output.otherRanks(afterStep);
    }

    @Override
    public List<String> entryPoints(String studioId) {
        access.require(studioId, Need.VIEW);
        String root = "src/main/java/";
        return workspaces.get(studioId).tree().stream()
                .filter(e -> !e.directory() && e.path().startsWith(root) && e.path().endsWith(".java"))
                .map(e -> e.path().substring(root.length(), e.path().length() - 5).replace('/', '.'))
                .filter(name -> !name.endsWith("package-info") && !name.endsWith("module-info")).sorted().toList();
    }

    @Override
    public MachineUsage usage(String studioId) {
        access.require(studioId, Need.VIEW);
        return machines.health(studioId).map(JobService::usage).orElse(null);
    }

    static MachineUsage usage(FromMachine.Health health) {
        var gpus = health.gpus().stream().map(g -> new MachineUsage.Gpu(g.index(), g.name(), g.utilization(),
                g.memoryUsed(), g.memoryTotal(), g.temperature(), g.power())).toList();
        return new MachineUsage(orZero(health.cpu()), health.cpus(), orZero(health.memoryUsed()),
                orZero(health.memoryTotal()), gpus);
    }

    private static double orZero(Double value) {
        return value == null ? 0 : value;
    }

    private static long orZero(Long value) {
        return value == null ? 0 : value;
    }

    private JobSummary find(String studioId, String jobId) {
        if (jobId == null || !studioId.equals(jobs.studioOf(jobId).orElse(null))) {
            throw new StudioException(StudioException.Kind.NOT_FOUND, "No such job in this studio.");
        }
        return jobs.find(jobId).orElseThrow();
    }

    private JobOutput output(String studioId, String jobId) {
        return outputs.computeIfAbsent(jobId, id -> new JobOutput(logs.resolve(id + ".log"),
                json -> metrics.record(studioId, id, json), line -> data.masks().mask(studioId, line)));
    }

    /** What machines say about the jobs they run, for every studio: registered once. */
    private void follow() {
        machines.on(FromMachine.MachineLost.class, (studioId, lost) -> running.values().stream()
                .filter(r -> r.studioId.equals(studioId) && !r.onCluster).toList()
                .forEach(run -> interrupted(run, "The machine stopped while the job ran")));
        machines.on(FromMachine.Synced.class, (studioId, synced) -> resumeWaiting(studioId));
        machines.on(FromMachine.JobPhase.class, (studioId, phase) -> ifRunning(phase.id(), run -> {
            if (!run.cancelling) {
                jobs.status(run.jobId, Status.STARTING, phase.detail());
            }
            run.output.note(phase.detail());
        }));
        machines.on(FromMachine.JobDiagnostics.class, (studioId, found) -> ifRunning(found.id(), run -> {
            var diagnostics = found.items().stream().map(d -> new JobSummary.Diagnostic(d.severity(), d.path(),
                    d.line(), d.column(), d.message())).toList();
            jobs.diagnostics(run.jobId, diagnostics);
            diagnostics.forEach(d -> run.output.note(d.path() + ":" + d.line() + ":" + d.column() + ": "
                    + d.severity() + ": " + d.message()));
        }));
        machines.on(FromMachine.Started.class, (studioId, started) -> ifRunning(started.id(), run -> {
            jobs.started(run.jobId, clock.instant());
            if (run.cancelling) {
                machines.send(studioId, new ToMachine.Cancel(run.jobId, 10_000L));
            }
        }));
        machines.on(FromMachine.Output.class, (studioId, output) -> ifRunning(output.id(), run -> {
            activity.touch(studioId); // a running job keeps its machine from being stopped as idle
            run.output.append(output.data());
        }));
        machines.on(FromMachine.Exit.class, (studioId, exit) -> ifRunning(exit.id(), run -> ended(run, exit)));
        machines.on(FromMachine.WorkSaved.class, (studioId, saved) -> {
            saved.saved().forEach(job -> ifRunning(job.id(), run -> run.output.note("checkpointed at step " + job.step()
                    + " before the machine stopped")));
            saved.notSaved().forEach(id -> ifRunning(id, run -> run.output.note("did not checkpoint within 30 s of "
                    + "being asked; it resumes from its last checkpoint")));
        });
    }

    private void ifRunning(String jobId, java.util.function.Consumer<Run> action) {
        Run run = jobId == null ? null : running.get(jobId);
        if (run != null) {
            action.accept(run);
        }
    }

    private void ended(Run run, FromMachine.Exit exit) {
        if (exit.droppedChars() != null && exit.droppedChars() > 0) {
            jobs.logPartial(run.jobId);
            run.output.note(String.format("%,d characters of output came faster than they could be streamed "
                    + "and are missing here; the machine kept all of it in ~/jobs/%s/output.log",
                    exit.droppedChars(), run.jobId));
        }
        if (run.awaitingMachine) {
            return; // the old machine's processes, stopped by the move
        }
        if (exit.wasInterrupted() && !run.cancelling) {
            interrupted(run, "The machine is being replaced");
        } else if (run.cancelling) {
            finish(run, Status.CANCELLED, "Cancelled by " + run.cancelledBy);
        } else if (exit.code() == 0) {
            finish(run, Status.SUCCEEDED, "Finished");
        } else if (exit.error() != null) {
            // Why it never ran, or why it failed in the words of whoever knew (the launcher, for a crashed rank).
            finish(run, Status.FAILED, capitalize(exit.error()));
        } else {
            finish(run, Status.FAILED, "Exited with code " + exit.code() + describe(exit.code()));
        }
    }

    private final ClusterJobs.Listener clusterListener = new ClusterJobs.Listener() {
        @Override
        public void running(String jobId) {
            jobs.started(jobId, clock.instant());
        }

        @Override
        public void ended(String jobId, boolean succeeded, String reason) {
            Run run = running.get(jobId);
            if (run != null) {
                finish(run, run.cancelling ? Status.CANCELLED : succeeded ? Status.SUCCEEDED : Status.FAILED, reason);
            }
        }

        @Override
        public void output(String jobId, String text) {
            Run run = running.get(jobId);
            if (run != null) {
                activity.touch(run.studioId);
                run.output.append(text);
            }
        }
    };

    /** Follows multi-node jobs on the cluster (pod phases and logs). */
    @org.springframework.scheduling.annotation.Scheduled(fixedDelay = 2000)
    public void followClusterJobs() {
        // A running job is activity, even a quiet one: its machine must not be stopped as idle.
        running.values().forEach(run -> activity.touch(run.studioId));
        if (cluster != null) {
            cluster.follow(clusterListener);
        }
    }

    private void finish(Run run, Status status, String detail) {
        if (running.remove(run.jobId) == null) {
            return;
        }
        run.output.note(status.name().toLowerCase() + ": " + detail);
        run.output.close();
        ended.put(run.jobId, clock.millis());
        jobs.ended(run.jobId, status, detail, clock.instant());
        log.info("Job {} of studio {}: {} ({})", run.jobId, run.studioId, status,
                dev.kiln.server.config.LogText.clean(detail)); // the detail may be the machine's words
    }

    /**
     * Every minute: finished jobs' logs (up to 50,000 lines each) and metric series leave memory ten minutes after
     * the job ended; reading them later goes to the log file and the series file beside it.
     */
    @org.springframework.scheduling.annotation.Scheduled(fixedDelay = 60_000)
    void pruneFinishedOutputs() {
        long before = clock.millis() - OUTPUT_KEPT_AFTER_END_MS;
        ended.entrySet().removeIf(e -> {
            if (e.getValue() < before && !running.containsKey(e.getKey())) {
                outputs.remove(e.getKey());
                return true;
            }
            return false;
        });
    }

    int outputsInMemory() {
        return outputs.size();
    }

    private static String describe(int code) {
        return switch (code) {
            case 137 -> " (killed: often the out-of-memory killer)";
            case 143 -> " (terminated)";
            case 139 -> " (a crash in native code)";
            default -> "";
        };
    }

    private static String capitalize(String text) {
        return text.isEmpty() ? text : Character.toUpperCase(text.charAt(0)) + text.substring(1);
    }
}
