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
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Many people typing into shared documents of a real Kiln server on loopback, as browsers do: each editor types
 * 10 characters a second at its own cursor, pushes whatever it has typed once its previous push is answered, takes
 * everyone's updates, and reports its cursor when it has nothing pending. Printed: keystroke until every other
 * editor of the document has it (p50/p99/max), pushes answered stale or rebased, presence bytes per second, and the
 * server's CPU; beside the floor, a ping/pong round trip on the same connections, idle and during the typing.
 * Usage: CollabCrowd &lt;kiln.jar&gt; [seconds] — runs 50 editors on one document, then 200 on 20.
 */
public final class CollabCrowd {

    private static final ObjectMapper JSON = new ObjectMapper();

    /** One editor: the collab state machine, its cursor, and when its keystrokes were typed. */
    static final class Editor implements WebSocket.Listener {
        final String clientId;
        final Run run;
        final List<Long> typedAt = Collections.synchronizedList(new ArrayList<>());
        /** Per other client: how many of its updates arrived here. */
        final Map<String, Integer> seen = new HashMap<>();
        final StringBuilder partial = new StringBuilder();
        CollabClient state;
        int cursor;
        boolean pushing;
        boolean stalePending;
        boolean welcomed;
        volatile long pingSentNanos;
        WebSocket socket;

        Editor(String clientId, Run run) {
            this.clientId = clientId;
            this.run = run;
        }

        @Override
        public CompletionStage<?> onText(WebSocket webSocket, CharSequence data, boolean last) {
            partial.append(data);
            if (last) {
                long now = System.nanoTime();
                var text = partial.toString();
                partial.setLength(0);
                handle(JSON.readTree(text), text.length(), now);
            }
            webSocket.request(1);
            return null;
        }

        synchronized void handle(JsonNode message, int bytes, long now) {
            switch (message.path("type").asString()) {
                case "welcome" -> {
                    state = new CollabClient(clientId, message.get("text").asString(), message.get("version").asInt());
                    welcomed = true;
                    notifyAll();
                }
                case "updates" -> {
                    if (state == null || message.get("from").asInt() != state.version()) {
                        if (state != null && message.get("from").asInt() > state.version()) {
                            send("{\"type\":\"pull\",\"version\":" + state.version() + "}");
                        }
                        return;
                    }
                    var updates = new ArrayList<Update>();
                    for (var node : message.get("updates")) {
                        var update = new Update(ChangeSet.fromJson(JSON.treeToValue(node.get("changes"), Object.class)), node.get("clientId").asString());
                        updates.add(update);
                        if (!update.clientId().equals(clientId)) {
                            // Roughly where this editor's cursor goes (exact only without pending changes, which is
                            // when it is reported): enough to keep typing at its own place.
                            cursor = update.changes().mapPos(Math.min(cursor, update.changes().length()), 1);
                            int k = seen.merge(update.clientId(), 1, Integer::sum);
                            run.arrived(update.clientId(), k, now);
                        }
                    }
                    state.receive(updates);
                    cursor = Math.min(cursor, state.length());
                    if (stalePending && !pushing && state.unconfirmedCount() > 0) {
                        stalePending = false;
                        push();
                    }
                }
                case "pushed" -> {
                    pushing = false;
                    if (message.path("rebased").asBoolean()) {
                        run.rebased.incrementAndGet();
                    }
                    if (!message.path("ok").asBoolean(true)) {
                        if (!"stale".equals(message.path("reason").asString())) {
                            run.refusals.add(clientId + ": " + message);
                            return;
                        }
                        run.stale.incrementAndGet();
                        stalePending = true;
                        send("{\"type\":\"pull\",\"version\":" + state.version() + "}");
                        return;
                    }
                    if (state.unconfirmedCount() > 0) {
                        push();
                    } else {
                        send("{\"type\":\"cursor\",\"version\":" + state.version() + ",\"anchor\":" + cursor + ",\"head\":" + cursor + "}");
                    }
                }
                case "presence" -> run.presenceBytes.addAndGet(bytes);
                case "pong" -> {
                    if (pingSentNanos > 0) {
                        run.pings.add((now - pingSentNanos) / 1e6);
                        pingSentNanos = 0;
                    }
                }
                default -> {
                }
            }
        }

