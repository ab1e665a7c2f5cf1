package dev.kiln.benchmarks;

import com.microsoft.playwright.Browser;
import com.microsoft.playwright.BrowserType;
import com.microsoft.playwright.Page;
import com.microsoft.playwright.Playwright;
import com.microsoft.playwright.options.AriaRole;
import com.microsoft.playwright.options.WaitForSelectorState;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * Kiln's start-up figures, each beside a baseline measured in the same run:
 * <ul>
 *   <li>seconds from {@code java -jar kiln.jar} to "Kiln is ready" and to the first HTTP answer, on a first start
 *       (empty data directory: migrations, admin account) beside a restart (existing data directory);</li>
 *   <li>milliseconds for headless Chromium to show the studio view (file tree visible) on its first visit and on a
 *       reload, beside the sign-in page (the lightest Vaadin page) in a fresh browser.</li>
 * </ul>
 * When {@code ./kiln prepare-start} has run, also the way {@code ./kiln start} runs Kiln: the extracted jar with the
 * JDK's AOT cache ({@code studio-server/target/run}).
 * Usage: ColdStart &lt;path to kiln.jar&gt; [runs]
 */
public final class ColdStart {

    private static final String PASSWORD = "benchmark-password";
    private static final Map<String, List<Double>> samples = new LinkedHashMap<>();

    public static void main(String[] args) throws Exception {
        var jar = Path.of(args.length > 0 ? args[0] : "studio-server/target/kiln.jar").toAbsolutePath();
        int runs = args.length > 1 ? Integer.parseInt(args[1]) : 3;
        if (!Files.isRegularFile(jar)) {
            throw new IllegalArgumentException("No " + jar + ": build it first (./kiln -q -DskipTests package)");
        }
        var sharedDataDir = Files.createTempDirectory("kiln-bench-restart-");
        try (var playwright = Playwright.create(new Playwright.CreateOptions().setEnv(Map.of("PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD", "1")));
             var browser = playwright.chromium().launch(new BrowserType.LaunchOptions()
                     .setExecutablePath(Path.of(System.getenv().getOrDefault("KILN_CHROMIUM", "/usr/bin/chromium")))
                     .setArgs(List.of("--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                             "--disable-background-networking", "--disable-component-update", "--disable-sync",
                             "--disable-dev-shm-usage")))) {
            // Prime the shared data directory so that "restart" really restarts.
            startMeasureStop(jar, sharedDataDir, null, null);
            Path run = jar.getParent().resolve("run");
            Path extracted = run.resolve("app/kiln.jar");
            Path aot = run.resolve("kiln.aot");
            boolean fast = Files.isRegularFile(extracted) && Files.isRegularFile(aot);
            for (int i = 1; i <= runs; i++) {
                System.out.printf("run %d/%d%n", i, runs);
                startMeasureStop(jar, Files.createTempDirectory("kiln-bench-first-"), "first start (empty data dir)", null);
                startMeasureStop(jar, sharedDataDir, "restart (existing data dir)", browser);
                if (fast) {
                    startMeasureStop(extracted, Files.createTempDirectory("kiln-bench-fast-"),
                            "./kiln start (extracted, AOT cache), first start", null, List.of("-XX:AOTCache=" + aot));
                }
            }
        }
        report(runs);
    }

    private static void startMeasureStop(Path jar, Path dataDir, String label, Browser browser) throws Exception {
        startMeasureStop(jar, dataDir, label, browser, List.of());
    }

    private static void startMeasureStop(Path jar, Path dataDir, String label, Browser browser, List<String> jvmOptions)
            throws Exception {
        long t0 = System.nanoTime();
        try (var kiln = KilnProcess.start(jar, dataDir, PASSWORD, jvmOptions)) {
            long answeredAt = firstHttpAnswer(kiln.port);
            if (label != null) {
                record(label + ": start to \"ready\" (s)", (kiln.readyAtNanos - t0) / 1e9);
                record(label + ": start to first HTTP answer (s)", (answeredAt - t0) / 1e9);
            }
            if (browser != null) {
                measurePages(browser, kiln.port);
            }
        }
    }

    private static long firstHttpAnswer(int port) throws Exception {
        var client = HttpClient.newHttpClient();
        var request = HttpRequest.newBuilder(URI.create("http://localhost:" + port + "/login")).build();
        for (int i = 0; i < 600; i++) {
            try {
                if (client.send(request, HttpResponse.BodyHandlers.discarding()).statusCode() == 200) {
                    return System.nanoTime();
                }
            } catch (IOException notYet) {
                // not listening yet
            }
            Thread.sleep(50);
        }
        throw new IllegalStateException("No HTTP answer from Kiln");
    }

    private static void measurePages(Browser browser, int port) {
        var base = "http://localhost:" + port;
        String studioUrl;
        try (var context = browser.newContext()) {
            var page = context.newPage();
            long t = System.nanoTime();
            page.navigate(base + "/login");
            page.getByLabel("Username").waitFor();
            record("baseline: sign-in page, fresh browser (ms)", (System.nanoTime() - t) / 1e6);
            signIn(page);
            page.locator("#new-studio").click();
            page.locator("#prompt-field input").fill("Benchmark " + System.nanoTime());
            page.locator("#prompt-ok").click();
            page.waitForURL(Pattern.compile(".*/studio/.*"));
            studioUrl = page.url();
        }
        try (var context = browser.newContext()) {
            var page = context.newPage();
            page.navigate(base + "/login");
            signIn(page);
            long t = System.nanoTime();
            page.navigate(studioUrl);
            page.locator("[data-path='README.md']").waitFor(new com.microsoft.playwright.Locator.WaitForOptions().setState(WaitForSelectorState.VISIBLE));
            record("studio view, first visit (ms)", (System.nanoTime() - t) / 1e6);
            t = System.nanoTime();
            page.reload();
            page.locator("[data-path='README.md']").waitFor();
            record("studio view, reload (ms)", (System.nanoTime() - t) / 1e6);
        }
    }

    private static void signIn(Page page) {
        page.getByLabel("Username").fill("admin");
        page.getByLabel("Password", new Page.GetByLabelOptions().setExact(true)).fill(PASSWORD);
        page.getByRole(AriaRole.BUTTON, new Page.GetByRoleOptions().setName("Log in")).click();
        page.getByText("My studios").waitFor();
    }

    private static void record(String what, double value) {
        samples.computeIfAbsent(what, k -> new ArrayList<>()).add(value);
    }

    private static void report(int runs) {
        System.out.printf("%nKiln start-up figures, %d runs, %d CPUs, Java %s (median, min-max)%n", runs,
                Runtime.getRuntime().availableProcessors(), System.getProperty("java.version"));
        System.out.println("| what | median | min | max |");
        System.out.println("|---|---:|---:|---:|");
        samples.forEach((what, values) -> {
            var sorted = values.stream().sorted().toList();
            double median = sorted.size() % 2 == 1 ? sorted.get(sorted.size() / 2)
                    : (sorted.get(sorted.size() / 2 - 1) + sorted.get(sorted.size() / 2)) / 2;
            String format = what.endsWith("(s)") ? "%.2f" : "%.0f";
            System.out.printf(Locale.ROOT, "| %s | " + format + " | " + format + " | " + format + " |%n",
                    what, median, sorted.get(0), sorted.get(sorted.size() - 1));
        });
    }
}
