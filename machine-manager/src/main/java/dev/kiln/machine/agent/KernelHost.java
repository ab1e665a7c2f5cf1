package dev.kiln.machine.agent;

import dev.kiln.machine.kernel.ConnectionInfo;
import dev.kiln.machine.kernel.JupyterMessage;
import dev.kiln.machine.kernel.KernelClient;
import dev.kiln.machine.kernel.KernelSpec;
import dev.kiln.machine.kernel.KernelSpecs;
import dev.kiln.machine.protocol.FromMachine;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.node.ObjectNode;

import java.io.File;
import java.io.IOException;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * Notebook kernels on this machine: processes the agent starts (so they run in the machine's sandbox, as its user)
 * and drives through the Jupyter messaging protocol ({@link KernelClient}): any kernelspec installed here, or Kiln's
 * Java kernel on JShell with the training runtime and the workspace's freshly compiled classes on its classpath.
 * Each kernel gets a connection file in {@code ~/.kiln/kernels/<id>} (owner-only) with loopback ports and its own key,
 * and, when the owner chose data connections for jobs, the same connections file a job gets ({@code KILN_CONNECTIONS},
 * deleted when the kernel ends). Outputs go to the server as they come; stream text is gathered for up to 50 ms per
 * message, and a cell's stream stops being sent after {@value #STREAM_CAP} characters: the rest goes on, in full, to
 * {@code ~/.kiln/notebook-output/<request>.log}.
 */
final class KernelHost implements AutoCloseable {
    static final int STREAM_CAP = 1_000_000;
    /** Outputs larger than this (as JSON) are sent in chunks: a frame to the server may be at most 1 MiB. */
    static final int CHUNK = 256 * 1024;
    /** An output over this is replaced by a note: 16 MiB of JSON is no output anyone reads in a browser. */
    static final int MAX_OUTPUT = 16 << 20;
    private static final JsonMapper JSON = JsonMapper.shared();

    private final Outbox outbox;
    private final Path home;
    private final WorkspaceSync workspace;
    private final Map<String, String> env;
    private final Map<String, Kernel> kernels = new ConcurrentHashMap<>();
    private final ScheduledExecutorService timers = Executors.newSingleThreadScheduledExecutor(
            Thread.ofPlatform().name("kiln-kernel-timers").daemon().factory());

    KernelHost(Outbox outbox, Path home, WorkspaceSync workspace, Map<String, String> env) {
        this.outbox = outbox;
        this.home = home;
        this.workspace = workspace;
        this.env = env;
        timers.scheduleWithFixedDelay(() -> kernels.values().forEach(Kernel::flushAll), 50, 50, TimeUnit.MILLISECONDS);
    }

    /** Kiln's own Java kernel, which every machine has. */
    KernelSpec javaSpec() {
        return new KernelSpec(KernelSpec.JAVA, "Java (JShell)", "java", List.of(), Map.of(), "message", null);
    }

    Map<String, KernelSpec> specs() {
        return KernelSpecs.discover(home, env, javaSpec());
    }

    void listSpecs(String id) {
        var list = specs().values().stream().map(s -> new FromMachine.KernelSpecInfo(s.name(), s.displayName(),
                s.language())).toList();
        outbox.offer(new FromMachine.KernelSpecs(id, list));
    }

    void start(String id, String specName, JsonNode connections) {
        if (id == null || !id.matches("[A-Za-z0-9_-]{1,64}")) {
            return;
        }
        var spec = specs().get(specName);
        if (spec == null) {
            outbox.offer(new FromMachine.KernelStatus(id, "dead", "This machine has no kernel \"" + specName
                    + "\" (jupyter kernelspec list shows what it has)", specName, specName, null));
            return;
        }
        var kernel = new Kernel(id, spec, connections != null && connections.isObject() ? connections.toString() : null);
        if (kernels.putIfAbsent(id, kernel) != null) {
            return; // a repeated request: already starting or running
        }
        Thread.ofPlatform().name("kiln-kernel-start-" + id).daemon().start(kernel::launch);
    }

    void execute(String id, String request, String code) {
        var kernel = kernels.get(id);
        if (kernel == null) {
            outbox.offer(new FromMachine.KernelExecuted(id, request, "dead", null));
            return;
        }
        kernel.execute(request, code);
    }

    void interrupt(String id) {
        var kernel = kernels.get(id);
        if (kernel != null) {
            kernel.interrupt();
        }
    }

    void restart(String id) {
        var kernel = kernels.get(id);
        if (kernel != null) {
            Thread.ofPlatform().name("kiln-kernel-restart-" + id).daemon().start(kernel::restart);
        }
    }

    void shutdown(String id) {
        var kernel = kernels.remove(id);
        if (kernel != null) {
            Thread.ofPlatform().name("kiln-kernel-stop-" + id).daemon().start(() -> kernel.stop("The kernel was shut down"));
        }
    }

    void complete(String id, String request, String code, int cursor) {
        var kernel = kernels.get(id);
        if (kernel != null) {
            kernel.complete(request, code, cursor);
        }
    }

    void inspect(String id, String request, String code, int cursor) {
        var kernel = kernels.get(id);
        if (kernel != null) {
            kernel.inspect(request, code, cursor);
        }
    }

    /**
     * An inspect_reply's documentation as plain text: ipykernel colours its text/plain with ANSI escapes (for a
     * terminal), which a browser would show as noise; at most 64 KiB of it (the docs of a whole module can be long).
     */
    static String documentation(tools.jackson.databind.JsonNode content) {
        String text = content.path("data").path("text/plain").asString("");
        text = text.replaceAll("\u001B\\[[0-9;?]*[ -/]*[@-~]", "");
        return text.length() > 64 * 1024 ? text.substring(0, 64 * 1024) + "\n..." : text;
    }

    /** The machine is going away: every kernel ends now. */
    @Override
    public void close() {
        for (var kernel : List.copyOf(kernels.values())) {
            kernel.kill();
        }
        kernels.clear();
        timers.shutdownNow();
    }

    /** One cell running in a kernel: what it sent so far and whether the kernel said it is done. */
    private static final class Execution {
        final String request;
        final Map<String, StringBuilder> pending = new LinkedHashMap<>();
        final Map<String, Long> sent = new LinkedHashMap<>();
        final Map<String, Writer> overflow = new LinkedHashMap<>();
        final Map<String, StringBuilder> forwarded = new LinkedHashMap<>();
        boolean replied;
        boolean idle;
        /** The kernel said it is busy with this request: it has begun. */
        boolean started;
        String status = "ok";
        Integer count;

        Execution(String request) {
            this.request = request;
        }
    }

    /** One kernel: its process, its client and its running cells. Sends to the server happen under its lock. */
    private final class Kernel implements KernelClient.Listener {
        final String id;
        final KernelSpec spec;
        final String connections;
        final Path dir;
        final Map<String, Execution> executions = new LinkedHashMap<>();
        /** Someone interrupted a cell the kernel had not begun yet: the interrupt goes when it does. */
        boolean interruptWhenStarted;
        volatile Process process;
        volatile KernelClient client;
        volatile boolean ending;
        /** Which process is the kernel now: an exit of an earlier one (before a restart) is no death. */
        volatile int generation;
        volatile String state = "starting";

        Kernel(String id, KernelSpec spec, String connections) {
            this.id = id;
            this.spec = spec;
            this.connections = connections;
            this.dir = home.resolve(".kiln").resolve("kernels").resolve(id);
        }

        void launch() {
            try {
                status("starting", spec.name().equals(KernelSpec.JAVA) ? "Compiling the workspace" : "Starting "
                        + spec.displayName());
                Files.createDirectories(dir);
                ownerOnly(home.resolve(".kiln").resolve("kernels"));
                ownerOnly(dir);
                var info = ConnectionInfo.allocate(spec.name());
                Path connectionFile = dir.resolve("connection.json");
                info.write(connectionFile);
                var childEnv = new LinkedHashMap<String, String>(spec.env());
                Path secrets = JobSecrets.write(home, "kernel-" + id, connections);
                if (secrets != null) {
                    childEnv.put(JobSecrets.ENV, secrets.toString());
                }
                String compileNote = null;
                List<String> argv;
                if (spec.name().equals(KernelSpec.JAVA)) {
                    var prepared = prepareJava();
                    compileNote = prepared.note();
                    childEnv.put("KILN_KERNEL_CLASSPATH", String.join(File.pathSeparator, prepared.userClasspath()));
                    argv = new ArrayList<>(List.of(ProcessHandle.current().info().command().orElse("java"),
                            "--enable-native-access=ALL-UNNAMED", "-Djava.awt.headless=true",
                            "-cp", String.join(File.pathSeparator, prepared.kernelClasspath()),
                            "dev.kiln.machine.kernel.JavaKernel", connectionFile.toString()));
                } else {
                    argv = spec.argv().stream().map(a -> a.replace("{connection_file}", connectionFile.toString())
                            .replace("{resource_dir}", spec.resourceDir() == null ? "" : spec.resourceDir().toString()))
                            .toList();
                }
                Path cwd = Files.isDirectory(home.resolve(WorkspaceSync.DIRECTORY)) ? home.resolve(WorkspaceSync.DIRECTORY) : home;
                var builder = new ProcessBuilder(argv).directory(cwd.toFile()).redirectErrorStream(true)
                        .redirectOutput(ProcessBuilder.Redirect.appendTo(dir.resolve("kernel.log").toFile()));
                builder.environment().putAll(childEnv);
                if (ending) {
                    return;
                }
                int launched = ++generation;
                process = builder.start();
                var started = process;
                started.onExit().thenRun(() -> exited(started, launched));
                client = new KernelClient(info, this);
                var ready = client.awaitReady(120_000);
                if (ready == null) {
                    if (started.isAlive()) {
                        kill();
                        died("The kernel did not answer within 2 minutes" + lastLines());
                    }
                    return;
                }
                status("idle", compileNote);
            } catch (IOException | RuntimeException e) {
                died("The kernel could not start: " + e.getMessage());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }

        /** The Java kernel's classpaths: its own (Kiln's jars) and the cells' (the runtime and the workspace). */
        private record JavaLaunch(List<String> kernelClasspath, List<String> userClasspath, String note) {}

        private JavaLaunch prepareJava() throws IOException {
            List<String> runtime = RuntimeClasspath.resolve(home);
            var user = new ArrayList<String>();
            String note = null;
            try {
                workspace.sync();
            } catch (Exception e) {
                note = "The workspace could not be synced (" + e.getMessage() + "); cells see its last synced classes";
            }
            Path classes = dir.resolve("classes");
            Path sources = home.resolve(WorkspaceSync.DIRECTORY).resolve("src/main/java");
            var compiled = WorkspaceCompiler.compile(home, sources, classes, runtime);
            if (compiled.ok()) {
                user.add(classes.toString());
            } else {
                var first = compiled.diagnostics().stream().filter(d -> d.severity().equals("error")).findFirst();
                note = "The workspace does not compile, so its classes are not on this kernel's classpath"
                        + first.map(d -> " (" + d.path() + ":" + d.line() + ": " + d.message().lines().findFirst()
                        .orElse("") + ")").orElse("");
            }
            Path resources = home.resolve(WorkspaceSync.DIRECTORY).resolve("src/main/resources");
            if (Files.isDirectory(resources)) {
                user.add(resources.toString());
            }
            user.addAll(runtime);
            return new JavaLaunch(runtime, user, note);
        }

        void execute(String request, String code) {
            var client = this.client;
            if (client == null || !process.isAlive()) {
                outbox.offer(new FromMachine.KernelExecuted(id, request, "dead", null));
                return;
            }
            synchronized (this) {
                executions.put(request, new Execution(request));
            }
            client.execute(request, code);
        }

        void interrupt() {
            synchronized (this) {
                if (!executions.isEmpty() && executions.values().stream().noneMatch(e -> e.started)) {
                    // The cell was sent but the kernel has not begun it: an interrupt now would reach an idle kernel
                    // and be lost. It goes when the kernel says it is busy with the cell.
                    interruptWhenStarted = true;
                    return;
                }
            }
            sendInterrupt();
        }

        private void sendInterrupt() {
            var client = this.client;
            var process = this.process;
            if (client == null || process == null) {
                return;
            }
            if (spec.interruptsByMessage()) {
                client.request("control", "interrupt_request", JSON.createObjectNode());
            } else {
                Signals.interrupt(process.pid());
            }
        }

        void complete(String request, String code, int cursor) {
            var client = this.client;
            if (client == null) {
                return;
            }
            var content = JSON.createObjectNode();
            content.put("code", code);
            content.put("cursor_pos", cursor);
            client.request("shell", request, "complete_request", content);
        }

        void inspect(String request, String code, int cursor) {
            var client = this.client;
            if (client == null) {
                return;
            }
            var content = JSON.createObjectNode();
            content.put("code", code);
            content.put("cursor_pos", cursor);
            content.put("detail_level", 0);
            client.request("shell", request, "inspect_request", content);
        }

        void restart() {
            status("restarting", "Restarting the kernel");
            end(true);
            ending = false;
            synchronized (this) {
                executions.clear();
                interruptWhenStarted = false;
            }
            launch();
        }

        void stop(String why) {
            status("stopped", why);
            end(false);
            JobSecrets.delete(home, "kernel-" + id);
            deleteQuietly(dir);
        }

        /** Asks the kernel to shut down (3 s), then kills what is left of its process tree. */
        private void end(boolean restart) {
            ending = true;
            generation++;
            var client = this.client;
            var process = this.process;
            if (client != null && process != null && process.isAlive()) {
                var content = JSON.createObjectNode();
                content.put("restart", restart);
                client.request("control", "shutdown_request", content);
                try {
                    process.waitFor(3, TimeUnit.SECONDS);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
            kill();
        }

        void kill() {
            ending = true;
            var process = this.process;
            if (process != null) {
                process.descendants().forEach(ProcessHandle::destroyForcibly);
                process.destroyForcibly();
                try {
                    process.waitFor(5, TimeUnit.SECONDS);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
            var client = this.client;
            if (client != null) {
                client.close();
                this.client = null;
            }
            JobSecrets.delete(home, "kernel-" + id);
        }

        private void exited(Process exited, int launched) {
            if (ending || launched != generation) {
                return;
            }
            int code = exited.exitValue();
            died("The kernel exited with code " + code + describe(code) + lastLines());
        }

        private void died(String why) {
            synchronized (this) {
                flushAll();
                executions.clear();
                interruptWhenStarted = false;
            }
            status("dead", why);
            var client = this.client;
            if (client != null) {
                client.close();
                this.client = null;
            }
            JobSecrets.delete(home, "kernel-" + id);
        }

        private String lastLines() {
            try {
                var lines = Files.readAllLines(dir.resolve("kernel.log")).stream().filter(l -> !l.isBlank()).toList();
                if (lines.isEmpty()) {
                    return "";
                }
                String last = String.join(" / ", lines.subList(Math.max(0, lines.size() - 3), lines.size()));
                return ": " + (last.length() > 400 ? last.substring(last.length() - 400) : last);
            } catch (IOException | RuntimeException e) {
                return "";
            }
        }

        private synchronized void status(String newState, String detail) {
            state = newState;
            outbox.offer(new FromMachine.KernelStatus(id, newState, detail, spec.name(), spec.displayName(), spec.language()),
                    5_000);
        }

        // ---- what the kernel says (on the client's socket thread) ----

        @Override
        public void iopub(JupyterMessage message) {
            String parent = message.parentId();
            synchronized (this) {
                var execution = parent == null ? null : executions.get(parent);
                var content = message.content();
                switch (message.type()) {
                    case "status" -> {
                        String execState = content.path("execution_state").asString("");
                        if (execution != null && execState.equals("busy")) {
                            execution.started = true;
                            if (interruptWhenStarted) {
                                interruptWhenStarted = false;
                                timers.execute(this::sendInterrupt);
                            }
                        }
                        if (execution != null && execState.equals("idle")) {
                            execution.idle = true;
                            finishIfDone(execution);
                        }
                        if (!ending && (execState.equals("busy") || execState.equals("idle"))) {
                            String now = executions.isEmpty() ? "idle" : "busy";
                            if (!now.equals(state) && !state.equals("starting") && !state.equals("restarting")) {
                                status(now, null);
                            }
                        }
                    }
                    case "stream" -> {
                        if (execution != null) {
                            stream(execution, content.path("name").asString("stdout"), content.path("text").asString(""));
                        }
                    }
                    case "display_data", "update_display_data", "execute_result", "error", "clear_output" -> {
                        if (execution == null && !message.type().equals("update_display_data")) {
                            return;
                        }
                        flushAll();
                        String kind = switch (message.type()) {
                            case "display_data" -> "display";
                            case "update_display_data" -> "update";
                            case "execute_result" -> "result";
                            case "error" -> "error";
                            default -> "clear";
                        };
                        forward(execution == null ? parent : execution.request, kind, content);
                    }
                    default -> { }
                }
            }
        }

        @Override
        public void reply(String channel, JupyterMessage message) {
            synchronized (this) {
                switch (message.type()) {
                    case "execute_reply" -> {
                        var execution = executions.get(message.parentId());
                        if (execution == null) {
                            return;
                        }
                        execution.replied = true;
                        execution.status = message.content().path("status").asString("ok");
                        var count = message.content().path("execution_count");
                        execution.count = count.isIntegralNumber() ? count.asInt() : null;
                        finishIfDone(execution);
                        // A kernel that never says idle for the cell (some don't): done 3 s after its reply anyway.
                        timers.schedule(() -> {
                            synchronized (Kernel.this) {
                                if (executions.get(execution.request) == execution) {
                                    execution.idle = true;
                                    finishIfDone(execution);
                                }
                            }
                        }, 3, TimeUnit.SECONDS);
                    }
                    case "complete_reply" -> {
                        var content = message.content();
                        var matches = new ArrayList<String>();
                        content.path("matches").forEach(m -> matches.add(m.asString()));
                        outbox.offer(new FromMachine.KernelCompletion(id, message.parentId(), matches.size() > 500
                                ? matches.subList(0, 500) : matches, content.path("cursor_start").asInt(),
                                content.path("cursor_end").asInt()));
                    }
                    case "inspect_reply" -> {
                        var content = message.content();
                        outbox.offer(new FromMachine.KernelInspection(id, message.parentId(),
                                content.path("found").asBoolean(false), documentation(content)));
                    }
                    default -> { }
                }
            }
        }

        private void finishIfDone(Execution execution) {
            if (!execution.replied || !execution.idle) {
                return;
            }
            flush(execution);
            executions.remove(execution.request);
            if (executions.isEmpty()) {
                interruptWhenStarted = false;
            }
            execution.overflow.values().forEach(w -> {
                try {
                    w.close();
                } catch (IOException ignored) {
                    // the output was sent as far as it went
                }
            });
            outbox.offer(new FromMachine.KernelExecuted(id, execution.request, execution.status, execution.count), 5_000);
            if (executions.isEmpty() && state.equals("busy")) {
                status("idle", null);
            }
        }

        private void stream(Execution execution, String name, String text) {
            long sent = execution.sent.getOrDefault(name, 0L) + execution.pending.getOrDefault(name, new StringBuilder()).length();
            var overflow = execution.overflow.get(name);
            if (overflow != null) {
                write(overflow, text);
                return;
            }
            if (sent + text.length() <= STREAM_CAP) {
                execution.pending.computeIfAbsent(name, n -> new StringBuilder()).append(text);
                execution.forwarded.computeIfAbsent(name, n -> new StringBuilder()).append(text);
                if (execution.pending.get(name).length() >= 16 * 1024) {
                    flush(execution);
                }
                return;
            }
            // Over the cap: this much more is sent, then a note; everything goes to a file on the machine.
            int room = (int) Math.max(0, STREAM_CAP - sent);
            execution.pending.computeIfAbsent(name, n -> new StringBuilder()).append(text, 0, room);
            Path file = home.resolve(".kiln").resolve("notebook-output").resolve(execution.request + "-" + name + ".log");
            try {
                Files.createDirectories(file.getParent());
                var writer = Files.newBufferedWriter(file, StandardCharsets.UTF_8, StandardOpenOption.CREATE,
                        StandardOpenOption.TRUNCATE_EXISTING);
                writer.write(execution.forwarded.getOrDefault(name, new StringBuilder()).toString());
                writer.write(text);
                execution.overflow.put(name, writer);
            } catch (IOException e) {
                execution.overflow.put(name, Writer.nullWriter());
            }
            execution.forwarded.remove(name);
            execution.pending.get(name).append("\n[Kiln: output capped at ").append(String.format("%,d", STREAM_CAP))
                    .append(" characters here; the rest goes on, all of it, in ~/")
                    .append(home.relativize(file).toString().replace('\\', '/')).append(" on the machine]\n");
            flush(execution);
        }

        private static void write(Writer writer, String text) {
            try {
                writer.write(text);
            } catch (IOException ignored) {
                // the disk is full: what was sent stays
            }
        }

        synchronized void flushAll() {
            for (var execution : executions.values()) {
                flush(execution);
            }
        }

        private void flush(Execution execution) {
            for (var entry : execution.pending.entrySet()) {
                if (entry.getValue().isEmpty()) {
                    continue;
                }
                var output = JSON.createObjectNode();
                output.put("name", entry.getKey());
                output.put("text", entry.getValue().toString());
                execution.sent.merge(entry.getKey(), (long) entry.getValue().length(), Long::sum);
                entry.getValue().setLength(0);
                forward(execution.request, "stream", output);
            }
        }

        /** Sends one output, in chunks when it is too large for one frame; under this kernel's lock. */
        private void forward(String request, String kind, ObjectNode output) {
            String json = output.toString();
            if (json.length() > MAX_OUTPUT) {
                var note = JSON.createObjectNode();
                var data = note.putObject("data");
                data.put("text/plain", "[Kiln: an output of " + (json.length() >> 20) + " MB was not kept: the limit is "
                        + (MAX_OUTPUT >> 20) + " MB]");
                note.putObject("metadata");
                kind = kind.equals("update") ? "update" : "display";
                output = note;
                json = output.toString();
            }
            if (json.length() <= CHUNK) {
                outbox.offer(new FromMachine.KernelOutput(id, request, kind, output, null, null), 5_000);
                return;
            }
            for (int at = 0; at < json.length(); at += CHUNK) {
                String chunk = json.substring(at, Math.min(json.length(), at + CHUNK));
                outbox.offer(new FromMachine.KernelOutput(id, request, kind, null, chunk, at + CHUNK < json.length()), 5_000);
            }
        }
    }

    private static String describe(int code) {
        return switch (code) {
            case 137 -> " (killed: often the out-of-memory killer)";
            case 143 -> " (terminated)";
            case 139 -> " (a crash in native code)";
            case 134 -> " (aborted)";
            default -> "";
        };
    }

    private static void ownerOnly(Path dir) throws IOException {
        try {
            Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwx------"));
        } catch (UnsupportedOperationException ignored) {
            // not a POSIX file system
        }
    }

    private static void deleteQuietly(Path dir) {
        try (var walk = Files.walk(dir)) {
            for (var p : walk.sorted(java.util.Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        } catch (IOException ignored) {
            // removed at the next start at the latest
        }
    }
}
