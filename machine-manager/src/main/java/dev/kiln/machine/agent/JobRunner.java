package dev.kiln.machine.agent;

import dev.kiln.machine.protocol.FromMachine;

import java.io.File;
import java.io.IOException;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;


/**
 * Runs a studio job on this machine: brings the workspace to the latest commit, compiles its Java sources
 * ({@code src/main/java}) against the training runtime with javax.tools, checks the entry point, and starts it through
 * {@link CommandRunner} (so output streams back and cancel stops every process). A {@code TrainingModule} runs under
 * {@code kiln-train launch} with one process per device, wired for DDP; any other class runs as a plain main class.
 * Compile errors go back as {@code job.diagnostics} with file, line and column, for the editor.
 */
final class JobRunner {
    static final String TRAINING_MODULE = "dev.kiln.training.TrainingModule";

    /** Where a job's progress goes: to the server (the agent), or to the log of a multi-node job's pod. */
    interface Reporter {
        void phase(String id, String phase, String detail);

        void diagnostics(String id, List<FromMachine.Diagnostic> items);

        void failed(String id, String reason);
    }

    /** What to start once the workspace is compiled: the command, its environment and working directory. */
    record Launch(List<String> command, Map<String, String> env, Path logFile) {}

    private final Outbox outbox;
    private final Path home;
    private final CommandRunner commands;
    private final WorkspaceSync workspace;
    private final java.util.Set<String> cancelled = java.util.concurrent.ConcurrentHashMap.newKeySet();
    /** Running training jobs, by id, with the file that asks each to checkpoint now. */
    private final Map<String, Path> checkpointable = new java.util.concurrent.ConcurrentHashMap<>();

    /**
     * What this agent knows of its jobs, for the hello of every connection: preparing, running, or ended (with the
     * exit, which the server may have missed while it was away). The ended ones are the last {@link #ENDED_KEPT}.
     */
    private final Map<String, FromMachine.JobReport> reports = java.util.Collections.synchronizedMap(
            new LinkedHashMap<>());
    static final int ENDED_KEPT = 50;

    JobRunner(Outbox outbox, Path home, CommandRunner commands, WorkspaceSync workspace) {
        this.outbox = outbox;
        this.home = home;
        this.commands = commands;
        this.workspace = workspace;
        commands.onExit(exit -> {
            if (reports.containsKey(exit.id())) {
                ended(exit);
            }
        });
    }

    /** The jobs this agent knows, oldest first (see {@link #reports}). */
    List<FromMachine.JobReport> reports() {
        synchronized (reports) {
            return List.copyOf(reports.values());
        }
    }

    private void report(String id, String state) {
        reports.put(id, new FromMachine.JobReport(id, state, null, null, null));
    }

    private void ended(FromMachine.Exit exit) {
        synchronized (reports) {
            reports.remove(exit.id());
            reports.put(exit.id(), new FromMachine.JobReport(exit.id(), FromMachine.JobReport.ENDED, exit.code(),
                    exit.error(), exit.interrupted()));
            var ended = reports.values().stream().filter(r -> FromMachine.JobReport.ENDED.equals(r.state()))
                    .map(FromMachine.JobReport::id).toList();
            for (int i = 0; i < ended.size() - ENDED_KEPT; i++) {
                reports.remove(ended.get(i));
            }
        }
    }

    /** What the server asks for. {@code devices} processes per node; local nodes are simply more processes. */
    record Request(String id, String entryPoint, List<String> args, int nodes, int devices, Map<String, String> env,
                   boolean resume, String connections) {}

    /** A cancel that may arrive while the job is still syncing or compiling: it then never starts. */
    void cancel(String id) {
        cancelled.add(id);
    }

    void start(Request job) {
        synchronized (reports) {
            var known = reports.get(job.id());
            if (known != null && !FromMachine.JobReport.ENDED.equals(known.state())) {
                return; // a repeated request (a server that had not heard of it yet): it is under way already
            }
            report(job.id(), FromMachine.JobReport.PREPARING);
        }
        Thread.ofPlatform().name("kiln-job-" + job.id()).daemon().start(() -> {
            try {
                run(job);
            } catch (Exception e) {
                exit(job.id(), "the job could not start: " + e.getMessage());
            }
        });
    }

