package dev.kiln.machine.kernel;

import org.zeromq.SocketType;
import org.zeromq.ZMQ;
import tools.jackson.databind.node.ObjectNode;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

/**
 * The client side of the Jupyter messaging protocol, as jupyter_client speaks it: DEALER sockets on shell, control and
 * stdin, a SUB socket on iopub. It sends requests and hands replies and iopub messages to a {@link Listener}; every
 * message it accepts is signed with the kernel's key. Any Jupyter kernel works (ipykernel, IJulia, IRkernel...), and so
 * does Kiln's own Java kernel, which speaks the same protocol.
 */
public final class KernelClient implements AutoCloseable {

    /** What the kernel says. Called on the client's socket thread: must not block. */
    public interface Listener {
        void iopub(JupyterMessage message);

        void reply(String channel, JupyterMessage message);
    }

    private final ConnectionInfo info;
    private final JupyterWire wire;
    private final String session = UUID.randomUUID().toString();
    private final ZmqLoop loop;
    private final ZMQ.Socket shell;
    private final ZMQ.Socket control;
    private final Listener listener;
    private final Map<String, CompletableFuture<JupyterMessage>> awaited = new ConcurrentHashMap<>();
    private volatile boolean iopubSeen;

    public KernelClient(ConnectionInfo info, Listener listener) {
        this.info = info;
        this.wire = new JupyterWire(info.key());
        this.listener = listener;
        this.loop = new ZmqLoop("kiln-kernel-client-" + info.shellPort());
        byte[] identity = session.getBytes(StandardCharsets.US_ASCII);
        shell = loop.socket(SocketType.DEALER, (socket, frames) -> reply("shell", frames));
        shell.setIdentity(identity);
        control = loop.socket(SocketType.DEALER, (socket, frames) -> reply("control", frames));
        control.setIdentity(identity);
        var iopub = loop.socket(SocketType.SUB, (socket, frames) -> iopub(frames));
        iopub.subscribe(new byte[0]);
        // Output must never be dropped on the way in (ZeroMQ's default high-water mark is 1,000 messages).
        iopub.setRcvHWM(0);
        shell.connect(info.address(info.shellPort()));
        control.connect(info.address(info.controlPort()));
        iopub.connect(info.address(info.iopubPort()));
        loop.start();
    }

    /**
     * Waits until the kernel answers kernel_info_request on shell and its iopub reaches us (a SUB socket misses what
     * was published before it joined, so the request is repeated until an iopub message arrives, as jupyter_client's
     * wait_for_ready does). Returns the kernel_info_reply's content.
     */
    public ObjectNode awaitReady(long timeoutMillis) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(timeoutMillis);
        ObjectNode info = null;
        while (System.nanoTime() < deadline) {
            var reply = request("shell", "kernel_info_request", JupyterMessage.JSON.createObjectNode());
            try {
                info = reply.get(Math.min(1000, Math.max(1, TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime()))),
                        TimeUnit.MILLISECONDS).content();
                if (iopubSeen) {
                    return info;
                }
                Thread.sleep(50);
                if (iopubSeen) {
                    return info;
                }
            } catch (java.util.concurrent.ExecutionException | java.util.concurrent.TimeoutException e) {
                // not up yet: ask again
            }
        }
        return info;
    }

    /** Sends a request on shell or control; the future completes with its reply (also given to the listener). */
    public CompletableFuture<JupyterMessage> request(String channel, String type, ObjectNode content) {
        return request(channel, UUID.randomUUID().toString(), type, content);
    }

    public CompletableFuture<JupyterMessage> request(String channel, String id, String type, ObjectNode content) {
        var message = JupyterMessage.create(id, type, session, content, null);
        var future = new CompletableFuture<JupyterMessage>();
        awaited.put(id, future);
        loop.send(channel.equals("control") ? control : shell, wire.encode(message));
        return future;
    }

    /** execute_request with {@code id} as its msg_id: outputs and the reply name it as their parent. */
    public void execute(String id, String code) {
        var content = JupyterMessage.JSON.createObjectNode();
        content.put("code", code);
        content.put("silent", false);
        content.put("store_history", true);
        content.putObject("user_expressions");
        content.put("allow_stdin", false);
        // Kiln stops a run of several cells itself; each request is one cell, so the kernel aborts nothing.
        content.put("stop_on_error", false);
        request("shell", id, "execute_request", content);
    }

    public ConnectionInfo info() {
        return info;
    }

    private void reply(String channel, List<byte[]> frames) {
        JupyterMessage message;
        try {
            message = wire.decode(frames);
        } catch (JupyterWire.InvalidMessage e) {
            KernelLog.say("kiln-agent: ignored a kernel message: " + e.getMessage());
            return;
        }
        var future = message.parentId() == null ? null : awaited.remove(message.parentId());
        listener.reply(channel, message);
        if (future != null) {
            future.complete(message);
        }
    }

    private void iopub(List<byte[]> frames) {
        JupyterMessage message;
        try {
            message = wire.decode(frames);
        } catch (JupyterWire.InvalidMessage e) {
            KernelLog.say("kiln-agent: ignored a kernel message: " + e.getMessage());
            return;
        }
        iopubSeen = true;
        listener.iopub(message);
    }

    @Override
    public void close() {
        awaited.values().forEach(f -> f.cancel(false));
        loop.close();
    }
}
