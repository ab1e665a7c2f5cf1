package dev.kiln.machine.kernel;

import org.zeromq.SocketType;
import org.zeromq.ZMQ;
import tools.jackson.databind.node.ArrayNode;
import tools.jackson.databind.node.ObjectNode;

import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

/**
 * The kernel side of the Jupyter messaging protocol (5.3) for an {@link Interpreter}: shell, control and stdin ROUTER
 * sockets, an iopub PUB socket and a heartbeat REP, bound on the loopback addresses of a connection file. Shell
 * requests run one at a time on a worker thread (as in every Jupyter kernel); control requests (interrupt, shutdown)
 * are answered at once, so a running cell can be interrupted. Standard output and error are buffered and published as
 * stream messages at most every 20 ms, and always before anything else the cell sends, so their order is kept.
 * Every message is signed with the connection's key, and unsigned or wrongly signed ones are dropped.
 */
public final class KernelServer implements AutoCloseable {

    /** What runs the code. {@link #execute} runs on the worker thread; {@link #interrupt} on any thread. */
    public interface Interpreter {
        /** kernel_info_reply's content without status and protocol_version. */
        ObjectNode info();

        /** Runs a cell; outputs go to {@code out}. Null for success, or the error (also published by the caller). */
        Failure execute(String code, int executionCount, Outputs out);

        ObjectNode complete(String code, int cursor);

        ObjectNode inspect(String code, int cursor);

        /** complete, incomplete or invalid. */
        String isComplete(String code);

        void interrupt();
    }

    /** A cell's failure: the exception's name, message and the traceback lines. */
    public record Failure(String ename, String evalue, List<String> traceback) {}

    /** Where a running cell's rich output goes (its streams go through {@link #stream}). */
    public interface Outputs {
        void display(ObjectNode data, ObjectNode metadata, String displayId, boolean update);

        void result(ObjectNode data);

        void clear(boolean wait);
    }

    private final ConnectionInfo info;
    private final JupyterWire wire;
    private final Interpreter interpreter;
    private final ZmqLoop loop;
    private final ZMQ.Socket shell;
    private final ZMQ.Socket control;
    private final ZMQ.Socket iopub;
    private final String session = UUID.randomUUID().toString();
    private final ExecutorService worker;
    private final StringBuilder[] streams = {new StringBuilder(), new StringBuilder()};
    private final Object streamLock = new Object();
    private final CountDownLatch shutdown = new CountDownLatch(1);
    private volatile JupyterMessage parent;
    /** An execute request is being run (from just before its "busy" until its reply). */
    private volatile boolean executing;
    private int executionCount;
    private volatile boolean restartRequested;

    public KernelServer(ConnectionInfo info, Interpreter interpreter, java.util.concurrent.ThreadFactory workerThreads) {
        this.info = info;
        this.wire = new JupyterWire(info.key());
        this.interpreter = interpreter;
        this.worker = Executors.newSingleThreadExecutor(workerThreads);
        this.loop = new ZmqLoop("kiln-kernel-io");
        shell = loop.socket(SocketType.ROUTER, (s, frames) -> shell(frames));
        control = loop.socket(SocketType.ROUTER, (s, frames) -> control(frames));
        var stdin = loop.socket(SocketType.ROUTER, (s, frames) -> { });
        iopub = loop.socket(SocketType.PUB, (s, frames) -> { });
        iopub.setSndHWM(0); // never drop output
        var heartbeat = loop.socket(SocketType.REP, (s, frames) -> {
            for (int i = 0; i < frames.size(); i++) {
                s.send(frames.get(i), i + 1 < frames.size() ? ZMQ.SNDMORE : 0);
            }
        });
        shell.bind(info.address(info.shellPort()));
        control.bind(info.address(info.controlPort()));
        stdin.bind(info.address(info.stdinPort()));
        iopub.bind(info.address(info.iopubPort()));
        heartbeat.bind(info.address(info.hbPort()));
        loop.idle(this::flushStreams);
    }

    /** Runs {@code task} on the cell thread before any request (call before {@link #start}). */
    public void runFirst(Runnable task) {
        worker.execute(task);
    }

    public void start() {
        loop.start();
        status("starting", null);
    }

    /** Blocks until a shutdown_request; true when it asked for a restart. */
    public boolean awaitShutdown() throws InterruptedException {
        shutdown.await();
        return restartRequested;
    }

