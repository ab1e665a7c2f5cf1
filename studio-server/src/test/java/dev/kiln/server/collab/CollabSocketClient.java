package dev.kiln.server.collab;

import dev.kiln.server.KilnHttp;

import dev.kiln.collab.ChangeSet;
import dev.kiln.collab.CollabClient;
import dev.kiln.collab.Update;
import tools.jackson.databind.JsonNode;

import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.WebSocket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;

/**
 * A real WebSocket client of /collab, doing what the browser's @codemirror/collab does with {@link CollabClient}:
 * keep pending changes, push them, take updates, rebase. Thread-safe: edits and frames may come from any thread.
 */
public final class CollabSocketClient implements WebSocket.Listener, AutoCloseable {

    final String clientId;
    private final List<JsonNode> received = new CopyOnWriteArrayList<>();
    private final StringBuilder partial = new StringBuilder();
    private volatile WebSocket socket;
    private CollabClient state;
    private boolean pushing;
    public volatile int closeCode = -1;

    private CollabSocketClient(String clientId) {
        this.clientId = clientId;
    }

    /** Connects and says hello ({@code knownVersion} -1 for a fresh client). */
    public static CollabSocketClient connect(KilnHttp session, String studioId, String path, String clientId) {
        var client = new CollabSocketClient(clientId);
        client.open(session, studioId, path, -1);
        return client;
    }

    private void open(KilnHttp session, String studioId, String path, int knownVersion) {
        var wsBase = session.base.replaceFirst("^http", "ws");
        var uri = URI.create(wsBase + "/collab/" + studioId + "?path=" + URLEncoder.encode(path, StandardCharsets.UTF_8));
        received.clear();
        socket = HttpClient.newHttpClient().newWebSocketBuilder().header("Cookie", session.cookieHeader())
                .connectTimeout(Duration.ofSeconds(10)).buildAsync(uri, this).join();
        closeCode = -1;
        var hello = KilnHttp.JSON.createObjectNode().put("type", "hello").put("clientId", clientId);
        if (knownVersion >= 0) {
            hello.put("version", knownVersion);
        }
        send(hello.toString());
        awaitMessage(m -> m.path("type").asString().equals("welcome"), Duration.ofSeconds(10));
    }

    /** After a restart: a new session, the same client id and its pending edits, catching up from its version. */
    public void reconnect(KilnHttp session, String studioId, String path) {
        int known;
        synchronized (this) {
            pushing = false;
            known = state.version();
        }
        open(session, studioId, path, known);
    }

    synchronized void send(String json) {
        socket.sendText(json, true).join();
    }

    public synchronized String doc() {
        return state.doc();
    }

    /** What the server has confirmed: the document without this client's pending changes. */
    public synchronized String confirmedText() {
        return state.confirmedDoc();
    }

    public synchronized int version() {
        return state.version();
    }

    public synchronized int pending() {
        return state.unconfirmedCount();
    }

    /** Types: applies a local change and pushes it (unless a push is already in flight). */
    public synchronized void edit(java.util.function.Function<String, ChangeSet> change) {
        state.edit(change.apply(state.doc()));
        flush();
    }

    /** Local edits while the connection is down: kept pending, sent on reconnect. */
    public synchronized void editOffline(java.util.function.Function<String, ChangeSet> change) {
        state.edit(change.apply(state.doc()));
    }

    public synchronized void flush() {
        if (pushing || state.unconfirmedCount() == 0 || closeCode != -1) {
            return;
        }
        pushing = true;
        var push = KilnHttp.JSON.createObjectNode().put("type", "push").put("version", state.version());
        var list = push.putArray("updates");
        for (var update : state.sendable()) {
            list.addObject().put("clientId", update.clientId()).set("changes", KilnHttp.JSON.valueToTree(update.changes().toJson()));
        }
        send(push.toString());
    }

    private synchronized void handle(JsonNode message) {
        switch (message.path("type").asString()) {
            case "welcome", "resync" -> {
                if (message.has("text")) {
                    if (state == null) {
                        state = new CollabClient(clientId, message.get("text").asString(), message.get("version").asInt());
                    } else {
                        state.resync(message.get("text").asString(), message.get("version").asInt(), message.get("accepted").asInt());
                    }
                } else {
                    receive(message);
                }
                flush();
            }
            case "updates" -> {
                if (message.get("from").asInt() == state.version()) {
                    receive(message);
                } else if (message.get("from").asInt() > state.version()) {
                    send("{\"type\":\"pull\",\"version\":" + state.version() + "}");
                }
            }
            case "pushed" -> {
                pushing = false;
                flush();
            }
            default -> {
            }
        }
    }

    private void receive(JsonNode message) {
        var updates = new ArrayList<Update>();
        for (var node : message.get("updates")) {
            updates.add(new Update(ChangeSet.fromJson(KilnHttp.JSON.treeToValue(node.get("changes"), Object.class)), node.get("clientId").asString()));
        }
        state.receive(updates);
    }

    /** Waits for a frame matching {@code test} (received at any time so far or later). */
    public JsonNode awaitMessage(Predicate<JsonNode> test, Duration timeout) {
        long end = System.nanoTime() + timeout.toNanos();
        while (System.nanoTime() < end) {
            for (var message : received) {
                if (test.test(message)) {
                    return message;
                }
            }
            sleep();
        }
        throw new AssertionError(clientId + ": no matching message within " + timeout + "; got " + received);
    }

    /** Waits until nothing is pending and this client is at {@code version}. */
    public void awaitSettled(int version, Duration timeout) {
        long end = System.nanoTime() + timeout.toNanos();
        while (System.nanoTime() < end) {
            synchronized (this) {
                if (state.unconfirmedCount() == 0 && state.version() == version) {
                    return;
                }
                flush();
            }
            sleep();
        }
        throw new AssertionError(clientId + " did not settle at version " + version + ": at " + version() + " with " + pending() + " pending");
    }

    List<JsonNode> received() {
        return received;
    }

    private static void sleep() {
        try {
            TimeUnit.MILLISECONDS.sleep(5);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    @Override
    public CompletionStage<?> onText(WebSocket webSocket, CharSequence data, boolean last) {
        if (socket != null && webSocket != socket) {
            return null; // a frame from a connection we already dropped
        }
        partial.append(data);
        if (last) {
            var message = KilnHttp.JSON.readTree(partial.toString());
            partial.setLength(0);
            handle(message);
            received.add(message);
        }
        webSocket.request(1);
        return null;
    }

    @Override
    public CompletionStage<?> onClose(WebSocket webSocket, int statusCode, String reason) {
        if (webSocket == socket) {
            closeCode = statusCode;
        }
        return CompletableFuture.completedFuture(null);
    }

    @Override
    public void onError(WebSocket webSocket, Throwable error) {
        if (webSocket == socket) {
            closeCode = 1006;
        }
    }

    /** Drops the connection without a goodbye (a network cut, or the server dying). */
    public void abort() {
        socket.abort();
        closeCode = 1006;
    }

    @Override
    public void close() {
        if (closeCode == -1) {
            socket.sendClose(WebSocket.NORMAL_CLOSURE, "bye");
        }
    }
}
