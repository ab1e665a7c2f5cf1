package dev.kiln.machine.kernel;

import org.zeromq.SocketType;
import org.zeromq.ZContext;
import org.zeromq.ZMQ;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.Pipe;
import java.util.ArrayList;
import java.util.List;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.function.BiConsumer;

/**
 * The one thread that owns a set of ZeroMQ sockets (they are not thread-safe): it receives on all of them and sends
 * what other threads queued with {@link #send}, woken at once through a pipe, so a send from any thread costs no
 * polling delay.
 */
final class ZmqLoop implements AutoCloseable {
    private final ZContext context = new ZContext(1);
    private final List<ZMQ.Socket> sockets = new ArrayList<>();
    private final List<BiConsumer<ZMQ.Socket, List<byte[]>>> handlers = new ArrayList<>();
    private final Queue<Outgoing> outgoing = new ConcurrentLinkedQueue<>();
    private final Pipe wake;
    private final String name;
    private volatile boolean running = true;
    private volatile Runnable idle = () -> {};
    private Thread thread;

    private record Outgoing(ZMQ.Socket socket, List<byte[]> frames) {}

    ZmqLoop(String name) {
        this.name = name;
        try {
            wake = Pipe.open();
            wake.source().configureBlocking(false);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** A socket of this loop; {@code handler} gets every message it receives (on the loop's thread). */
    ZMQ.Socket socket(SocketType type, BiConsumer<ZMQ.Socket, List<byte[]>> handler) {
        var socket = context.createSocket(type);
        socket.setLinger(0);
        sockets.add(socket);
        handlers.add(handler);
        return socket;
    }

    /** Something to do on the loop's thread at least every {@code 20} ms (flushing buffered output). */
    void idle(Runnable task) {
        this.idle = task;
    }

    void start() {
        thread = Thread.ofPlatform().name(name).daemon().start(this::loop);
    }

    /** Queues frames for {@code socket}; sent by the loop's thread, in order. */
    void send(ZMQ.Socket socket, List<byte[]> frames) {
        outgoing.add(new Outgoing(socket, frames));
        try {
            wake.sink().write(ByteBuffer.wrap(new byte[]{1}));
        } catch (IOException e) {
            // closed: the loop is ending
        }
    }

    boolean onLoopThread() {
        return Thread.currentThread() == thread;
    }

    private void loop() {
        var poller = context.createPoller(sockets.size() + 1);
        for (var socket : sockets) {
            poller.register(socket, ZMQ.Poller.POLLIN);
        }
        int wakeIndex = poller.register(wake.source(), ZMQ.Poller.POLLIN);
        var drain = ByteBuffer.allocate(256);
        try {
            while (running && !Thread.currentThread().isInterrupted()) {
                poller.poll(20);
                if (poller.pollin(wakeIndex)) {
                    try {
                        while (wake.source().read(drain.clear()) > 0) {
                            // drained
                        }
                    } catch (IOException e) {
                        return;
                    }
                }
                for (int i = 0; i < sockets.size(); i++) {
                    if (poller.pollin(i)) {
                        receiveAll(sockets.get(i), handlers.get(i));
                    }
                }
                idle.run();
                Outgoing next;
                while ((next = outgoing.poll()) != null) {
                    var frames = next.frames();
                    for (int f = 0; f < frames.size(); f++) {
                        next.socket().send(frames.get(f), f + 1 < frames.size() ? ZMQ.SNDMORE : 0);
                    }
                }
            }
        } catch (org.zeromq.ZMQException | IllegalStateException e) {
            if (running) {
                KernelLog.say("kiln-kernel: " + name + " stopped: " + e);
            }
        } finally {
            poller.close();
        }
    }

    private static void receiveAll(ZMQ.Socket socket, BiConsumer<ZMQ.Socket, List<byte[]>> handler) {
        while (true) {
            byte[] first = socket.recv(ZMQ.DONTWAIT);
            if (first == null) {
                return;
            }
            var frames = new ArrayList<byte[]>();
            frames.add(first);
            while (socket.hasReceiveMore()) {
                frames.add(socket.recv(0));
            }
            try {
                handler.accept(socket, frames);
            } catch (RuntimeException e) {
                KernelLog.say("kiln-kernel: a message could not be handled: " + e);
            }
        }
    }

    @Override
    public void close() {
        running = false;
        if (thread != null) {
            try {
                thread.join(2000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        context.close();
        try {
            wake.sink().close();
            wake.source().close();
        } catch (IOException ignored) {
            // closing anyway
        }
    }
}
