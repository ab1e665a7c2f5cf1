package dev.kiln.benchmarks;

import com.microsoft.playwright.Browser;
import com.microsoft.playwright.BrowserType;
import com.microsoft.playwright.Page;
import com.microsoft.playwright.Playwright;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.ObjectMapper;

import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Jobs and live metrics on the packaged server, local backend, three figures each beside its baseline:
 * <ol>
 *   <li>the agent's CPU while it samples the machine once a second, against a JVM that only sleeps;</li>
 *   <li>latency from the trainer logging a metric to the browser's chart showing it (headless Chromium);</li>
 *   <li>log throughput: a program printing as fast as it can as a Kiln job, against the same program with its output
 *       simply drained, and how many lines reached the job's log.</li>
 * </ol>
 */
public final class JobsPipeline {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String PASSWORD = "benchmark-password";

    public static void main(String[] args) throws Exception {
        var jar = Path.of(args.length > 0 ? args[0] : "studio-server/target/kiln.jar").toAbsolutePath();
        int seconds = args.length > 1 ? Integer.parseInt(args[1]) : 30;
        Path dataDir = Files.createTempDirectory("kiln-jobs-bench-");
        try (var kiln = KilnProcess.start(jar, dataDir, PASSWORD)) {
            var session = kiln.signIn("admin", PASSWORD);
            String studio = JSON.readTree(post(kiln, session, "/api/studios", "{\"name\":\"Bench\"}")).get("id").asString();
            post(kiln, session, "/api/studios/" + studio + "/machine", "{\"machineType\":\"local-2\"}");
            await(() -> get(kiln, session, "/api/studios/" + studio + "/machine").path("phase").asString().equals("READY"));

            agentOverhead(kiln, seconds);
            metricLatency(kiln, session, studio);
            logThroughput(kiln, session, studio);
        }
    }

    /** CPU seconds the idle agent uses over a window, against a JVM with the same flags that only sleeps. */
    static void agentOverhead(KilnProcess kiln, int seconds) throws Exception {
        ProcessHandle agent = kiln.process.toHandle().descendants()
                .filter(p -> p.info().commandLine().orElse("").contains("MachineAgent")).findFirst().orElseThrow();
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        String classes = Path.of(JobsPipeline.class.getProtectionDomain().getCodeSource().getLocation().toURI()).toString();
        Process sleeper = new ProcessBuilder(java, "-Xmx128m", "-XX:+UseSerialGC", "-XX:ActiveProcessorCount=2", "-cp",
                classes, Sleep.class.getName()).inheritIO().start();
        Thread.sleep(20_000); // past both JVMs' start-up and the agent's first JIT compilations
        double agentBefore = cpu(agent);
        double sleeperBefore = cpu(sleeper.toHandle());
        Thread.sleep(seconds * 1000L);
        double agentCpu = cpu(agent) - agentBefore;
        double sleeperCpu = cpu(sleeper.toHandle()) - sleeperBefore;
        sleeper.destroy();
        System.out.printf(Locale.ROOT, "%n1. Agent CPU while sampling CPU, memory, disk (and GPUs) once a second, %d s window%n",
                seconds);
        System.out.printf(Locale.ROOT, "   (one sample alone: about 0.4 ms of CPU, measured in-process)%n");
        System.out.println("| process | CPU time (ms) | share of one core |");
        System.out.println("|---|---:|---:|");
        System.out.printf(Locale.ROOT, "| machine agent, 1 Hz health reports | %.0f | %.3f%% |%n", agentCpu * 1000,
                agentCpu / seconds * 100);
        System.out.printf(Locale.ROOT, "| baseline: a JVM that only sleeps | %.0f | %.3f%% |%n", sleeperCpu * 1000,
                sleeperCpu / seconds * 100);
        System.out.printf(Locale.ROOT, "| sampling's own share (difference; target < 0.5%%) | | %.3f%% |%n",
                (agentCpu - sleeperCpu) / seconds * 100);
    }

    static double cpu(ProcessHandle process) {
        return process.info().totalCpuDuration().orElse(Duration.ZERO).toNanos() / 1e9;
    }

