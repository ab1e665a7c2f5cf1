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
import java.time.Duration;
import java.time.Clock;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Runs studios' jobs and follows them: a job runs on a {@link JobBackend} (the agent of the studio's machine, or an
 * Indexed Job on the cluster for a multi-node job on Kubernetes), and the {@link JobReconciler} follows it, planning
 * each step with the {@link JobPlanner} from what the backend observes: phases, compile diagnostics, output (logs and
 * metric lines, see {@link JobOutput}) and the exit. Status and parameters are persisted; logs are files under
 * {@code <data>/jobs}; metrics also go to Micrometer ({@link JobMetrics}). After a restart the jobs the records say
 * were under way are adopted: followed again where their machine or the cluster still runs them, ended with the
 * reason where not.
 */
@Service
public class JobService implements StudioJobs, dev.kiln.server.studio.StudioScoped {
    private static final Logger log = LoggerFactory.getLogger(JobService.class);
    private final dev.kiln.server.data.DataConnections data;
    private static final tools.jackson.databind.json.JsonMapper JSON = tools.jackson.databind.json.JsonMapper.shared();
    private static final String JAVA_NAME = "([\\p{L}_$][\\p{L}\\p{N}_$]*\\.)*[\\p{L}_$][\\p{L}\\p{N}_$]*";
    private static final int MAX_LINES_PER_READ = 20_000;
    /** How long a job found after a restart waits for its machine to report it. */
    static final Duration RESTART_PATIENCE = Duration.ofMinutes(5);

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
    /** Jobs on the studio's machine, run by its agent. */
    private final AgentJobs onMachines;
    /** Multi-node jobs on the Kubernetes backend; null on the local backend (nodes are local processes there). */
    private final ClusterJobs cluster;
    private final JobReconciler reconciler;

