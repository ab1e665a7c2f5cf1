package dev.kiln.machine.kernel;

import tools.jackson.databind.node.ObjectNode;

import java.io.File;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;

/**
 * A real kernel process for tests, driven through {@link KernelClient}: Kiln's Java kernel or a kernelspec's argv.
 * {@link #run} executes a cell and waits until it is done (reply and iopub idle), returning what it sent.
 */
public final class KernelSession implements AutoCloseable {
    /** One cell's run: its iopub messages (outputs) in order, and its execute_reply. */
    public record Run(List<JupyterMessage> outputs, ObjectNode reply) {
        public String stdout() {
            return text("stdout");
        }

        public String stderr() {
            return text("stderr");
        }

        private String text(String name) {
            var text = new StringBuilder();
            outputs.stream().filter(m -> m.type().equals("stream") && m.content().path("name").asString().equals(name))
                    .forEach(m -> text.append(m.content().path("text").asString()));
            return text.toString();
        }

        public List<JupyterMessage> ofType(String type) {
            return outputs.stream().filter(m -> m.type().equals(type)).toList();
        }

        public String status() {
            return reply.path("status").asString();
        }
    }

    private final Process process;
    private final KernelClient client;
    private final Map<String, List<JupyterMessage>> byParent = new ConcurrentHashMap<>();
    private final Map<String, CompletableFuture<Void>> idle = new ConcurrentHashMap<>();
    public final Path log;

    private KernelSession(Process process, ConnectionInfo info, Path log) {
        this.process = process;
        this.log = log;
        this.client = new KernelClient(info, new KernelClient.Listener() {
            @Override
            public void iopub(JupyterMessage message) {
                String parent = message.parentId();
                if (parent == null) {
                    return;
                }
                if (message.type().equals("status")) {
                    if (message.content().path("execution_state").asString().equals("idle")) {
                        idle.computeIfAbsent(parent, p -> new CompletableFuture<>()).complete(null);
                    }
                    return;
                }
                byParent.computeIfAbsent(parent, p -> new CopyOnWriteArrayList<>()).add(message);
            }

            @Override
            public void reply(String channel, JupyterMessage message) {}
        });
    }

    /** Kiln's Java kernel, on this JVM's classpath, with {@code userClasspath} for its cells. */
    public static KernelSession java(Path dir, List<String> userClasspath) throws Exception {
        var info = ConnectionInfo.allocate("java");
        Path file = dir.resolve("connection.json");
        info.write(file);
        var command = List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "--enable-native-access=ALL-UNNAMED", "-cp", System.getProperty("java.class.path"),
                JavaKernel.class.getName(), file.toString());
        var builder = new ProcessBuilder(command);
        builder.environment().put("KILN_KERNEL_CLASSPATH", String.join(File.pathSeparator, userClasspath));
        return start(builder, info, dir);
    }

    /** A kernelspec's argv with the connection file filled in. */
    public static KernelSession spec(Path dir, KernelSpec spec) throws Exception {
        var info = ConnectionInfo.allocate(spec.name());
        Path file = dir.resolve("connection.json");
        info.write(file);
        var argv = spec.argv().stream().map(a -> a.replace("{connection_file}", file.toString())).toList();
        var builder = new ProcessBuilder(argv);
        builder.environment().putAll(spec.env());
        return start(builder, info, dir);
    }

    private static KernelSession start(ProcessBuilder builder, ConnectionInfo info, Path dir) throws Exception {
        Path log = dir.resolve("kernel.log");
        var process = builder.redirectErrorStream(true).redirectOutput(log.toFile()).start();
        var session = new KernelSession(process, info, log);
        if (session.client.awaitReady(120_000) == null) {
            session.close();
            throw new IOException("the kernel did not get ready: " + java.nio.file.Files.readString(log));
        }
        return session;
    }

    public Process process() {
        return process;
    }

    public KernelClient client() {
        return client;
    }

    /** Runs a cell and waits (up to {@code timeoutSeconds}) until the kernel is idle again after it. */
    public Run run(String code, int timeoutSeconds) throws Exception {
        String id = UUID.randomUUID().toString();
        var done = idle.computeIfAbsent(id, p -> new CompletableFuture<>());
        var content = JupyterMessage.JSON.createObjectNode();
        content.put("code", code);
        content.put("silent", false);
        content.put("store_history", true);
        content.putObject("user_expressions");
        content.put("allow_stdin", false);
        var reply = client.request("shell", id, "execute_request", content);
        var answer = reply.get(timeoutSeconds, TimeUnit.SECONDS);
        done.get(timeoutSeconds, TimeUnit.SECONDS);
        return new Run(new ArrayList<>(byParent.getOrDefault(id, List.of())), answer.content());
    }

    /** Starts a cell without waiting; {@link #await} waits for it. */
    public String submit(String code) {
        String id = UUID.randomUUID().toString();
        idle.computeIfAbsent(id, p -> new CompletableFuture<>());
        client.execute(id, code);
        return id;
    }

    public Run await(String id, int timeoutSeconds) throws Exception {
        idle.get(id).get(timeoutSeconds, TimeUnit.SECONDS);
        return new Run(new ArrayList<>(byParent.getOrDefault(id, List.of())), JupyterMessage.JSON.createObjectNode());
    }

    /** What a running cell has sent so far. */
    public List<JupyterMessage> outputs(String id) {
        return List.copyOf(byParent.getOrDefault(id, List.of()));
    }

    @Override
    public void close() {
        client.close();
        process.descendants().forEach(ProcessHandle::destroyForcibly);
        process.destroyForcibly();
        try {
            process.waitFor(10, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