    /** From the metric's log time (the trainer's clock) to the moment the chart in a real browser has the point. */
    static void metricLatency(KilnProcess kiln, KilnProcess.Session session, String studio) throws Exception {
        var latencies = new ArrayList<Double>();
        try (var playwright = Playwright.create(new Playwright.CreateOptions()
                .setEnv(Map.of("PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD", "1")))) {
            Browser browser = playwright.chromium().launch(new BrowserType.LaunchOptions().setHeadless(true)
                    .setExecutablePath(Path.of(System.getenv().getOrDefault("KILN_CHROMIUM", "/usr/bin/chromium")))
                    .setArgs(List.of("--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage")));
            Page page = browser.newPage();
            page.navigate(kiln.base() + "/login");
            page.getByLabel("Username").fill("admin");
            page.getByLabel("Password", new Page.GetByLabelOptions().setExact(true)).fill(PASSWORD);
            page.getByRole(com.microsoft.playwright.options.AriaRole.BUTTON,
                    new Page.GetByRoleOptions().setName("Log in")).click();
            page.waitForURL(url -> !url.contains("login"));
            page.navigate(kiln.base() + "/studio/" + studio);
            page.locator("#tab-jobs").click();
            // Every change of the loss series' length, with the browser's wall clock.
            page.evaluate("() => { window.kilnSeen = []; const seen = () => { const c = document.querySelector('#job-charts');"
                    + " if (c) { const n = +(c.getAttribute('data-points-loss') || 0); const last = window.kilnSeen.at(-1);"
                    + " if (!last || last[0] != n) window.kilnSeen.push([n, Date.now()]); } requestAnimationFrame(seen); };"
                    + " seen(); }");
            page.locator("#job-run").click();
            page.locator("#run-args input").fill("--trainer.max-epochs=100000 --trainer.log-every-n-steps=20");
            page.locator("#run-start").click();
            page.waitForTimeout(25_000);
            String jobId = get(kiln, session, "/api/studios/" + studio + "/jobs").get(0).path("id").asString();
            JsonNode loss = get(kiln, session, "/api/studios/" + studio + "/jobs/" + jobId + "/metrics").path("loss");
            @SuppressWarnings("unchecked")
            List<List<Number>> seen = (List<List<Number>>) page.evaluate("() => window.kilnSeen");
            for (int k = 0; k < loss.size(); k++) {
                double logged = loss.get(k).get(2).asDouble();
                for (List<Number> s : seen) {
                    if (s.get(0).intValue() >= k + 1) {
                        latencies.add(s.get(1).doubleValue() - logged);
                        break;
                    }
                }
            }
            post(kiln, session, "/api/studios/" + studio + "/jobs/" + jobId + "/cancel", "{}");
            browser.close();
        }
        latencies.sort(Double::compare);
        System.out.printf(Locale.ROOT, "%n2. Metric logged by the trainer until the browser's chart has it (%d points)%n",
                latencies.size());
        System.out.println("| what | p50 (ms) | p90 (ms) | max (ms) |");
        System.out.println("|---|---:|---:|---:|");
        System.out.printf(Locale.ROOT, "| trainer log line to chart point (target < 1500) | %.0f | %.0f | %.0f |%n",
                pct(latencies, 50), pct(latencies, 90), latencies.isEmpty() ? Double.NaN : latencies.getLast());
        System.out.println("| baseline: the UI's poll interval alone (mean wait half of it) | 500 | 900 | 1000 |");
    }