    private final Map<String, JobOutput> outputs = new ConcurrentHashMap<>();
    /** The studio of each job in {@link #outputs}. */
    private final Map<String, String> outputStudios = new ConcurrentHashMap<>();
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
        this.onMachines = new AgentJobs(machines, machineControl::wantsMachine);
        this.reconciler = new JobReconciler(jobs, new JobPlanner(RESTART_PATIENCE), clock, this::connections,
                job -> ended.put(job.jobId, clock.millis()), activity::touch);
        onMachines.listen(reconciler);
        if (cluster != null) {
            cluster.listen(reconciler);
        }
    }

    /** The one choice of backend: a multi-node job on a cluster runs as an Indexed Job, every other on the machine. */
    private JobBackend backendFor(JobRequest request) {
        return cluster != null && request.nodes() > 1 ? cluster : onMachines;
    }

    /**
     * Jobs the records say were under way when the server stopped are followed again: their machine (a pod that
     * outlived the server) or the cluster reports them, or the planner ends them with the reason (a local machine
     * stops with the server). Indexed Jobs whose record has ended are removed.
     */
    @PostConstruct
    void adoptUnfinished() {
        var unfinished = jobs.unfinished();
        if (cluster != null) {
            try {
                cluster.removeOrphans(java.util.Set.copyOf(unfinished));
            } catch (RuntimeException e) {
                log.warn("Cannot look for Kiln's Indexed Jobs on the cluster: {}",
                        dev.kiln.server.config.LogText.clean(e.getMessage()));
            }
        }
        for (String id : unfinished) {
            var job = jobs.find(id).orElseThrow();
            String studioId = jobs.studioOf(id).orElseThrow();
            MachineType type = catalog.types().stream().filter(t -> t.id().equals(job.machineType())).findFirst()
                    .orElse(null);
            var backend = backendFor(job.request());
            backend.adopt(studioId, job, type);
            var output = output(studioId, id);
            output.reload();
            var followed = new JobReconciler.Followed(studioId, id, job.request(), type, jobs.starterOf(id).orElse(null),
                    output, backend, DesiredJob.submitted(id).foundAfterRestart(clock.instant()));
            followed.shown = job.status();
            log.info("Job {} of studio {} was {} when Kiln stopped; following it again", id, studioId, job.status());
            reconciler.follow(followed);
        }
    }

    /** The server stops: the charts' points of running jobs are saved, for the server that finds them again. */
    @jakarta.annotation.PreDestroy
    void saveRunningSeries() {
        reconciler.followed().forEach(job -> job.output.saveSeries());
    }

    /** The studio's data connections for a launch, with short-lived credentials; their notes go to the job's log. */
    private tools.jackson.databind.JsonNode connections(JobReconciler.Followed job) {
        // The agent writes them to a file only this job can read (KILN_CONNECTIONS) and deletes it when the job
        // ends; a cluster job gets them in its Secret. Never logged.
        var connections = data.forJob(job.studioId);
        connections.notes().forEach(job.output::note);
        return JSON.valueToTree(connections.document());
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
        var starter = Users.current();
        JobSummary job = jobs.create(id, studioId, request, type.id(), starter.displayName(), starter.id(),
                clock.instant());
        var followed = new JobReconciler.Followed(studioId, id, request, type, starter.id(), output(studioId, id),
                backendFor(request), DesiredJob.submitted(id));
        followed.output.note("job " + job.number() + ": " + request.entryPoint() + " " + String.join(" ", request.args())
                + " on " + type.displayName() + ", " + request.nodes() + " node(s) x " + request.devices()
                + " device(s), started by " + job.startedBy());
        reconciler.follow(followed);
        activity.touch(studioId);
        return jobs.find(id).orElseThrow();
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
        if (job.status().ended() || !reconciler.follows(jobId)) {
            return job;
        }
        reconciler.cancel(jobId, Users.current().displayName());
        return jobs.find(jobId).orElseThrow();
    }

    /** A share link was revoked: the jobs its people started stop now. */
    @org.springframework.context.event.EventListener
    void revoked(dev.kiln.server.studio.AccessRevoked event) {
        reconciler.followed().stream().filter(r -> r.studioId.equals(event.studioId()) && !r.cancelling()
                && r.starterId != null && event.userIds().contains(r.starterId)).toList()
                .forEach(r -> reconciler.cancel(r.jobId, "Kiln (the access of the person who started it was revoked)"));
    }

    /**
     * Every few seconds: a job whose starter may no longer run code on the machine (expired, lowered) stops. (A job
     * started before starters were recorded by id is left alone: nobody can tell who started it.)
     */
    @org.springframework.scheduling.annotation.Scheduled(fixedDelay = 5000)
    void sweepStarters() {
        reconciler.followed().stream().filter(r -> !r.cancelling() && r.starterId != null
                        && !access.lookup(r.studioId, r.starterId).map(access::mayRunCode).orElse(false)).toList()
                .forEach(r -> reconciler.cancel(r.jobId, "Kiln (the person who started it may no longer use this "
                        + "studio's machine)"));
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
        return new JobLogDownload(job, logs.resolve(jobId + ".log"), partial, partial && !reconciler.follows(jobId)
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
        outputStudios.put(jobId, studioId);
        return outputs.computeIfAbsent(jobId, id -> new JobOutput(logs.resolve(id + ".log"),
                json -> metrics.record(studioId, id, json), line -> data.masks().mask(studioId, line)));
    }

    /**
     * Every two seconds: backends that poll look again (the cluster's Jobs and pod logs), and every job is planned
     * again. A running job is activity, even a quiet one: its machine must not be stopped as idle.
     */
    @org.springframework.scheduling.annotation.Scheduled(fixedDelay = 2000)
    public void followJobs() {
        reconciler.followed().forEach(job -> activity.touch(job.studioId));
        reconciler.poll(cluster);
    }

    /**
     * Every minute: finished jobs' logs (up to 50,000 lines each) and metric series leave memory ten minutes after
     * the job ended; reading them later goes to the log file and the series file beside it.
     */
    @org.springframework.scheduling.annotation.Scheduled(fixedDelay = 60_000)
    void pruneFinishedOutputs() {
        long before = clock.millis() - OUTPUT_KEPT_AFTER_END_MS;
        ended.entrySet().removeIf(e -> {
            if (e.getValue() < before && !reconciler.follows(e.getKey())) {
                outputs.remove(e.getKey());
                outputStudios.remove(e.getKey());
                return true;
            }
            return false;
        });
    }

    /** The studios whose jobs are followed, or whose finished jobs' outputs are still in memory. */
    @Override
    public java.util.Set<String> liveStudios() {
        var studios = new java.util.HashSet<>(outputStudios.values());
        reconciler.followed().forEach(job -> studios.add(job.studioId));
        return studios;
    }

    /** A deleted studio: its jobs are no longer followed (what a cluster holds for them goes) and outputs leave. */
    @Override
    public void release(String studioId) {
        reconciler.release(studioId);
        outputStudios.entrySet().removeIf(e -> {
            if (e.getValue().equals(studioId)) {
                outputs.remove(e.getKey());
                ended.remove(e.getKey());
                return true;
            }
            return false;
        });
    }

    int outputsInMemory() {
        return outputs.size();
    }

}
