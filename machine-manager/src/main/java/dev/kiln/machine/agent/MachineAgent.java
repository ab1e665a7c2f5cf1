package dev.kiln.machine.agent;

import dev.kiln.machine.protocol.FromMachine;
import dev.kiln.machine.protocol.MachineCodec;
import dev.kiln.machine.protocol.ToMachine;

import java.lang.management.ManagementFactory;
import java.net.URI;
import java.nio.file.Path;
import java.net.http.HttpClient;
import java.net.http.WebSocket;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;


/**
 * The small process on every studio machine (a local process or a pod). It dials home to the server over a
 * WebSocket authenticated with its per-machine token, says which studio, machine type and generation it is, and
 * reports health and usage every second, so the server knows the machine is ready without ever reaching into it. It
 * reconnects with backoff when the server restarts, and exits when the server refuses its token or tells it to stop.
 * Once connected it syncs the studio's files ({@link WorkspaceSync}), then serves the server's requests: commands
 * ({@link CommandRunner}), terminals ({@link TerminalHost}) and further syncs. Protocol: the typed messages of
 * {@code dev.kiln.machine.protocol}, written down in machine-manager/PROTOCOL.md.
 */
public final class MachineAgent {
    /** Close code the server uses for a refused token: no point in retrying. */
    public static final int REFUSED = 4401;
    /**
     * Close code of an agent that has finished stopping (commands ended, files saved): its home may be used by the
     * next machine now, without waiting the last few hundred ms until the JVM process is gone.
     */
    public static final int STOPPED = 4001;
    /** Close code for a second connection with a token whose machine is connected already. */
    public static final int DUPLICATE = 4409;

    private final Map<String, String> env;
    private final CountDownLatch stopped = new CountDownLatch(1);
    private final Outbox outbox = new Outbox();
    private final Path home;
    private final CommandRunner commands;
    private final TerminalHost terminals;
    private final MachineUsage usage;
    private final ExecutorService syncs = Executors.newSingleThreadExecutor(
            Thread.ofPlatform().name("kiln-agent-sync").daemon().factory());
    private WorkspaceSync workspace;
    /** The last sync's report, sent again when the first connection opens (the first sync runs while connecting). */
    private volatile FromMachine.Synced lastSync;
    private boolean firstConnection = true;
    private JobRunner jobs;
    private Downloader downloads;
    private WorkspaceWatcher watcher;
    private FileService files;
    private KernelHost kernels;
    private volatile int exitCode;
    /** Health and usage reports: every second (the studio's live machine charts), or KILN_HEALTH_INTERVAL_MS. */
    private final long healthIntervalMillis;
    private boolean announced;

    MachineAgent(Map<String, String> env) {
        this.env = env;
        this.home = Path.of(env.getOrDefault("HOME", System.getProperty("user.home"))).toAbsolutePath();
        this.commands = new CommandRunner(outbox, home);
        this.terminals = new TerminalHost(outbox, home);
        this.usage = new MachineUsage(home);
        this.healthIntervalMillis = Long.parseLong(env.getOrDefault("KILN_HEALTH_INTERVAL_MS", "1000"));
    }

    public static void main(String[] args) throws InterruptedException {
        // Before the token is read: the machine's shells and jobs run as the same user and must not read it from
        // this process's memory.
        ProcessHardening.forbidTracing();
        var agent = new MachineAgent(System.getenv());
        System.exit(agent.run(AgentToken.read(System.getenv(), System.in)));
    }

