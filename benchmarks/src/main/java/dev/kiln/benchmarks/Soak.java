package dev.kiln.benchmarks;

import tools.jackson.databind.ObjectMapper;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.WebSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Random;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Pattern;

/**
 * A long run of ordinary use against a real Kiln server, to see whether memory only grows: editors typing into a few
 * documents and reconnecting every minute, a job every 20 s (each with its log and output), a terminal opened under
 * a new name, used and closed every 10 s, a data export token and a share link now and then, and a machine switch
 * every 5 minutes. Printed: the server's heap after a full GC at the start (after a minute of warm-up) and at the
 * end, and what was done. Not a test: it takes 30 minutes by default.
 * Usage: Soak &lt;kiln.jar&gt; [minutes]
 */
public final class Soak {

    private static final ObjectMapper JSON = new ObjectMapper();

    public static void main(String[] args) throws Exception {
        var jar = Path.of(args.length > 0 ? args[0] : "studio-server/target/kiln.jar").toAbsolutePath();
        double minutes = args.length > 1 ? Double.parseDouble(args[1]) : 30;
        try (var kiln = KilnProcess.start(jar, Files.createTempDirectory("kiln-soak-"), "benchmark-password")) {
            var session = kiln.signIn("admin", "benchmark-password");
            var studio = post(kiln, session, "/api/studios", "{\"name\":\"Soak\"}").get("id").asString();
            post(kiln, session, "/api/studios/" + studio + "/machine", "{\"machineType\":\"local-1\"}");
            var http = HttpClient.newBuilder().executor(Executors.newFixedThreadPool(4)).build();
            var random = new Random(7);
            var done = new Counters();
            long end = System.nanoTime() + (long) (minutes * 60e9);
            long warmUpEnd = System.nanoTime() + Math.min(60_000_000_000L, (long) (minutes * 60e9) / 10);
            String startHeap = null;
            long nextJob = 0, nextTerminal = 0, nextSwitch = System.nanoTime() + TimeUnit.MINUTES.toNanos(5), nextReconnect = 0;
            var editors = new ArrayList<WebSocket>();
            boolean big = false;
            while (System.nanoTime() < end) {
                long now = System.nanoTime();
                if (startHeap == null && now > warmUpEnd) {
                    startHeap = heapAfterGc(kiln.process.pid());
                    System.out.println("heap after GC at the start: " + startHeap);
                }
                if (now > nextReconnect) {
                    for (var editor : editors) {
                        editor.sendClose(WebSocket.NORMAL_CLOSURE, "reconnecting");
                    }
                    editors.clear();
                    for (int i = 0; i < 10; i++) {
                        editors.add(editor(http, kiln, session, studio, "doc-" + (i % 3) + ".md", "soak-" + random.nextInt(1_000_000)));
                    }
                    done.reconnects.incrementAndGet();
                    nextReconnect = now + TimeUnit.MINUTES.toNanos(1);
                }
                for (var editor : editors) {
                    type(editor);
                }
                done.keystrokes.addAndGet(editors.size());
                if (now > nextJob) {
                    var job = session.http().send(json(kiln, session, "/api/studios/" + studio + "/jobs",
                            "{\"entryPoint\":\"example.NoSuchEntryPoint\",\"nodes\":1,\"devices\":1}"), HttpResponse.BodyHandlers.ofString());
                    if (job.statusCode() < 300) {
                        done.jobs.incrementAndGet();
                    }
                    post(kiln, session, "/api/studios/" + studio + "/links", "{\"role\":\"viewer\",\"validForHours\":1}");
                    nextJob = now + TimeUnit.SECONDS.toNanos(20);
                }
                if (now > nextTerminal) {
                    var terminal = http.newWebSocketBuilder().header("Cookie", session.cookie())
                            .buildAsync(URI.create("ws://localhost:" + kiln.port + "/terminal/" + studio + "?name=soak-" + done.terminals.get()),
                                    new WebSocket.Listener() { }).join();
                    terminal.sendText("{\"type\":\"input\",\"data\":\"echo soak " + done.terminals.get() + "\\n\"}", true).join();
                    Thread.sleep(200);
                    terminal.sendClose(WebSocket.NORMAL_CLOSURE, "done");
                    done.terminals.incrementAndGet();
                    nextTerminal = now + TimeUnit.SECONDS.toNanos(10);
                }
                if (now > nextSwitch) {
                    big = !big;
                    post(kiln, session, "/api/studios/" + studio + "/machine", "{\"machineType\":\"" + (big ? "local-2" : "local-1") + "\"}");
                    done.switches.incrementAndGet();
                    nextSwitch = now + TimeUnit.MINUTES.toNanos(5);
                }
                Thread.sleep(300);
            }
            var endHeap = heapAfterGc(kiln.process.pid());
            System.out.printf(Locale.ROOT, "%nSoak of %.0f minutes: %d keystrokes, %d editor reconnects (10 each), %d jobs, %d terminals, %d machine switches%n",
                    minutes, done.keystrokes.get(), done.reconnects.get(), done.jobs.get(), done.terminals.get(), done.switches.get());
            System.out.println("| heap after full GC | at the start (after warm-up) | at the end |");
            System.out.println("|---|---:|---:|");
            System.out.println("| server | " + startHeap + " | " + endHeap + " |");
        }
    }