        /** One keystroke at this editor's cursor. */
        synchronized void type(char c) {
            if (state == null) {
                return;
            }
            int length = state.length();
            int at = Math.min(cursor, length);
            state.edit(ChangeSet.replace(length, at, at, String.valueOf(c)));
            cursor = at + 1;
            typedAt.add(System.nanoTime());
            if (!pushing) {
                push();
            }
        }

        private void push() {
            pushing = true;
            run.pushes.incrementAndGet();
            var message = JSON.createObjectNode().put("type", "push").put("version", state.version());
            var list = message.putArray("updates");
            for (var update : state.sendable()) {
                list.addObject().put("clientId", clientId).set("changes", JSON.valueToTree(update.changes().toJson()));
            }
            send(message.toString());
        }

        void ping() {
            pingSentNanos = System.nanoTime();
            send("{\"type\":\"ping\"}");
        }

        /** Messages go out one after another: java.net.http's WebSocket drops a send begun before the last ended. */
        private CompletableFuture<?> lastSend = CompletableFuture.completedFuture(null);

        private synchronized void send(String text) {
            lastSend = lastSend.thenCompose(v -> socket.sendText(text, true)).exceptionally(e -> {
                run.refusals.add(clientId + " could not send: " + e);
                return null;
            });
        }

        @Override
        public CompletionStage<?> onClose(WebSocket webSocket, int statusCode, String reason) {
            if (!run.closing) {
                run.refusals.add(clientId + " closed by the server: " + statusCode + " " + reason);
            }
            return null;
        }

        @Override
        public void onError(WebSocket webSocket, Throwable error) {
            run.refusals.add(clientId + " failed: " + error);
        }

        synchronized boolean busy() {
            return state.unconfirmedCount() > 0;
        }

        synchronized void awaitWelcome() throws InterruptedException {
            long end = System.currentTimeMillis() + 120_000;
            while (!welcomed && System.currentTimeMillis() < end) {
                wait(100);
            }
            if (!welcomed) {
                throw new IllegalStateException(clientId + " got no welcome");
            }
        }
    }

    /** What one scenario measured. */
    static final class Run {
        final Map<String, Editor> editors = new ConcurrentHashMap<>();
        final Map<String, List<Editor>> byDocument = new ConcurrentHashMap<>();
        /** (client, k) -> the latest arrival at any other editor so far, and how many editors have it. */
        final Map<String, long[]> arrivals = new ConcurrentHashMap<>();
        final AtomicLong pushes = new AtomicLong();
        final AtomicLong rebased = new AtomicLong();
        final AtomicLong stale = new AtomicLong();
        final AtomicLong presenceBytes = new AtomicLong();
        final List<Double> pings = new CopyOnWriteArrayList<>();
        final List<String> refusals = new CopyOnWriteArrayList<>();
        volatile boolean closing;
        final Map<String, String> documentOf = new ConcurrentHashMap<>();

        void arrived(String clientId, int k, long now) {
            arrivals.compute(clientId + "#" + k, (key, v) -> {
                if (v == null) {
                    return new long[] {now, 1};
                }
                v[0] = Math.max(v[0], now);
                v[1]++;
                return v;
            });
        }
    }

    public static void main(String[] args) throws Exception {
        var jar = Path.of(args.length > 0 ? args[0] : "studio-server/target/kiln.jar").toAbsolutePath();
        int seconds = args.length > 1 ? Integer.parseInt(args[1]) : 30;
        System.out.printf(Locale.ROOT, "%nEditors typing 10 characters a second each, %d s per scenario, %d CPUs, loopback%n",
                seconds, Runtime.getRuntime().availableProcessors());
        System.out.println("| scenario | keystroke to all p50 / p99 / max (ms) | floor: ping/pong idle p50 / p99, while typing p50 / p99 (ms) | keystrokes | pushes | rebased | stale | presence (KB/s) | server CPU (% of one core) |");
        System.out.println("|---|---:|---:|---:|---:|---:|---:|---:|---:|");
        scenario(jar, seconds, 50, 1);
        scenario(jar, seconds, 200, 20);
        NOTES.forEach(System.out::println);
    }

