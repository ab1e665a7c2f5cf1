package dev.kiln.benchmarks;

import dev.kiln.collab.ChangeSet;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.ObjectMapper;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The machine switch on the local backend of a real Kiln server (the packaged jar): end-to-end time from the click
 * (the API call) to "Ready", how much of it is the new agent's own JVM start, the rest (the server's share), and
 * whether the editor stays usable: a collab client pushes an edit every 20 ms during every switch, and its
 * acknowledgements are compared with the same pushes while nothing switches.
 *
 * Usage: MachineSwitch &lt;kiln.jar&gt; [switches]
 */
public final class MachineSwitch {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Pattern CONNECTED = Pattern.compile("connected (\\d+) ms after the JVM started");
    private static final Pattern SYNCED = Pattern.compile("synced the workspace in (\\d+) ms, (\\d+) ms after the JVM started");

    public static void main(String[] args) throws Exception {
        var jar = Path.of(args.length > 0 ? args[0] : "studio-server/target/kiln.jar").toAbsolutePath();
        int switches = args.length > 1 ? Integer.parseInt(args[1]) : 6;
        Path dataDir = Files.createTempDirectory("kiln-switch-");
        try (var kiln = KilnProcess.start(jar, dataDir, "benchmark-password")) {
            var session = kiln.signIn("admin", "benchmark-password");
            String studioId = JSON.readTree(post(kiln, session, "/api/studios", "{\"name\":\"Switch\"}")).get("id").asString();
            post(kiln, session, "/api/studios/" + studioId + "/machine", "{\"machineType\":\"local-1\"}");
            awaitReady(kiln, session, studioId, "local-1");

            var client = new CollabLatency.Client(0);
            client.socket = HttpClient.newHttpClient().newWebSocketBuilder().header("Cookie", session.cookie())
                    .buildAsync(URI.create("ws://localhost:" + kiln.port + "/collab/" + studioId + "?path=README.md"), client)
                    .join();
            client.request("{\"type\":\"hello\",\"clientId\":\"" + client.clientId + "\"}");

            var quiet = typeFor(client, 3000);

            var endToEnd = new ArrayList<Double>();
            var agentStart = new ArrayList<Double>();
            var serverShare = new ArrayList<Double>();
            var during = new ArrayList<Double>();
            var failures = new AtomicInteger();
            for (int i = 0; i < switches; i++) {
                String target = i % 2 == 0 ? "local-2" : "local-1";
                var typing = new AtomicBoolean(true);
                var acks = Collections.synchronizedList(new ArrayList<Double>());
                Thread typist = Thread.ofPlatform().start(() -> {
                    while (typing.get()) {
                        try {
                            acks.add(pushOne(client));
                            Thread.sleep(20);
                        } catch (Exception e) {
                            failures.incrementAndGet();
                        }
                    }
                });
                long start = System.nanoTime();
                post(kiln, session, "/api/studios/" + studioId + "/machine", "{\"machineType\":\"" + target + "\"}");
                awaitReady(kiln, session, studioId, target);
                double total = (System.nanoTime() - start) / 1e6;
                typing.set(false);
                typist.join();
                during.addAll(acks);
                long generation = i + 2;
                double agent = agentConnectMillis(dataDir, studioId, generation);
                endToEnd.add(total);
                agentStart.add(agent);
                serverShare.add(total - agent);
            }
            client.socket.sendClose(java.net.http.WebSocket.NORMAL_CLOSURE, "done");

            System.out.printf(Locale.ROOT, "%nMachine switch on the local backend, %d switches between 1 and 2 cores, %d CPUs%n",
                    switches, Runtime.getRuntime().availableProcessors());
            System.out.println("| what | p50 (ms) | max (ms) |");
            System.out.println("|---|---:|---:|");
            row("end to end: switch request until Ready", endToEnd);
            row("of which the new agent: JVM start until connected and synced", agentStart);
            row("  (its git fetch of the workspace, while connecting)", SYNC_MILLIS);
            row("the rest: server, planner, stopping the old machine (target < 300)", serverShare);
            System.out.println();
            System.out.println("| editor: push until acknowledged | pushes | failed | p50 (ms) | p99 (ms) | max (ms) |");
            System.out.println("|---|---:|---:|---:|---:|---:|");
            editorRow("while nothing switches (baseline)", quiet, 0);
            editorRow("during the switches", during, failures.get());
        }
    }

