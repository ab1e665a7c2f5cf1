package dev.kiln.server.notebook;

import dev.kiln.server.KilnHttp;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.node.ObjectNode;

import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.WebSocket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Predicate;

import static org.awaitility.Awaitility.await;

/**
 * A real WebSocket client of {@code /notebook}, keeping what the browser keeps: the cells (through
 * {@link StructureClient}), each cell's outputs as the server's messages build them, its run and the kernel's state.
 * Sources are set through inserts (a cell's initial source); typing goes through the collab protocol, tested apart.
 */
final class NotebookSocketClient implements WebSocket.Listener, AutoCloseable {
    final String clientId;
    final StructureClient structure;
    final List<JsonNode> received = new CopyOnWriteArrayList<>();
    final Map<String, List<ObjectNode>> outputs = new ConcurrentHashMap<>();
    final Map<String, JsonNode> runs = new ConcurrentHashMap<>();
    volatile JsonNode kernel;
    volatile JsonNode welcome;
    /** The cells the server offers to re-run after the kernel went with its machine. */
    volatile List<String> rebuild = List.of();
    volatile int closeCode = -1;
    private final StringBuilder partial = new StringBuilder();
    private WebSocket socket;

    private NotebookSocketClient(String clientId) {
        this.clientId = clientId;
        this.structure = new StructureClient(clientId);
    }

    static NotebookSocketClient open(KilnHttp session, String studioId, String path) {
        var client = new NotebookSocketClient("t" + Long.toHexString(System.nanoTime()));
        var uri = URI.create(session.base.replaceFirst("^http", "ws") + "/notebook/" + studioId + "?path="
                + URLEncoder.encode(path, StandardCharsets.UTF_8));
        client.socket = HttpClient.newHttpClient().newWebSocketBuilder().header("Cookie", session.cookieHeader())
                .connectTimeout(Duration.ofSeconds(10)).buildAsync(uri, client).join();
        client.send("{\"type\":\"hello\",\"clientId\":\"" + client.clientId + "\"}");
        await().atMost(Duration.ofSeconds(60)).until(() -> client.welcome != null || client.closeCode >= 0);
        return client;
    }

    void insert(String cell, String type, String after, String source) {
        var op = new StructureOp.Insert(cell, Notebook.CellType.of(type), after, source);
        var pending = structure.local(op);
        var message = Notebook.JSON.createObjectNode();
        message.put("type", "structure");
        message.put("seq", pending.seq());
        message.set("op", op.toJson());
        send(message.toString());
    }

    void run(String... cells) {
        var message = Notebook.JSON.createObjectNode();
        message.put("type", "run");
        var list = message.putArray("cells");
        for (String cell : cells) {
            list.add(cell);
        }
        send(message.toString());
    }

    void send(String text) {
        socket.sendText(text, true).join();
    }

    /** The cell's stream text of one stream, joined. */
    String text(String cell, String stream) {
        var text = new StringBuilder();
        for (var output : outputs.getOrDefault(cell, List.of())) {
            if (output.path("output_type").asString().equals("stream") && output.path("name").asString().equals(stream)) {
                text.append(output.path("text").asString());
            }
        }
        return text.toString();
    }

    List<ObjectNode> outputsOf(String cell, String type) {
        return outputs.getOrDefault(cell, List.of()).stream().filter(o -> o.path("output_type").asString().equals(type))
                .toList();
    }

    String runState(String cell) {
        var run = runs.get(cell);
        return run == null ? "" : run.path("state").asString();
    }

    /** Waits until the cell's run has ended (done, error, aborted, lost) and returns its state. */
    JsonNode awaitEnded(String cell, Duration timeout) {
        await().atMost(timeout).until(() -> List.of("done", "error", "aborted", "lost").contains(runState(cell)));
        return runs.get(cell);
    }

    void awaitKernel(Predicate<String> state, Duration timeout) {
        await().atMost(timeout).until(() -> kernel != null && state.test(kernel.path("state").asString()));
    }

    List<JsonNode> errors() {
        return received.stream().filter(m -> m.path("type").asString().equals("error")).toList();
    }

    @Override
    public CompletionStage<?> onText(WebSocket webSocket, CharSequence data, boolean last) {
        synchronized (partial) {
            partial.append(data);
            if (last) {
                var message = Notebook.JSON.readTree(partial.toString());
                partial.setLength(0);
                received.add(message);
                apply(message);
            }
        }
        webSocket.request(1);
        return null;
    }

    private void apply(JsonNode message) {
        String cell = message.path("cell").asString(null);
        switch (message.path("type").asString()) {
            case "welcome" -> {
                var list = new ArrayList<CellList.Entry>();
                for (var node : message.path("cells")) {
                    list.add(new CellList.Entry(node.get("id").asString(), Notebook.CellType.of(node.get("type").asString()),
                            node.path("deleted").asBoolean(false)));
                    if (!node.path("deleted").asBoolean(false)) {
                        outputs.put(node.get("id").asString(), copy(node.path("outputs")));
                        if (node.has("run")) {
                            runs.put(node.get("id").asString(), node.get("run"));
                        }
                    }
                }
                structure.welcome(new CellList(list), message.get("version").asInt(), message.get("accepted").asLong());
                kernel = message.get("kernel");
                rebuild = ids(message.path("rebuild"));
                welcome = message;
            }
            case "structure" -> structure.receive(message.get("version").asInt(), StructureOp.fromJson(message.get("op")),
                    message.get("clientId").asString(), message.get("seq").asLong());
            case "outputs" -> outputs.put(cell, copy(message.path("outputs")));
            case "output" -> {
                var list = outputs.computeIfAbsent(cell, c -> new CopyOnWriteArrayList<>());
                int index = message.get("index").asInt();
                if (index == list.size()) {
                    list.add((ObjectNode) message.get("output"));
                } else {
                    throw new AssertionError("output " + index + " of " + cell + " arrived with " + list.size() + " known");
                }
            }
            case "stream" -> {
                var output = outputs.get(cell).get(message.get("index").asInt());
                output.put("text", output.path("text").asString() + message.get("text").asString());
            }
            case "replace" -> outputs.get(cell).set(message.get("index").asInt(), (ObjectNode) message.get("output"));
            case "run" -> {
                if (message.has("run")) {
                    runs.put(cell, message.get("run"));
                } else {
                    runs.remove(cell);
                }
            }
            case "kernel" -> kernel = message.get("kernel");
            case "rebuild" -> rebuild = ids(message.path("cells"));
            default -> { }
        }
    }

    private static List<String> ids(JsonNode array) {
        var list = new ArrayList<String>();
        array.forEach(node -> list.add(node.asString()));
        return List.copyOf(list);
    }

    private static List<ObjectNode> copy(JsonNode array) {
        var list = new CopyOnWriteArrayList<ObjectNode>();
        array.forEach(node -> list.add((ObjectNode) node.deepCopy()));
        return list;
    }

    @Override
    public CompletionStage<?> onClose(WebSocket webSocket, int statusCode, String reason) {
        closeCode = statusCode;
        return null;
    }

    @Override
    public void onError(WebSocket webSocket, Throwable error) {
        closeCode = 1006;
    }

    @Override
    public void close() {
        try {
            socket.sendClose(WebSocket.NORMAL_CLOSURE, "done").join();
        } catch (RuntimeException ignored) {
            // already closed
        }
        socket.abort();
    }
}