    private void run(Request job) throws Exception {
        Launch launch = prepare(job, reporter, 0, 1, "127.0.0.1", 0);
        if (launch == null) {
            return;
        }
        if (cancelled.remove(job.id())) {
            exit(job.id(), "cancelled before it started");
            return;
        }
        var env = new LinkedHashMap<>(launch.env());
        Path secrets = JobSecrets.write(home, job.id(), job.connections());
        if (secrets != null) {
            env.put(JobSecrets.ENV, secrets.toString());
        }
        // The launcher writes why a rank failed here; it goes back with the exit, so the server reads no output.
        Path reason = launch.logFile().resolveSibling("exit-reason.txt");
        Files.deleteIfExists(reason);
        env.put("KILN_EXIT_REASON_FILE", reason.toString());
        String request = env.get(CHECKPOINT_REQUEST);
        if (request != null) {
            Files.deleteIfExists(Path.of(request));
            Files.deleteIfExists(Path.of(request + ".done"));
            checkpointable.put(job.id(), Path.of(request));
        }
        report(job.id(), FromMachine.JobReport.RUNNING);
        commands.start(job.id(), launch.command(), WorkspaceSync.DIRECTORY, env, launch.logFile(), () -> {
            checkpointable.remove(job.id());
            JobSecrets.delete(home, job.id());
        }, () -> readReason(reason));
    }

    private final Reporter reporter = new Reporter() {
        @Override
        public void phase(String id, String phase, String detail) {
            JobRunner.this.phase(id, phase, detail);
        }

        @Override
        public void diagnostics(String id, List<FromMachine.Diagnostic> items) {
            outbox.offer(new FromMachine.JobDiagnostics(id, items));
        }

        @Override
        public void failed(String id, String reason) {
            exit(id, reason);
        }
    };

    /**
     * Syncs, compiles and checks the entry point; the launch, or null after reporting why not. For a node of a
     * multi-node job, {@code nodeRank} of {@code nnodes} with rank 0's address and port; else 0 of 1.
     */
    Launch prepare(Request job, Reporter reporter, int nodeRank, int nnodes, String masterAddr, int masterPort)
            throws Exception {
        reporter.phase(job.id(), "syncing", "Syncing the workspace");
        String commit = workspace.sync().commit();
        Path dir = home.resolve("jobs").resolve(job.id());
        Path classes = dir.resolve("classes");
        Files.createDirectories(classes);
        List<String> runtime = RuntimeClasspath.resolve(home);

        reporter.phase(job.id(), "compiling", "Compiling the workspace at " + (commit == null ? "?" : commit.substring(0, 7)));
        Path sources = home.resolve(WorkspaceSync.DIRECTORY).resolve("src/main/java");
        if (!compile(job.id(), sources, classes, runtime, reporter)) {
            reporter.failed(job.id(), "the workspace does not compile (see the errors in the editor)");
            return null;
        }

        var classpath = new ArrayList<String>();
        classpath.add(classes.toString());
        Path resources = home.resolve(WorkspaceSync.DIRECTORY).resolve("src/main/resources");
        if (Files.isDirectory(resources)) {
            classpath.add(resources.toString());
        }
        classpath.addAll(runtime);
        boolean module;
        try (var loader = new URLClassLoader(urls(classpath), ClassLoader.getPlatformClassLoader())) {
            Class<?> entry;
            try {
                entry = Class.forName(job.entryPoint(), false, loader);
            } catch (ClassNotFoundException | LinkageError e) {
                reporter.failed(job.id(), "no class " + job.entryPoint() + " in the workspace (looked in src/main/java)");
                return null;
            }
            module = Class.forName(TRAINING_MODULE, false, loader).isAssignableFrom(entry);
            if (!module && !hasMain(entry)) {
                reporter.failed(job.id(), job.entryPoint() + " is neither a TrainingModule nor a class with a main method");
                return null;
            }
        }

        var command = new ArrayList<String>();
        command.add(ProcessHandle.current().info().command().orElse("java"));
        command.add("--enable-native-access=ALL-UNNAMED");
        command.addAll(JobLogging.jvmOptions(home, home.resolve(WorkspaceSync.DIRECTORY)));
        command.add("-cp");
        command.add(String.join(File.pathSeparator, classpath));
        // On one machine, nodes are simply more local processes; across machines each node starts its share.
        int processes = nnodes > 1 ? Math.max(1, job.devices()) : Math.max(1, job.nodes()) * Math.max(1, job.devices());
        if (module) {
            command.addAll(List.of("dev.kiln.training.cli.KilnTrain", "launch", "--nproc-per-node",
                    String.valueOf(processes)));
            if (nnodes > 1) {
                command.addAll(List.of("--nnodes", String.valueOf(nnodes), "--node-rank", String.valueOf(nodeRank),
                        "--master-addr", masterAddr, "--master-port", String.valueOf(masterPort)));
            }
            command.addAll(List.of("--", "fit", "--module", job.entryPoint(), "--trainer.root-dir=" + dir));
            for (String arg : job.args()) {
                command.add(arg.startsWith("--") ? arg : "--arg=" + arg);
            }
            Path last = dir.resolve("checkpoints").resolve("last");
            if (job.resume() && Files.exists(last)) {
                // The same job, moved to another machine (or back after a crash): the home volume kept its checkpoints.
                command.add("--ckpt-path=" + last);
                reporter.phase(job.id(), "resuming", "Resuming from the last checkpoint (" + last + ")");
            }
        } else {
            command.add(job.entryPoint());
            command.addAll(job.args());
        }
        var env = new LinkedHashMap<>(job.env());
        env.put("KILN_METRICS", "stdout");
        env.put("KILN_JOB_ID", job.id());
        env.put("KILN_JOB_DIR", dir.toString());
        if (module) {
            env.put(CHECKPOINT_REQUEST, dir.resolve("checkpoint-request").toString());
        }
        reporter.phase(job.id(), "starting", module ? "Starting " + processes + " process" + (processes == 1 ? "" : "es")
                + " (kiln-train launch)" : "Starting " + job.entryPoint());
        return new Launch(command, env, dir.resolve(job.resume() ? "output-resumed.log" : "output.log"));
    }