    private static List<Double> typeFor(CollabLatency.Client client, long millis) throws Exception {
        var acks = new ArrayList<Double>();
        long until = System.nanoTime() + millis * 1_000_000;
        while (System.nanoTime() < until) {
            acks.add(pushOne(client));
            Thread.sleep(20);
        }
        return acks;
    }

    /** One keystroke at the end of the document; returns the milliseconds until the server acknowledged it. */
    private static double pushOne(CollabLatency.Client client) throws Exception {
        String push;
        synchronized (client) {
            int end = client.state.doc().length();
            push = client.editAndPush(ChangeSet.replace(end, end, end, "x"));
        }
        long sent = System.nanoTime();
        JsonNode reply = client.request(push);
        if (!reply.path("ok").asBoolean()) {
            throw new IllegalStateException("push refused: " + reply);
        }
        double millis = (System.nanoTime() - sent) / 1e6;
        // The server echoes the update to everyone, this client included; wait for it before the next keystroke.
        int version = reply.get("version").asInt();
        long deadline = System.nanoTime() + 10_000_000_000L;
        while (true) {
            synchronized (client) {
                if (client.state.version() >= version) {
                    break;
                }
            }
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("own update never came back");
            }
            Thread.onSpinWait();
        }
        return millis;
    }

    private static final List<Double> SYNC_MILLIS = new ArrayList<>();

    private static double agentConnectMillis(Path dataDir, String studioId, long generation) throws Exception {
        Path log = dataDir.resolve("machines").resolve(studioId).resolve("agent-g" + generation + ".log");
        // The agent is ready once it is both connected and synced (it syncs while connecting); it writes both lines
        // just after the server sees them: give it a moment.
        for (int i = 0; i < 200; i++) {
            String text = Files.exists(log) ? Files.readString(log) : "";
            Matcher connected = CONNECTED.matcher(text);
            Matcher synced = SYNCED.matcher(text);
            if (connected.find() && synced.find()) {
                SYNC_MILLIS.add(Double.parseDouble(synced.group(1)));
                return Math.max(Double.parseDouble(connected.group(1)), Double.parseDouble(synced.group(2)));
            }
            Thread.sleep(10);
        }
        return Double.NaN;
    }

    private static void awaitReady(KilnProcess kiln, KilnProcess.Session session, String studioId, String type)
            throws Exception {
        long deadline = System.nanoTime() + 60_000_000_000L;
        while (System.nanoTime() < deadline) {
            JsonNode status = JSON.readTree(get(kiln, session, "/api/studios/" + studioId + "/machine"));
            if (status.path("phase").asString().equals("READY") && status.path("machineType").asString().equals(type)) {
                return;
            }
            Thread.sleep(10);
        }
        throw new IllegalStateException("the machine never became ready on " + type);
    }

    private static String post(KilnProcess kiln, KilnProcess.Session session, String path, String json) throws Exception {
        var response = session.http().send(HttpRequest.newBuilder(URI.create(kiln.base() + path))
                .header("Content-Type", "application/json").header(session.csrfHeader(), session.csrfToken())
                .POST(HttpRequest.BodyPublishers.ofString(json)).build(), HttpResponse.BodyHandlers.ofString());
        if (response.statusCode() >= 300) {
            throw new IllegalStateException(path + ": " + response.statusCode() + " " + response.body());
        }
        return response.body();
    }

    private static String get(KilnProcess kiln, KilnProcess.Session session, String path) throws Exception {
        return session.http().send(HttpRequest.newBuilder(URI.create(kiln.base() + path)).GET().build(),
                HttpResponse.BodyHandlers.ofString()).body();
    }

    private static void row(String what, List<Double> samples) {
        var sorted = new ArrayList<>(samples);
        Collections.sort(sorted);
        System.out.printf(Locale.ROOT, "| %s | %.0f | %.0f |%n", what, sorted.get(sorted.size() / 2), sorted.getLast());
    }

    private static void editorRow(String what, List<Double> samples, int failed) {
        var sorted = new ArrayList<>(samples);
        Collections.sort(sorted);
        System.out.printf(Locale.ROOT, "| %s | %d | %d | %.2f | %.2f | %.2f |%n", what, sorted.size(), failed,
                sorted.get(sorted.size() / 2), sorted.get((int) Math.min(sorted.size() - 1, Math.round(sorted.size() * 0.99))),
                sorted.getLast());
    }
}