    /** An output stream for the process's stdout or stderr: its text becomes stream messages of the current cell. */
    public OutputStream stream(String name) {
        int index = name.equals("stderr") ? 1 : 0;
        return new Utf8Stream(text -> {
            synchronized (streamLock) {
                streams[index].append(text);
                if (streams[index].length() > 64 * 1024) {
                    flushStreams();
                }
            }
        });
    }

    /** Rich output from outside a cell's own call (the display API, from any thread): for the current cell. */
    public Outputs outputs() {
        return outputsFor(() -> parent);
    }

    private Outputs outputsFor(java.util.function.Supplier<JupyterMessage> parentOf) {
        return new Outputs() {
            @Override
            public void display(ObjectNode data, ObjectNode metadata, String displayId, boolean update) {
                var content = JupyterMessage.JSON.createObjectNode();
                content.set("data", data);
                content.set("metadata", metadata == null ? JupyterMessage.JSON.createObjectNode() : metadata);
                var transientPart = content.putObject("transient");
                if (displayId != null) {
                    transientPart.put("display_id", displayId);
                }
                publish(update ? "update_display_data" : "display_data", content, parentOf.get());
            }

            @Override
            public void result(ObjectNode data) {
                var content = JupyterMessage.JSON.createObjectNode();
                content.put("execution_count", executionCount);
                content.set("data", data);
                content.putObject("metadata");
                publish("execute_result", content, parentOf.get());
            }

            @Override
            public void clear(boolean wait) {
                var content = JupyterMessage.JSON.createObjectNode();
                content.put("wait", wait);
                publish("clear_output", content, parentOf.get());
            }
        };
    }

    private void shell(List<byte[]> frames) {
        JupyterMessage message;
        try {
            message = wire.decode(frames);
        } catch (JupyterWire.InvalidMessage e) {
            KernelLog.say("kiln-kernel: dropped a shell message: " + e.getMessage());
            return;
        }
        worker.execute(() -> handleShell(message));
    }

    private void handleShell(JupyterMessage request) {
        parent = request;
        // Before "busy" goes out: an interrupt sent by someone who saw the cell start must reach it.
        executing = request.type().equals("execute_request");
        status("busy", request);
        try {
            switch (request.type()) {
                case "kernel_info_request" -> reply(shell, request, "kernel_info_reply", kernelInfo());
                case "execute_request" -> execute(request);
                case "complete_request" -> {
                    var content = interpreter.complete(request.content().path("code").asString(""),
                            request.content().path("cursor_pos").asInt(0));
                    content.put("status", "ok");
                    reply(shell, request, "complete_reply", content);
                }
                case "inspect_request" -> {
                    var content = interpreter.inspect(request.content().path("code").asString(""),
                            request.content().path("cursor_pos").asInt(0));
                    content.put("status", "ok");
                    reply(shell, request, "inspect_reply", content);
                }
                case "is_complete_request" -> {
                    var content = JupyterMessage.JSON.createObjectNode();
                    content.put("status", interpreter.isComplete(request.content().path("code").asString("")));
                    if ("incomplete".equals(content.path("status").asString())) {
                        content.put("indent", "    ");
                    }
                    reply(shell, request, "is_complete_reply", content);
                }
                case "history_request" -> {
                    var content = JupyterMessage.JSON.createObjectNode();
                    content.put("status", "ok");
                    content.putArray("history");
                    reply(shell, request, "history_reply", content);
                }
                case "comm_info_request" -> {
                    var content = JupyterMessage.JSON.createObjectNode();
                    content.put("status", "ok");
                    content.putObject("comms");
                    reply(shell, request, "comm_info_reply", content);
                }
                default -> KernelLog.say("kiln-kernel: ignored a " + request.type());
            }
        } catch (RuntimeException e) {
            KernelLog.say("kiln-kernel: " + request.type() + " failed: " + e);
        } finally {
            flushStreams();
            status("idle", request);
        }
    }