    static final class Counters {
        final AtomicLong keystrokes = new AtomicLong();
        final AtomicLong reconnects = new AtomicLong();
        final AtomicLong jobs = new AtomicLong();
        final AtomicLong terminals = new AtomicLong();
        final AtomicLong switches = new AtomicLong();
    }

    /** A minimal editor: it says hello and appends a character per call, ignoring what others type (server rebases). */
    private static WebSocket editor(HttpClient http, KilnProcess kiln, KilnProcess.Session session, String studio, String path, String clientId) {
        var state = new int[] {-1, 0}; // version, length
        var socket = http.newWebSocketBuilder().header("Cookie", session.cookie())
                .buildAsync(URI.create("ws://localhost:" + kiln.port + "/collab/" + studio + "?path=" + path), new WebSocket.Listener() {
                    final StringBuilder partial = new StringBuilder();

                    @Override
                    public CompletionStage<?> onText(WebSocket webSocket, CharSequence data, boolean last) {
                        partial.append(data);
                        if (last) {
                            var message = JSON.readTree(partial.toString());
                            partial.setLength(0);
                            synchronized (state) {
                                switch (message.path("type").asString()) {
                                    case "welcome" -> {
                                        state[0] = message.get("version").asInt();
                                        state[1] = message.get("text").asString().length();
                                    }
                                    case "updates" -> {
                                        for (var update : message.get("updates")) {
                                            state[1] = dev.kiln.collab.ChangeSet.fromJson(JSON.treeToValue(update.get("changes"), Object.class)).newLength();
                                        }
                                        state[0] = message.get("from").asInt() + message.get("updates").size();
                                    }
                                    default -> {
                                    }
                                }
                            }
                        }
                        webSocket.request(1);
                        return null;
                    }
                }).join();
        socket.sendText("{\"type\":\"hello\",\"clientId\":\"" + clientId + "\"}", true);
        EDITOR_STATE.put(socket, state);
        return socket;
    }

    private static final java.util.Map<WebSocket, int[]> EDITOR_STATE = new java.util.concurrent.ConcurrentHashMap<>();

    private static void type(WebSocket editor) {
        var state = EDITOR_STATE.get(editor);
        synchronized (state) {
            if (state[0] < 0) {
                return;
            }
            editor.sendText("{\"type\":\"push\",\"version\":" + state[0] + ",\"updates\":[{\"changes\":[" + state[1] + ",[0,\"x\"]]}]}", true);
        }
    }

    private static tools.jackson.databind.JsonNode post(KilnProcess kiln, KilnProcess.Session session, String path, String body) throws Exception {
        var response = session.http().send(json(kiln, session, path, body), HttpResponse.BodyHandlers.ofString());
        return response.body().isEmpty() ? JSON.createObjectNode() : JSON.readTree(response.body());
    }

    private static HttpRequest json(KilnProcess kiln, KilnProcess.Session session, String path, String body) {
        return HttpRequest.newBuilder(URI.create(kiln.base() + path)).header("Content-Type", "application/json")
                .header(session.csrfHeader(), session.csrfToken()).timeout(Duration.ofSeconds(60))
                .POST(HttpRequest.BodyPublishers.ofString(body)).build();
    }

    /** The server's used heap right after a full GC, from jcmd. */
    static String heapAfterGc(long pid) throws Exception {
        var jcmd = Path.of(System.getProperty("java.home"), "bin", "jcmd").toString();
        run(jcmd, String.valueOf(pid), "GC.run");
        var info = run(jcmd, String.valueOf(pid), "GC.heap_info");
        var used = Pattern.compile("used (\\d+)K").matcher(info);
        return used.find() ? String.format(Locale.ROOT, "%.1f MB", Long.parseLong(used.group(1)) / 1024.0) : info.strip();
    }

    private static String run(String... command) throws Exception {
        var process = new ProcessBuilder(List.of(command)).redirectErrorStream(true).start();
        var out = new String(process.getInputStream().readAllBytes());
        process.waitFor(60, TimeUnit.SECONDS);
        return out;
    }
}