    int run(String token) throws InterruptedException {
        String server = require("KILN_SERVER_URL");
        URI uri = URI.create(server.replaceFirst("^http", "ws").replaceAll("/$", "") + "/agent");
        if (token == null) {
            log("no token: the machine backend gives it on standard input or in KILN_AGENT_TOKEN_FILE");
            return 2;
        }
        workspace = new WorkspaceSync(home, server, env.get("KILN_STUDIO_ID"), token);
        jobs = new JobRunner(outbox, home, commands, workspace);
        JobSecrets.purge(home);
        downloads = new Downloader(outbox, home, server);
        watcher = new WorkspaceWatcher(home, workspace, outbox);
        files = new FileService(outbox, home, server, workspace, watcher, syncs);
        workspace.onFetchNeeded(() -> syncs.execute(this::sync));
        kernels = new KernelHost(outbox, home, workspace, env);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            // SIGTERM (a switch or a stop): end commands gracefully so a trainer can checkpoint, and say that their
            // exits are interruptions (the server resumes jobs on the next machine), not failures.
            commands.interrupted();
            commands.close();
            terminals.close();
            watcher.close();
            files.close();
            kernels.close();
            // Last: tell the server this machine is done with its files. A JVM with threads in native code (the
            // HTTP client's selector, process reapers) takes about 300 ms more to exit; the server need not wait.
            // Before the main loop hears of the stop, so that its own plain close does not come first.
            outbox.goodbye(STOPPED);
            stopped.countDown();
        }));
        // Fetch the files while the connection is being set up: on a new machine both take about a second.
        syncs.execute(this::sync);
        HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();
        Duration backoff = Duration.ofMillis(250);
        while (stopped.getCount() > 0) {
            try {
                var listener = new Listener();
                WebSocket socket = http.newWebSocketBuilder().header("Authorization", "Bearer " + token)
                        .buildAsync(uri, listener).get(15, TimeUnit.SECONDS);
                backoff = Duration.ofMillis(250);
                socket.sendText(MachineCodec.encode(hello()), true).get(10, TimeUnit.SECONDS);
                outbox.attach(socket);
                if (firstConnection) {
                    firstConnection = false;
                    var done = lastSync;
                    if (done != null) {
                        outbox.offer(done);
                    }
                } else {
                    // Reports the old connection may have lost are made again; files may have changed meanwhile.
                    watcher.reconnected();
                    syncs.execute(this::sync);
                }
                if (!announced) {
                    announced = true;
                    long sinceStart = System.currentTimeMillis() - ManagementFactory.getRuntimeMXBean().getStartTime();
                    log("connected " + sinceStart + " ms after the JVM started");
                }
                while (!listener.closed.isDone() && stopped.getCount() > 0) {
                    outbox.offer(health());
                    stopped.await(healthIntervalMillis, TimeUnit.MILLISECONDS);
                }
                outbox.detach();
                if (stopped.getCount() > 0) {
                    log("connection closed (" + listener.closed.getNow(-1) + "); reconnecting");
                }
                if (listener.closed.getNow(0) == REFUSED) {
                    log("the server refused this machine's token; exiting");
                    return 3;
                }
                if (stopped.getCount() == 0) {
                    socket.sendClose(WebSocket.NORMAL_CLOSURE, "stopping").get(5, TimeUnit.SECONDS);
                }
            } catch (Exception e) {
                if (e.getCause() != null && String.valueOf(e.getCause().getMessage()).contains("401")) {
                    log("the server refused this machine's token; exiting");
                    return 3;
                }
                if (e.getCause() != null && String.valueOf(e.getCause().getMessage()).contains("409")) {
                    // The server still holds this machine's previous connection (it refuses a second one with the
                    // same token): it lets go once it notices that one is gone.
                    log("the server still has this machine's previous connection; retrying");
                }
                log("cannot reach " + uri + " (" + e.getClass().getSimpleName() + "); retrying in " + backoff.toMillis()
                        + " ms");
                stopped.await(backoff.toMillis(), TimeUnit.MILLISECONDS);
                backoff = backoff.multipliedBy(2).compareTo(Duration.ofSeconds(10)) > 0 ? Duration.ofSeconds(10)
                        : backoff.multipliedBy(2);
            }
        }
        return exitCode;
    }

    private FromMachine.Hello hello() {
        return new FromMachine.Hello(env.get("KILN_STUDIO_ID"), env.get("KILN_MACHINE_TYPE"),
                Long.parseLong(env.getOrDefault("KILN_MACHINE_GENERATION", "0")),
                Runtime.getRuntime().availableProcessors(), ProcessHandle.current().pid(), jobs.reports());
    }

    private FromMachine.Health health() {
        return usage.sample(Instant.now().toString(), outbox.dropped());
    }

    /** Syncs the workspace and tells the server the commit (the machine is ready once it has its files). */
    private void sync() {
        long started = System.nanoTime();
        String commit = null;
        String error = null;
        try {
            commit = workspace.sync().commit();
        } catch (Exception e) {
            error = "cannot sync the workspace: " + e.getMessage();
            log("cannot sync the workspace: " + e);
        }
        long millis = (System.nanoTime() - started) / 1_000_000;
        log("synced the workspace in " + millis + " ms, "
                + (ManagementFactory.getRuntimeMXBean().getUptime()) + " ms after the JVM started");
        var synced = new FromMachine.Synced(commit, null, error, millis);
        lastSync = synced;
        outbox.offer(synced);
    }

    private void handle(ToMachine message) {
        switch (message) {
            case ToMachine.Stop ignored -> {
                log("the server asked this machine to stop");
                exitCode = 0;
                stopped.countDown();
            }
            case ToMachine.Sync ignored -> syncs.execute(this::sync);
            case ToMachine.SaveWork save -> jobs.saveWork(java.time.Duration.ofMillis(save.graceMillis()));
            case ToMachine.Exec exec -> {
                if (exec.command().isEmpty()) {
                    log("ignored an exec without a command");
                    return;
                }
                commands.start(exec.id(), exec.command(), exec.cwd(), exec.env());
            }
            case ToMachine.JobStart job -> jobs.start(new JobRunner.Request(job.id(), job.entryPoint(), job.args(),
                    job.nodes(), job.devices(), job.env(), job.resume(),
                    job.connections() != null && job.connections().isObject() ? job.connections().toString() : null));
            case ToMachine.JobLog request -> JobLogSender.start(outbox, home, request);
            case ToMachine.Download download -> downloads.start(download.id(), download.url(), download.target(),
                    download.size());
            case ToMachine.Cancel cancel -> {
                jobs.cancel(cancel.id());
                commands.cancel(cancel.id(), cancel.graceMillis());
            }
            case ToMachine.PtyOpen open -> terminals.open(open.id(), open.cols(), open.rows());
            case ToMachine.PtyInput input -> terminals.input(input.id(), input.data());
            case ToMachine.PtyResize resize -> terminals.resize(resize.id(), resize.cols(), resize.rows());
            case ToMachine.PtyClose close -> terminals.close(close.id());
            case ToMachine.Fs fs -> files.handle(fs);
            case ToMachine.ListKernels list -> kernels.listSpecs(list.id());
            case ToMachine.KernelStart start -> kernels.start(start.kernel(), start.spec(), start.connections());
            case ToMachine.KernelExecute execute -> kernels.execute(execute.kernel(), execute.request(), execute.code());
            case ToMachine.KernelInterrupt interrupt -> kernels.interrupt(interrupt.kernel());
            case ToMachine.KernelRestart restart -> kernels.restart(restart.kernel());
            case ToMachine.KernelShutdown shutdown -> kernels.shutdown(shutdown.kernel());
            case ToMachine.KernelComplete complete -> kernels.complete(complete.kernel(), complete.request(),
                    complete.code(), complete.cursor());
            case ToMachine.KernelInspect inspect -> kernels.inspect(inspect.kernel(), inspect.request(), inspect.code(),
                    inspect.cursor());
        }
    }

    private final class Listener implements WebSocket.Listener {
        final CompletableFuture<Integer> closed = new CompletableFuture<>();
        private final StringBuilder text = new StringBuilder();

        @Override
        public CompletionStage<?> onText(WebSocket socket, CharSequence data, boolean last) {
            text.append(data);
            if (last) {
                try {
                    handle(MachineCodec.toMachine(text.toString()));
                } catch (MachineCodec.ProtocolException e) {
                    log("ignored a message that does not follow the protocol: " + e.getMessage());
                }
                text.setLength(0);
            }
            socket.request(1);
            return null;
        }

        @Override
        public CompletionStage<?> onClose(WebSocket socket, int statusCode, String reason) {
            closed.complete(statusCode);
            return null;
        }

        @Override
        public void onError(WebSocket socket, Throwable error) {
            closed.complete(-1);
        }
    }

    private String require(String name) {
        String value = env.get(name);
        if (value == null || value.isBlank()) {
            log(name + " is not set; the machine backend starts agents with it");
            System.exit(2);
        }
        return value;
    }

    private static void log(String message) {
        System.out.println("kiln-agent: " + message);
    }
}
