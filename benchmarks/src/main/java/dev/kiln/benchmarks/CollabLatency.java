package dev.kiln.benchmarks;

import dev.kiln.collab.ChangeSet;
import dev.kiln.collab.CollabClient;
import dev.kiln.collab.Update;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.ObjectMapper;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.WebSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

/**
 * N WebSocket clients on loopback editing one document of a real Kiln server: for each push, the time until it is
 * durable and acknowledged, and until every other client has the update; beside the floor, a ping/pong round trip
 * on the same connections.
 * Usage: CollabLatency &lt;kiln.jar&gt; [clients] [pushes]
 */
public final class CollabLatency {

    private static final ObjectMapper JSON = new ObjectMapper();

    /** One client: the collab state machine plus when each version arrived. */
    static final class Client implements WebSocket.Listener {
        final int index;
        final String clientId;
        final Map<Integer, Long> arrived = new ConcurrentHashMap<>();
        final StringBuilder partial = new StringBuilder();
        volatile CompletableFuture<JsonNode> reply = new CompletableFuture<>();
        CollabClient state;
        WebSocket socket;

        Client(int index) {
            this.index = index;
            this.clientId = "bench-" + index;
        }

        @Override
        public CompletionStage<?> onText(WebSocket webSocket, CharSequence data, boolean last) {
            partial.append(data);
            if (last) {
                long now = System.nanoTime();
                var message = JSON.readTree(partial.toString());
                partial.setLength(0);
                handle(message, now);
            }
            webSocket.request(1);
            return null;
        }

        synchronized void handle(JsonNode message, long now) {
            switch (message.path("type").asString()) {
                case "welcome" -> {
                    state = new CollabClient(clientId, message.get("text").asString(), message.get("version").asInt());
                    reply.complete(message);
                }
                case "updates" -> {
                    int from = message.get("from").asInt();
                    var updates = new ArrayList<Update>();
                    for (var node : message.get("updates")) {
                        updates.add(new Update(ChangeSet.fromJson(JSON.treeToValue(node.get("changes"), Object.class)), node.get("clientId").asString()));
                    }
                    for (int i = 1; i <= updates.size(); i++) {
                        arrived.put(from + i, now);
                    }
                    if (from == state.version()) {
                        state.receive(updates);
                    }
                }
                case "pushed", "pong" -> reply.complete(message);
                default -> {
                }
            }
        }

        /** Applies a local edit and returns the push message that sends it (call while holding this client). */
        String editAndPush(ChangeSet changes) {
            state.edit(changes);
            var message = JSON.createObjectNode().put("type", "push").put("version", state.version());
            var list = message.putArray("updates");
            for (var update : state.sendable()) {
                list.addObject().put("clientId", update.clientId()).set("changes", JSON.valueToTree(update.changes().toJson()));
            }
            return message.toString();
        }

        JsonNode request(String json) throws Exception {
            reply = new CompletableFuture<>();
            socket.sendText(json, true).join();
            return reply.get(10, TimeUnit.SECONDS);
        }
    }

