package dev.kiln.machine.agent;

import dev.kiln.machine.protocol.FromMachine;
import dev.kiln.machine.protocol.MachineCodec;

import java.net.http.WebSocket;
import java.util.Map;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Messages from the agent to the server, sent one at a time (the JDK's WebSocket allows one outstanding send). The
 * queue is bounded and {@link #offer} never blocks: when the server cannot keep up, output is dropped and counted
 * (and said once it drains) rather than stalling the command or job that produced it.
 */
final class Outbox implements AutoCloseable {
    private final BlockingQueue<String> queue = new ArrayBlockingQueue<>(4096);
    private final AtomicLong dropped = new AtomicLong();
    private final Thread sender;
    private volatile WebSocket socket;

    Outbox() {
        sender = Thread.ofPlatform().name("kiln-agent-outbox").daemon().start(this::drain);
    }

    void attach(WebSocket socket) {
        this.socket = socket;
    }

    void detach() {
        this.socket = null;
    }

    /** Queues a message; false (and counted) when the queue is full or no server is connected. */
    boolean offer(FromMachine message) {
        if (socket == null || !queue.offer(MachineCodec.encode(message))) {
            dropped.incrementAndGet();
            return false;
        }
        return true;
    }

    /**
     * Queues a message that must not be dropped for a full queue (a notebook's outputs): waits up to
     * {@code waitMillis} for room. False when no server is connected or the queue stayed full.
     */
    boolean offer(FromMachine message, long waitMillis) {
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(waitMillis);
        String text = MachineCodec.encode(message);
        try {
            while (socket != null) {
                if (queue.offer(text, 20, TimeUnit.MILLISECONDS)) {
                    return true;
                }
                if (System.nanoTime() > deadline) {
                    break;
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        dropped.incrementAndGet();
        return false;
    }

    /** Whether a message would be accepted now (connected, and the queue not full). */
    boolean hasRoom() {
        return socket != null && queue.remainingCapacity() > 0;
    }

    /** Messages waiting to be sent. */
    int queued() {
        return queue.size();
    }

    /** Messages dropped so far because the server was away or slow. */
    long dropped() {
        return dropped.get();
    }

    private void drain() {
        while (!Thread.currentThread().isInterrupted()) {
            try {
                String text = queue.poll(1, TimeUnit.SECONDS);
                WebSocket target = socket;
                if (text == null) {
                    continue;
                }
                if (target == null) {
                    dropped.incrementAndGet();
                    continue;
                }
                target.sendText(text, true).get(30, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                return;
            } catch (Exception e) {
                // The connection broke; the agent reconnects and later messages go to the new socket.
                dropped.incrementAndGet();
            }
        }
    }

    /** Sends what is queued (for up to half a second), then closes the connection with {@code code}. */
    void goodbye(int code) {
        WebSocket target = socket;
        if (target == null) {
            return;
        }
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(500);
        while (!queue.isEmpty() && System.nanoTime() < deadline) {
            try {
                Thread.sleep(5);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
        try {
            target.sendClose(code, "stopped").get(300, TimeUnit.MILLISECONDS);
        } catch (Exception e) {
            // the connection is already gone; the server notices the process exit instead
        }
    }

    @Override
    public void close() {
        sender.interrupt();
    }
}