    private static final List<String> NOTES = new ArrayList<>();

    private static void scenario(Path jar, int seconds, int editorCount, int documents) throws Exception {
        try (var kiln = KilnProcess.start(jar, Files.createTempDirectory("kiln-crowd-"), "benchmark-password")) {
            var session = kiln.signIn("admin", "benchmark-password");
            var created = session.http().send(HttpRequest.newBuilder(URI.create(kiln.base() + "/api/studios"))
                    .header("Content-Type", "application/json").header(session.csrfHeader(), session.csrfToken())
                    .POST(HttpRequest.BodyPublishers.ofString("{\"name\":\"Crowd\"}")).build(), HttpResponse.BodyHandlers.ofString()).body();
            var studioId = JSON.readTree(created).get("id").asString();
            var lines = new StringBuilder();
            for (int i = 0; i < editorCount / documents; i++) {
                lines.append("line ").append(i).append('\n');
            }
            for (int d = 0; d < documents; d++) {
                session.http().send(HttpRequest.newBuilder(URI.create(kiln.base() + "/api/studios/" + studioId + "/file?path=doc-" + d + ".md"))
                        .header("Content-Type", "application/json").header(session.csrfHeader(), session.csrfToken())
                        .PUT(HttpRequest.BodyPublishers.ofString(JSON.createObjectNode().put("text", lines.toString()).put("baseVersion", "").toString()))
                        .build(), HttpResponse.BodyHandlers.discarding());
            }
            var run = new Run();
            var http = HttpClient.newBuilder().executor(Executors.newFixedThreadPool(4)).build();
            var perDocument = editorCount / documents;
            for (int i = 0; i < editorCount; i++) {
                var document = "doc-" + (i % documents) + ".md";
                var editor = new Editor("e" + i, run);
                editor.socket = http.newWebSocketBuilder().header("Cookie", session.cookie())
                        .buildAsync(URI.create("ws://localhost:" + kiln.port + "/collab/" + studioId + "?path=" + document), editor).join();
                editor.send("{\"type\":\"hello\",\"clientId\":\"" + editor.clientId + "\"}");
                editor.awaitWelcome();
                synchronized (editor) {
                    // Each types at the end of a line of its own.
                    var doc = editor.state.doc();
                    int pos = -1;
                    for (int l = 0; l <= i / documents; l++) {
                        pos = doc.indexOf('\n', pos + 1);
                    }
                    editor.cursor = Math.max(0, pos);
                }
                run.editors.put(editor.clientId, editor);
                run.byDocument.computeIfAbsent(document, k -> new CopyOnWriteArrayList<>()).add(editor);
                run.documentOf.put(editor.clientId, document);
            }
            // The floor, idle: ping/pong on the same connections.
            var editors = new ArrayList<>(run.editors.values());
            for (int i = 0; i < 300; i++) {
                var editor = editors.get(i % editors.size());
                editor.ping();
                long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
                while (editor.pingSentNanos != 0 && System.nanoTime() < end) {
                    Thread.onSpinWait();
                }
            }
            var idlePings = new ArrayList<>(run.pings);
            run.pings.clear();

            // Typing: each editor on its own 100 ms beat, phases spread; one ping per editor per second.
            ScheduledExecutorService typists = Executors.newScheduledThreadPool(2);
            var random = new Random(42);
            long cpuBefore = cpuNanos(kiln.process.pid());
            long wallBefore = System.nanoTime();
            for (var editor : editors) {
                typists.scheduleAtFixedRate(() -> editor.type((char) ('a' + random.nextInt(26))), random.nextInt(100), 100, TimeUnit.MILLISECONDS);
                typists.scheduleAtFixedRate(editor::ping, random.nextInt(1000), 1000, TimeUnit.MILLISECONDS);
            }
            Thread.sleep(seconds * 1000L);
            typists.shutdownNow();
            typists.awaitTermination(5, TimeUnit.SECONDS);
            long wall = System.nanoTime() - wallBefore;
            long cpu = cpuNanos(kiln.process.pid()) - cpuBefore;
            long presence = run.presenceBytes.get();
            // Let everything typed arrive (up to 60 s), then check that everyone holds the same text.
            long settleEnd = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
            while (System.nanoTime() < settleEnd && editors.stream().anyMatch(Editor::busy)) {
                Thread.sleep(100);
            }
            long settledAfter = System.nanoTime() - wallBefore - wall;
            if (!run.refusals.isEmpty() || editors.stream().anyMatch(Editor::busy)) {
                var stuck = editors.stream().filter(Editor::busy).map(e -> e.clientId + (e.pushing ? " (push unanswered)" : "")).toList();
                throw new IllegalStateException("refused or closed: " + run.refusals.subList(0, Math.min(5, run.refusals.size()))
                        + "; still pending: " + stuck.subList(0, Math.min(5, stuck.size())));
            }
            for (var entry : run.byDocument.entrySet()) {
                String text = null;
                for (var editor : entry.getValue()) {
                    synchronized (editor) {
                        if (editor.state.unconfirmedCount() > 0) {
                            throw new IllegalStateException(editor.clientId + " still has " + editor.state.unconfirmedCount() + " pending");
                        }
                        if (text == null) {
                            text = editor.state.doc();
                        } else if (!text.equals(editor.state.doc())) {
                            throw new IllegalStateException("editors of " + entry.getKey() + " diverged");
                        }
                    }
                }
            }
            var latencies = new ArrayList<Double>();
            long keystrokes = 0;
            for (var editor : editors) {
                var typed = editor.typedAt;
                keystrokes += typed.size();
                for (int k = 1; k <= typed.size(); k++) {
                    var arrival = run.arrivals.get(editor.clientId + "#" + k);
                    if (arrival == null || arrival[1] < perDocument - 1) {
                        throw new IllegalStateException("keystroke " + k + " of " + editor.clientId + " did not reach everyone");
                    }
                    latencies.add((arrival[0] - typed.get(k - 1)) / 1e6);
                }
            }
            run.closing = true;
            for (var editor : editors) {
                editor.lastSend.thenCompose(v -> editor.socket.sendClose(WebSocket.NORMAL_CLOSURE, "done"));
            }
            NOTES.add(String.format(Locale.ROOT, "%d editors: everything typed had reached everyone %.1f s after the typing stopped",
                    editorCount, settledAfter / 1e9));
            var sorted = latencies.stream().sorted().toList();
            var idle = idlePings.stream().sorted().toList();
            var busy = run.pings.stream().sorted().toList();
            System.out.printf(Locale.ROOT, "| %d editors on %d document%s | %.1f / %.1f / %.1f | %.2f / %.2f, %.2f / %.2f | %d | %d | %d | %d | %.1f | %.0f |%n",
                    editorCount, documents, documents == 1 ? "" : "s",
                    percentile(sorted, 0.5), percentile(sorted, 0.99), sorted.get(sorted.size() - 1),
                    percentile(idle, 0.5), percentile(idle, 0.99), percentile(busy, 0.5), percentile(busy, 0.99),
                    keystrokes, run.pushes.get(), run.rebased.get(), run.stale.get(), presence / 1024.0 / (wall / 1e9), 100.0 * cpu / wall);
        }
    }

    /** CPU time (user + system) the process has used, from /proc. */
    private static long cpuNanos(long pid) throws Exception {
        var stat = Files.readString(Path.of("/proc/" + pid + "/stat"));
        var fields = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
        long ticks = Long.parseLong(fields[11]) + Long.parseLong(fields[12]);
        return ticks * 10_000_000L; // USER_HZ is 100 on Linux
    }

    private static double percentile(List<Double> sorted, double p) {
        return sorted.isEmpty() ? Double.NaN : sorted.get(Math.min(sorted.size() - 1, (int) Math.ceil(p * sorted.size()) - 1));
    }
}