    public static void main(String[] args) throws Exception {
        var jar = Path.of(args.length > 0 ? args[0] : "studio-server/target/kiln.jar").toAbsolutePath();
        int clientCount = args.length > 1 ? Integer.parseInt(args[1]) : 20;
        int pushes = args.length > 2 ? Integer.parseInt(args[2]) : 2000;
        try (var kiln = KilnProcess.start(jar, Files.createTempDirectory("kiln-latency-"), "benchmark-password")) {
            var session = kiln.signIn("admin", "benchmark-password");
            var created = session.http().send(HttpRequest.newBuilder(URI.create(kiln.base() + "/api/studios"))
                    .header("Content-Type", "application/json").header(session.csrfHeader(), session.csrfToken())
                    .POST(HttpRequest.BodyPublishers.ofString("{\"name\":\"Latency\"}")).build(), HttpResponse.BodyHandlers.ofString()).body();
            var studioId = JSON.readTree(created).get("id").asString();

            var clients = new ArrayList<Client>();
            for (int i = 0; i < clientCount; i++) {
                var client = new Client(i);
                client.socket = HttpClient.newHttpClient().newWebSocketBuilder().header("Cookie", session.cookie())
                        .buildAsync(URI.create("ws://localhost:" + kiln.port + "/collab/" + studioId + "?path=README.md"), client).join();
                client.request("{\"type\":\"hello\",\"clientId\":\"" + client.clientId + "\"}");
                clients.add(client);
            }

            // Floor: a ping/pong round trip on the same connections.
            var pings = new ArrayList<Double>();
            for (int i = 0; i < 500; i++) {
                var client = clients.get(i % clientCount);
                long t = System.nanoTime();
                client.request("{\"type\":\"ping\"}");
                pings.add((System.nanoTime() - t) / 1e6);
            }

            var acks = new ArrayList<Double>();
            var toPeers = new ArrayList<Double>();
            var random = new Random(42);
            int version = clients.get(0).state.version();
            for (int i = 0; i < pushes; i++) {
                var client = clients.get(i % clientCount);
                waitForVersion(client, version);
                String push;
                synchronized (client) {
                    var doc = client.state.doc();
                    int at = random.nextInt(doc.length() + 1);
                    push = client.editAndPush(ChangeSet.replace(doc.length(), at, at,
                            String.valueOf((char) ('a' + random.nextInt(26)))));
                }
                long sent = System.nanoTime();
                var reply = client.request(push);
                acks.add((System.nanoTime() - sent) / 1e6);
                if (!reply.path("ok").asBoolean()) {
                    throw new IllegalStateException("push refused: " + reply);
                }
                version = reply.get("version").asInt();
                long last = 0;
                for (var peer : clients) {
                    if (peer != client) {
                        last = Math.max(last, awaitArrival(peer, version));
                    }
                }
                toPeers.add((last - sent) / 1e6);
            }
            var text = clients.get(0).state.doc();
            for (var client : clients) {
                waitForVersion(client, version);
                if (!client.state.doc().equals(text)) {
                    throw new IllegalStateException("clients diverged");
                }
                client.socket.sendClose(WebSocket.NORMAL_CLOSURE, "done");
            }

            System.out.printf(Locale.ROOT, "%n%d WebSocket clients on loopback, one document, %d pushes of one edit each, %d CPUs%n",
                    clientCount, pushes, Runtime.getRuntime().availableProcessors());
            System.out.println("| what | p50 (ms) | p99 (ms) | max (ms) |");
            System.out.println("|---|---:|---:|---:|");
            row("floor: ping/pong round trip", pings);
            row("push until durable and acknowledged (fsync'd)", acks);
            row("push until every other client has it", toPeers);
        }
    }

    private static void waitForVersion(Client client, int version) throws InterruptedException {
        long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (System.nanoTime() < end) {
            synchronized (client) {
                if (client.state.version() >= version && client.state.unconfirmedCount() == 0) {
                    return;
                }
            }
            Thread.onSpinWait();
        }
        throw new IllegalStateException(client.clientId + " did not reach version " + version);
    }

    private static long awaitArrival(Client client, int version) throws InterruptedException {
        long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (System.nanoTime() < end) {
            var at = client.arrived.get(version);
            if (at != null) {
                return at;
            }
            Thread.onSpinWait();
        }
        throw new IllegalStateException(client.clientId + " never got version " + version);
    }

    private static void row(String what, List<Double> samples) {
        var sorted = samples.stream().sorted().toList();
        System.out.printf(Locale.ROOT, "| %s | %.2f | %.2f | %.2f |%n", what, percentile(sorted, 0.50), percentile(sorted, 0.99), sorted.get(sorted.size() - 1));
    }

    private static double percentile(List<Double> sorted, double p) {
        return sorted.get(Math.min(sorted.size() - 1, (int) Math.ceil(p * sorted.size()) - 1));
    }
}
