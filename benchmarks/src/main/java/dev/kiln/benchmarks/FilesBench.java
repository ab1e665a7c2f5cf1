package dev.kiln.benchmarks;

import java.io.OutputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.WebSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Pattern;

/**
 * The studio's files as the machine's filesystem, measured on a real Kiln with a real local machine:
 * <ul>
 *   <li>a change made on the machine (a file replaced the way {@code sed -i} does) until every open editor has it,
 *       p50/p99, for {@code editors} collaboration clients on the file;</li>
 *   <li>an upload through the files API onto the machine and the download back, against a plain {@code cp} of the
 *       same file on the same disk in the same run.</li>
 * </ul>
 * Usage: {@code FilesBench <kiln.jar> [editors] [edits] [megabytes]}.
 */
public final class FilesBench {
    private static final Pattern ID = Pattern.compile("\"id\":\"([^\"]+)\"");

    /** One editor: when each marker first arrived in an update. */
    static final class Editor implements WebSocket.Listener {
        final Map<String, Long> arrived = new ConcurrentHashMap<>();
        final StringBuilder partial = new StringBuilder();
        volatile List<String> wanted = List.of();

        @Override
        public CompletionStage<?> onText(WebSocket socket, CharSequence data, boolean last) {
            partial.append(data);
            if (last) {
                long now = System.nanoTime();
                String message = partial.toString();
                partial.setLength(0);
                for (String marker : wanted) {
                    if (message.contains(marker)) {
                        arrived.putIfAbsent(marker, now);
                    }
                }
            }
            socket.request(1);
            return null;
        }
    }

