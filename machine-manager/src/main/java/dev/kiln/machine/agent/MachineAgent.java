package dev.kiln.machine.agent;

import java.lang.management.ManagementFactory;
import java.net.URI;
import java.nio.file.Path;
import java.net.http.HttpClient;
import java.net.http.WebSocket;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;

import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * The small process on every studio machine (a local process or a pod). It dials home to the server over a
 * WebSocket authenticated with its per-machine token, says which studio, machine type and generation it is, and
 * reports health and usage every second, so the server knows the machine is ready without ever reaching into it. It
 * reconnects with backoff when the server restarts, and exits when the server refuses its token or tells it to stop.
 * Once connected it syncs the studio's files ({@link WorkspaceSync}), then serves the server's requests: commands
 * ({@link CommandRunner}), terminals ({@link TerminalHost}) and further syncs. Protocol: JSON text messages with a
 * {@code type}; see the README's "Machine agent" section.
 */
public final class MachineAgent {
    static final JsonMapper JSON = JsonMapper.shared();
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
    private volatile Map<String, Object> lastSync;
    private boolean firstConnection = true;
    private JobRunner jobs;
    private Downloader downloads;
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
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            // SIGTERM (a switch or a stop): end commands gracefully so a trainer can checkpoint, and say that their
            // exits are interruptions (the server resumes jobs on the next machine), not failures.
            commands.interrupted();
            commands.close();
            terminals.close();
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
                socket.sendText(JSON.writeValueAsString(hello()), true).get(10, TimeUnit.SECONDS);
                outbox.attach(socket);
                if (firstConnection) {
                    firstConnection = false;
                    var done = lastSync;
                    if (done != null) {
                        outbox.offer(done);
                    }
                } else {
                    syncs.execute(this::sync); // files may have changed while the server was away
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

    private Map<String, Object> hello() {
        var hello = new LinkedHashMap<String, Object>();
        hello.put("type", "hello");
        hello.put("studio", env.get("KILN_STUDIO_ID"));
        hello.put("machineType", env.get("KILN_MACHINE_TYPE"));
        hello.put("generation", Long.parseLong(env.getOrDefault("KILN_MACHINE_GENERATION", "0")));
        hello.put("cpus", Runtime.getRuntime().availableProcessors());
        hello.put("pid", ProcessHandle.current().pid());
        return hello;
    }

    private Map<String, Object> health() {
        var health = new LinkedHashMap<String, Object>();
        health.put("type", "health");
        health.put("time", Instant.now().toString());
        health.putAll(usage.sample());
        health.put("dropped", outbox.dropped());
        return health;
    }

    /** Syncs the workspace and tells the server the commit (the machine is ready once it has its files). */
    private void sync() {
        var synced = new LinkedHashMap<String, Object>();
        synced.put("type", "synced");
        long started = System.nanoTime();
        try {
            var result = workspace.sync();
            synced.put("commit", result.commit());
            if (result.keptBranch() != null) {
                synced.put("kept", result.keptBranch());
                log("kept changes made on this machine on branch " + result.keptBranch());
            }
        } catch (Exception e) {
            synced.put("error", "cannot sync the workspace: " + e.getMessage());
            log("cannot sync the workspace: " + e);
        }
        long millis = (System.nanoTime() - started) / 1_000_000;
        synced.put("millis", millis);
        log("synced the workspace in " + millis + " ms, "
                + (ManagementFactory.getRuntimeMXBean().getUptime()) + " ms after the JVM started");
        lastSync = synced;
        outbox.offer(synced);
    }

    private void handle(JsonNode message) {
        String id = message.path("id").asString();
        switch (message.path("type").asString()) {
            case "stop" -> {
                log("the server asked this machine to stop");
                exitCode = 0;
                stopped.countDown();
            }
            case "sync" -> syncs.execute(this::sync);
            case "exec" -> {
                var command = new java.util.ArrayList<String>();
                message.path("command").forEach(part -> command.add(part.asString()));
                var commandEnv = new java.util.HashMap<String, String>();
                message.path("env").properties().forEach(e -> commandEnv.put(e.getKey(), e.getValue().asString()));
                if (command.isEmpty()) {
                    log("ignored an exec without a command");
                    return;
                }
                commands.start(id, command, message.path("cwd").asString(null), commandEnv);
            }
            case "job.start" -> {
                var args = new java.util.ArrayList<String>();
                message.path("args").forEach(a -> args.add(a.asString()));
                var jobEnv = new java.util.HashMap<String, String>();
                message.path("env").properties().forEach(e -> jobEnv.put(e.getKey(), e.getValue().asString()));
                JsonNode connections = message.path("connections");
                jobs.start(new JobRunner.Request(id, message.path("entryPoint").asString(), args,
                        message.path("nodes").asInt(1), message.path("devices").asInt(1), jobEnv,
                        message.path("resume").asBoolean(false),
                        connections.isObject() ? connections.toString() : null));
            }
            case "download" -> downloads.start(id, message.path("url").asString(), message.path("target").asString(),
                    message.path("size").asLong(-1));
            case "cancel" -> {
                jobs.cancel(id);
                commands.cancel(id, message.path("graceMillis").asLong(10_000));
            }
            case "pty.open" -> terminals.open(id, message.path("cols").asInt(80), message.path("rows").asInt(24));
            case "pty.input" -> terminals.input(id, message.path("data").asString());
            case "pty.resize" -> terminals.resize(id, message.path("cols").asInt(), message.path("rows").asInt());
            case "pty.close" -> terminals.close(id);
            default -> log("ignored a message of unknown type " + message.path("type"));
        }
    }

    /** A message to the server about one command or terminal. */
    static Map<String, Object> message(String type, String id) {
        var message = new LinkedHashMap<String, Object>();
        message.put("type", type);
        message.put("id", id);
        return message;
    }

    private final class Listener implements WebSocket.Listener {
        final CompletableFuture<Integer> closed = new CompletableFuture<>();
        private final StringBuilder text = new StringBuilder();

        @Override
        public CompletionStage<?> onText(WebSocket socket, CharSequence data, boolean last) {
            text.append(data);
            if (last) {
                try {
                    handle(JSON.readTree(text.toString()));
                } catch (RuntimeException e) {
                    log("ignored a malformed message from the server");
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