    /** A program printing lines flat out for five seconds, alone and as a Kiln job. */
    static void logThroughput(KilnProcess kiln, KilnProcess.Session session, String studio) throws Exception {
        String source = "package bench;\npublic class Flood {\n  public static void main(String[] a) {\n"
                + "    var out = new java.io.PrintStream(new java.io.FileOutputStream(java.io.FileDescriptor.out), false);\n"
                + "    long end = System.nanoTime() + 5_000_000_000L; long n = 0;\n"
                + "    while (System.nanoTime() < end) { out.println(\"line \" + n + \" the quick brown fox jumps over the lazy dog\"); n++; }\n"
                + "    out.flush(); System.err.println(\"produced \" + n + \" lines in 5 s\");\n  }\n}\n";
        var put = HttpRequest.newBuilder(URI.create(kiln.base() + "/api/studios/" + studio
                        + "/file?path=src/main/java/bench/Flood.java")).header("Cookie", session.cookie())
                .header(session.csrfHeader(), session.csrfToken()).header("Content-Type", "application/json")
                .PUT(HttpRequest.BodyPublishers.ofString(JSON.writeValueAsString(Map.of("text", source, "baseVersion", ""))))
                .build();
        session.http().send(put, HttpResponse.BodyHandlers.discarding());

        // Baseline: the same class, compiled here, with its output drained by this process.
        Path dir = Files.createTempDirectory("flood");
        Files.createDirectories(dir.resolve("bench"));
        Files.writeString(dir.resolve("bench/Flood.java"), source);
        var javac = javax.tools.ToolProvider.getSystemJavaCompiler();
        javac.run(null, null, null, "-d", dir.toString(), dir.resolve("bench/Flood.java").toString());
        String javaBin = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        Process alone = new ProcessBuilder(javaBin, "-cp", dir.toString(), "bench.Flood").start();
        var drain = Thread.ofPlatform().start(() -> {
            try {
                alone.getInputStream().transferTo(java.io.OutputStream.nullOutputStream());
            } catch (java.io.IOException ignored) {
                // ended
            }
        });
        String aloneReport = new String(alone.getErrorStream().readAllBytes()).strip();
        alone.waitFor();
        drain.join();
        long aloneLines = Long.parseLong(aloneReport.replaceAll("\\D+(\\d+).*", "$1"));

        String jobId = JSON.readTree(post(kiln, session, "/api/studios/" + studio + "/jobs",
                "{\"entryPoint\":\"bench.Flood\",\"nodes\":1,\"devices\":1}")).get("id").asString();
        await(() -> get(kiln, session, "/api/studios/" + studio + "/jobs/" + jobId).path("status").asString()
                .matches("SUCCEEDED|FAILED|CANCELLED"));
        int from = 0;
        long received = 0;
        String report = "";
        while (true) {
            JsonNode chunk = get(kiln, session, "/api/studios/" + studio + "/jobs/" + jobId + "/log?from=" + from);
            if (chunk.path("lines").isEmpty()) {
                break;
            }
            for (JsonNode line : chunk.path("lines")) {
                if (line.asString().startsWith("line ")) {
                    received++;
                } else if (line.asString().startsWith("produced ")) {
                    report = line.asString();
                }
            }
            from = chunk.path("next").asInt();
        }
        long jobLines = report.isEmpty() ? -1 : Long.parseLong(report.replaceAll("\\D+(\\d+).*", "$1"));
        System.out.printf(Locale.ROOT, "%n3. Log throughput: a program printing flat out for 5 s%n");
        System.out.println("| run | lines produced | lines/s | lines in the job's log |");
        System.out.println("|---|---:|---:|---:|");
        System.out.printf(Locale.ROOT, "| baseline: alone, output drained | %d | %.0f | - |%n", aloneLines, aloneLines / 5.0);
        System.out.printf(Locale.ROOT, "| as a Kiln job (agent, WebSocket, server log) | %d | %.0f | %d |%n", jobLines,
                jobLines / 5.0, received);
    }

    static double pct(List<Double> sorted, int p) {
        return sorted.isEmpty() ? Double.NaN : sorted.get(Math.min(sorted.size() - 1, sorted.size() * p / 100));
    }

    static String post(KilnProcess kiln, KilnProcess.Session session, String path, String body) throws Exception {
        return session.http().send(HttpRequest.newBuilder(URI.create(kiln.base() + path)).header("Cookie", session.cookie())
                .header(session.csrfHeader(), session.csrfToken()).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString()).body();
    }

    static JsonNode get(KilnProcess kiln, KilnProcess.Session session, String path) throws Exception {
        return JSON.readTree(session.http().send(HttpRequest.newBuilder(URI.create(kiln.base() + path))
                .header("Cookie", session.cookie()).build(), HttpResponse.BodyHandlers.ofString()).body());
    }

    interface Check {
        boolean ok() throws Exception;
    }

    static void await(Check check) throws Exception {
        long until = System.nanoTime() + Duration.ofMinutes(3).toNanos();
        while (!check.ok()) {
            if (System.nanoTime() > until) {
                throw new IllegalStateException("timed out");
            }
            Thread.sleep(200);
        }
    }

    /** The baseline JVM of figure 1. */
    public static final class Sleep {
        public static void main(String[] args) throws InterruptedException {
            Thread.sleep(Long.MAX_VALUE);
        }
    }
}