    public static void main(String[] args) throws Exception {
        var jar = Path.of(args.length > 0 ? args[0] : "studio-server/target/kiln.jar").toAbsolutePath();
        int editors = args.length > 1 ? Integer.parseInt(args[1]) : 4;
        int edits = args.length > 2 ? Integer.parseInt(args[2]) : 100;
        int megabytes = args.length > 3 ? Integer.parseInt(args[3]) : 1024;
        Path data = Files.createTempDirectory("kiln-files-bench-");
        try (var kiln = KilnProcess.start(jar, data, "benchmark-password")) {
            var session = kiln.signIn("admin", "benchmark-password");
            var http = session.http();
            String studio = id(post(kiln, session, "/api/studios", "{\"name\":\"Files bench\"}"));
            post(kiln, session, "/api/studios/" + studio + "/machine", "{\"machineType\":\"local-1\"}");
            long until = System.nanoTime() + 120_000_000_000L;
            while (!get(kiln, session, "/api/studios/" + studio + "/machine").contains("\"phase\":\"READY\"")) {
                if (System.nanoTime() > until) {
                    throw new IllegalStateException("the machine did not start");
                }
                Thread.sleep(100);
            }
            Path home = data.resolve("machines").resolve(studio).resolve("home");
            Path readme = home.resolve("workspace/README.md");

            var clients = new ArrayList<Editor>();
            var sockets = new ArrayList<WebSocket>();
            for (int i = 0; i < editors; i++) {
                var editor = new Editor();
                var socket = HttpClient.newHttpClient().newWebSocketBuilder().header("Cookie", session.cookie())
                        .buildAsync(URI.create("ws://localhost:" + kiln.port + "/collab/" + studio + "?path=README.md"),
                                editor).join();
                socket.sendText("{\"type\":\"hello\",\"clientId\":\"bench-" + i + "\"}", true).join();
                clients.add(editor);
                sockets.add(socket);
            }
            Thread.sleep(1000);

            // A machine-side edit: a new file renamed over README.md, as sed -i does; until every editor has it.
            var latencies = new ArrayList<Double>();
            var random = new Random(16);
            for (int i = 0; i < edits; i++) {
                String marker = "machine-edit-" + i + "-" + Integer.toHexString(random.nextInt());
                for (var editor : clients) {
                    editor.wanted = List.of(marker);
                }
                String before = Files.readString(readme);
                Path temporary = readme.resolveSibling("sed" + i);
                Files.writeString(temporary, before + marker + "\n");
                long sent = System.nanoTime();
                Files.move(temporary, readme, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
                long deadline = sent + 30_000_000_000L;
                while (clients.stream().anyMatch(c -> !c.arrived.containsKey(marker))) {
                    if (System.nanoTime() > deadline) {
                        throw new IllegalStateException("edit " + i + " did not reach every editor");
                    }
                    Thread.sleep(1);
                }
                long last = clients.stream().mapToLong(c -> c.arrived.get(marker)).max().orElseThrow();
                latencies.add((last - sent) / 1e6);
                // Let the commit and its sync settle, so the next edit starts from the machine's merged file.
                Thread.sleep(400);
            }
            sockets.forEach(s -> s.sendClose(WebSocket.NORMAL_CLOSURE, "done"));

            // Throughput: a plain cp of the file into the machine's home, then the upload and the download.
            Path original = Files.createTempFile("kiln-bench-", ".bin");
            byte[] block = new byte[1 << 20];
            try (OutputStream out = Files.newOutputStream(original)) {
                for (int i = 0; i < megabytes; i++) {
                    random.nextBytes(block);
                    out.write(block);
                }
            }
            long t = System.nanoTime();
            var cp = new ProcessBuilder("cp", original.toString(), home.resolve("cp-baseline.bin").toString()).start();
            if (cp.waitFor() != 0) {
                throw new IllegalStateException("cp failed");
            }
            new ProcessBuilder("sync").start().waitFor();
            double cpSeconds = (System.nanoTime() - t) / 1e9;
            t = System.nanoTime();
            var upload = http.send(HttpRequest.newBuilder(URI.create(kiln.base() + "/api/studios/" + studio
                            + "/fs/upload?path=data/bench.bin")).header(session.csrfHeader(), session.csrfToken())
                    .PUT(HttpRequest.BodyPublishers.ofFile(original)).build(), HttpResponse.BodyHandlers.ofString());
            new ProcessBuilder("sync").start().waitFor();
            double uploadSeconds = (System.nanoTime() - t) / 1e9;
            if (upload.statusCode() != 201) {
                throw new IllegalStateException("upload: " + upload.statusCode() + " " + upload.body());
            }
            Path back = Files.createTempFile("kiln-bench-back-", ".bin");
            t = System.nanoTime();
            var download = http.send(HttpRequest.newBuilder(URI.create(kiln.base() + "/api/studios/" + studio
                    + "/fs/download?path=data/bench.bin")).build(), HttpResponse.BodyHandlers.ofFile(back));
            new ProcessBuilder("sync").start().waitFor();
            double downloadSeconds = (System.nanoTime() - t) / 1e9;
            if (download.statusCode() != 200 || Files.size(back) != Files.size(original)) {
                throw new IllegalStateException("download: " + download.statusCode());
            }
            Files.delete(original);
            Files.delete(back);
            post(kiln, session, "/api/studios/" + studio + "/machine/stop", "{}");

            Collections.sort(latencies);
            System.out.printf(Locale.ROOT, "%nMachine-side edit (a file renamed over README.md) until %d open editors have it,"
                    + " %d edits: p50 %.0f ms, p99 %.0f ms, max %.0f ms%n", editors, edits,
                    percentile(latencies, 50), percentile(latencies, 99), latencies.getLast());
            System.out.printf(Locale.ROOT, "%d MiB: cp %.0f MiB/s, upload onto the machine %.0f MiB/s, download %.0f MiB/s%n",
                    megabytes, megabytes / cpSeconds, megabytes / uploadSeconds, megabytes / downloadSeconds);
        }
    }

    static double percentile(List<Double> sorted, int p) {
        return sorted.get(Math.min(sorted.size() - 1, (int) Math.ceil(p / 100.0 * sorted.size()) - 1));
    }

    static String id(String json) {
        var m = ID.matcher(json);
        if (!m.find()) {
            throw new IllegalStateException("no id in " + json);
        }
        return m.group(1);
    }

    static String post(KilnProcess kiln, KilnProcess.Session session, String path, String json) throws Exception {
        return session.http().send(HttpRequest.newBuilder(URI.create(kiln.base() + path))
                .header("Content-Type", "application/json").header(session.csrfHeader(), session.csrfToken())
                .POST(HttpRequest.BodyPublishers.ofString(json, StandardCharsets.UTF_8)).build(),
                HttpResponse.BodyHandlers.ofString()).body();
    }

    static String get(KilnProcess kiln, KilnProcess.Session session, String path) throws Exception {
        return session.http().send(HttpRequest.newBuilder(URI.create(kiln.base() + path)).build(),
                HttpResponse.BodyHandlers.ofString()).body();
    }
}