    private boolean compile(String id, Path sources, Path classes, List<String> classpath, Reporter reporter)
            throws IOException {
        var result = WorkspaceCompiler.compile(home, sources, classes, classpath);
        if (!result.diagnostics().isEmpty()) {
            reporter.diagnostics(id, result.diagnostics());
        }
        return result.ok();
    }

    private static boolean hasMain(Class<?> type) {
        try {
            return java.lang.reflect.Modifier.isStatic(type.getMethod("main", String[].class).getModifiers());
        } catch (NoSuchMethodException | LinkageError e) {
            return false;
        }
    }

    private static URL[] urls(List<String> classpath) throws IOException {
        var urls = new URL[classpath.size()];
        for (int i = 0; i < urls.length; i++) {
            urls[i] = Path.of(classpath.get(i)).toUri().toURL();
        }
        return urls;
    }

    /** Where a training job is asked to checkpoint now (the runtime's ModelCheckpoint answers in {@code <file>.done}). */
    static final String CHECKPOINT_REQUEST = "KILN_CHECKPOINT_REQUEST";

    /**
     * Asks every running training job to checkpoint now and waits until each has answered, has ended, or {@code grace}
     * is over; then says which did. Before a machine stops or moves, so its jobs resume without losing a step.
     */
    void saveWork(java.time.Duration grace) {
        Thread.ofPlatform().name("kiln-save-work").daemon().start(() -> {
            var asked = new LinkedHashMap<>(checkpointable);
            for (Path request : asked.values()) {
                try {
                    Files.deleteIfExists(Path.of(request + ".done"));
                    Files.writeString(request, "checkpoint now");
                } catch (IOException e) {
                    // that job cannot be asked; it still checkpoints as it stops, if it can
                }
            }
            long deadline = System.nanoTime() + grace.toNanos();
            var saved = new ArrayList<FromMachine.SavedJob>();
            var waiting = new LinkedHashMap<>(asked);
            while (!waiting.isEmpty() && System.nanoTime() < deadline) {
                waiting.entrySet().removeIf(job -> {
                    Path done = Path.of(job.getValue() + ".done");
                    if (Files.exists(done)) {
                        saved.add(new FromMachine.SavedJob(job.getKey(), readStep(done)));
                        return true;
                    }
                    return !checkpointable.containsKey(job.getKey()); // it ended meanwhile
                });
                try {
                    Thread.sleep(50);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    break;
                }
            }
            outbox.offer(new FromMachine.WorkSaved(saved, List.copyOf(waiting.keySet())));
        });
    }

    private static long readStep(Path done) {
        try {
            return Long.parseLong(Files.readString(done).strip());
        } catch (IOException | NumberFormatException e) {
            return -1;
        }
    }

    private static String readReason(Path file) {
        try {
            return Files.exists(file) ? Files.readString(file).strip() : null;
        } catch (IOException e) {
            return null;
        }
    }

    private void phase(String id, String phase, String detail) {
        outbox.offer(new FromMachine.JobPhase(id, phase, detail));
    }

    private void exit(String id, String error) {
        var exit = new FromMachine.Exit(id, -1, error, null, null);
        ended(exit);
        outbox.offer(exit);
    }
}