    private void execute(JupyterMessage request) {
        String code = request.content().path("code").asString("");
        boolean silent = request.content().path("silent").asBoolean(false);
        if (!silent) {
            executionCount++;
            var input = JupyterMessage.JSON.createObjectNode();
            input.put("code", code);
            input.put("execution_count", executionCount);
            publish("execute_input", input, request);
        }
        Failure failure;
        try {
            failure = interpreter.execute(code, executionCount, outputsFor(() -> request));
        } catch (RuntimeException | LinkageError e) {
            failure = new Failure(e.getClass().getName(), String.valueOf(e.getMessage()),
                    List.of("The kernel could not run this cell: " + e));
        } finally {
            executing = false;
        }
        flushStreams();
        var reply = JupyterMessage.JSON.createObjectNode();
        reply.put("execution_count", executionCount);
        if (failure == null) {
            reply.put("status", "ok");
            reply.putObject("user_expressions");
            reply.putArray("payload");
        } else {
            var error = JupyterMessage.JSON.createObjectNode();
            error.put("ename", failure.ename());
            error.put("evalue", failure.evalue());
            ArrayNode traceback = error.putArray("traceback");
            failure.traceback().forEach(traceback::add);
            publish("error", error.deepCopy(), request);
            reply.put("status", "error");
            reply.setAll(error);
        }
        reply(shell, request, "execute_reply", reply);
    }

    private void control(List<byte[]> frames) {
        JupyterMessage request;
        try {
            request = wire.decode(frames);
        } catch (JupyterWire.InvalidMessage e) {
            KernelLog.say("kiln-kernel: dropped a control message: " + e.getMessage());
            return;
        }
        switch (request.type()) {
            case "interrupt_request" -> {
                // As in Jupyter, an interrupt while no cell runs does nothing (it must not stop the next one).
                if (executing) {
                    interpreter.interrupt();
                }
                var content = JupyterMessage.JSON.createObjectNode();
                content.put("status", "ok");
                reply(control, request, "interrupt_reply", content);
            }
            case "shutdown_request" -> {
                restartRequested = request.content().path("restart").asBoolean(false);
                interpreter.interrupt();
                var content = JupyterMessage.JSON.createObjectNode();
                content.put("status", "ok");
                content.put("restart", restartRequested);
                reply(control, request, "shutdown_reply", content);
                shutdown.countDown();
            }
            case "kernel_info_request" -> reply(control, request, "kernel_info_reply", kernelInfo());
            default -> KernelLog.say("kiln-kernel: ignored a control " + request.type());
        }
    }

    private ObjectNode kernelInfo() {
        var content = interpreter.info();
        content.put("status", "ok");
        content.put("protocol_version", JupyterMessage.PROTOCOL_VERSION);
        return content;
    }

    private void reply(ZMQ.Socket socket, JupyterMessage request, String type, ObjectNode content) {
        loop.send(socket, wire.encode(JupyterMessage.create(type, session, content, request)));
    }

    private void status(String state, JupyterMessage request) {
        var content = JupyterMessage.JSON.createObjectNode();
        content.put("execution_state", state);
        publish("status", content, request);
    }

    private void publish(String type, ObjectNode content, JupyterMessage request) {
        synchronized (streamLock) {
            flushStreams();
            var message = JupyterMessage.create(type, session, content, request);
            // iopub carries no routing identities; its topic frame is the message type, as ipykernel sends it.
            var frames = new java.util.ArrayList<byte[]>();
            frames.add(("kernel." + session + "." + type).getBytes(StandardCharsets.US_ASCII));
            frames.addAll(wire.encode(new JupyterMessage(List.of(), message.header(), message.parentHeader(),
                    message.metadata(), message.content(), List.of())));
            loop.send(iopub, frames);
        }
    }

    /** Publishes buffered stdout and stderr as stream messages of the current cell (stdout first). */
    private void flushStreams() {
        synchronized (streamLock) {
            for (int i = 0; i < 2; i++) {
                if (streams[i].isEmpty()) {
                    continue;
                }
                var content = JupyterMessage.JSON.createObjectNode();
                content.put("name", i == 0 ? "stdout" : "stderr");
                content.put("text", streams[i].toString());
                streams[i].setLength(0);
                var message = JupyterMessage.create("stream", session, content, parent);
                var frames = new java.util.ArrayList<byte[]>();
                frames.add(("kernel." + session + ".stream").getBytes(StandardCharsets.US_ASCII));
                frames.addAll(wire.encode(new JupyterMessage(List.of(), message.header(), message.parentHeader(),
                        message.metadata(), message.content(), List.of())));
                loop.send(iopub, frames);
            }
        }
    }

    @Override
    public void close() {
        worker.shutdownNow();
        loop.close();
    }
}
