package dev.kiln.benchmarks;

import com.microsoft.playwright.Browser;
import com.microsoft.playwright.BrowserType;
import com.microsoft.playwright.Page;
import com.microsoft.playwright.Playwright;
import com.microsoft.playwright.options.AriaRole;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.ObjectMapper;

import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Notebook figures on a real Kiln server (the packaged jar) with a local machine, in headless Chromium: the round
 * trip of a trivial cell ({@code 1+1}) from the click on its run button to the result shown in the browser, on Kiln's
 * Java kernel and on Debian's ipykernel, beside ipykernel driven directly by {@code jupyter_client} on the same
 * computer in the same run (no browser, no server, no sandbox: the floor); and output throughput, lines a second
 * reaching two browsers, beside the same loop in the kernel with nobody watching (the kernel printing alone).
 * Times are taken inside the page ({@code performance.now()} around the click, a MutationObserver for the output),
 * so Playwright's own round trips are not in them.
 *
 * Usage: NotebookRoundTrip &lt;kiln.jar&gt; [round trips per kernel] [lines]
 */
public final class NotebookRoundTrip {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String PASSWORD = "benchmark-password";

    /** Clicks the cell's run button and resolves with the ms until its count shows {@code [expected]} and "2". */
    private static final String TIMED_RUN = """
            ([id, expected]) => new Promise(resolve => {
              const cell = document.querySelector(`#notebook [data-cell="${id}"]`);
              const done = () => cell.querySelector('.nb-count').textContent == `[${expected}]`
                  && cell.querySelector('.nb-outputs').textContent.includes('2');
              const t0 = performance.now();
              const observer = new MutationObserver(() => {
                if (done()) { observer.disconnect(); resolve(performance.now() - t0); }
              });
              observer.observe(cell, { subtree: true, childList: true, characterData: true, attributes: true });
              cell.querySelector('.nb-run').click();
            })""";

    /**
     * Sets {@code window.kilnShown} to a promise of the wall-clock ms (Date.now()) when the cell's output holds
     * {@code last} (kept on the window: an evaluate that returned the promise would wait for it).
     */
    private static final String WHEN_SHOWN = """
            ([id, last]) => { window.kilnShown = new Promise(resolve => {
              const cell = document.querySelector(`#notebook [data-cell="${id}"]`);
              const check = () => cell.querySelector('.nb-outputs').textContent.includes(last);
              const observer = new MutationObserver(() => {
                if (check()) { observer.disconnect(); resolve(Date.now()); }
              });
              observer.observe(cell, { subtree: true, childList: true, characterData: true });
            }); }""";

    /** The floor: ipykernel through jupyter_client, execute "1+1" and wait for its result, N times. */
    private static final String JUPYTER_CLIENT = """
            import sys, time, statistics
            from jupyter_client.manager import start_new_kernel
            n = int(sys.argv[1])
            km, kc = start_new_kernel(kernel_name='python3')
            try:
                times = []
                for i in range(n + 3):
                    t0 = time.perf_counter()
                    msg_id = kc.execute('1+1')
                    while True:
                        msg = kc.get_iopub_msg(timeout=30)
                        if msg['parent_header'].get('msg_id') == msg_id and msg['msg_type'] == 'execute_result':
                            break
                    if i >= 3:
                        times.append((time.perf_counter() - t0) * 1000)
                print(' '.join('%.3f' % t for t in times))
            finally:
                kc.stop_channels()
                km.shutdown_kernel(now=True)
            """;

    public static void main(String[] args) throws Exception {
        var jar = Path.of(args.length > 0 ? args[0] : "studio-server/target/kiln.jar").toAbsolutePath();
        int trips = args.length > 1 ? Integer.parseInt(args[1]) : 50;
        int lines = args.length > 2 ? Integer.parseInt(args[2]) : 20_000;
        if (!Files.isRegularFile(jar)) {
            throw new IllegalArgumentException("No " + jar + ": build it first (./kiln -q -DskipTests package)");
        }
        var rows = new ArrayList<String>();
        try (var kiln = KilnProcess.start(jar, Files.createTempDirectory("kiln-notebook-bench-"), PASSWORD);
             var playwright = Playwright.create(new Playwright.CreateOptions().setEnv(Map.of("PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD", "1")));
             var browser = playwright.chromium().launch(new BrowserType.LaunchOptions()
                     .setExecutablePath(Path.of(System.getenv().getOrDefault("KILN_CHROMIUM", "/usr/bin/chromium")))
                     .setArgs(List.of("--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-dev-shm-usage")))) {
            var session = kiln.signIn("admin", PASSWORD);
            String studioId = JSON.readTree(send(kiln, session, "POST", "/api/studios", "{\"name\":\"Notebook bench\"}"))
                    .get("id").asString();
            for (String path : List.of("java.ipynb", "python.ipynb")) {
                send(kiln, session, "PUT", "/api/studios/" + studioId + "/file?path=" + path, "{\"text\":\"\",\"baseVersion\":\"\"}");
            }
            send(kiln, session, "POST", "/api/studios/" + studioId + "/machine", "{\"machineType\":\"local-2\"}");
            awaitReady(kiln, session, studioId);

            try (var first = browser.newContext(); var second = browser.newContext()) {
                var page = open(first.newPage(), kiln, studioId, "java.ipynb");
                String trivial = addCell(page, "1+1");
                rows.add(row("Java kernel (JShell): click to \"2\" in the browser", roundTrips(page, trivial, trips)));

                // Throughput: one cell prints `lines` lines; both browsers watch.
                var watcher = open(second.newPage(), kiln, studioId, "java.ipynb");
                String printer = addCell(page, "long t0 = System.nanoTime();\n"
                        + "for (int i = 0; i < " + lines + "; i++) System.out.println(\"line \" + i);\n"
                        + "System.err.println(\"alone \" + (System.nanoTime() - t0) / 1e6);");
                watcher.locator("#notebook [data-cell=\"" + printer + "\"]").waitFor();
                String last = "line " + (lines - 1);
                page.evaluate(WHEN_SHOWN, List.of(printer, last));
                watcher.evaluate(WHEN_SHOWN, List.of(printer, last));
                long clicked = ((Number) page.evaluate("id => { const t = Date.now(); document.querySelector("
                        + "`#notebook [data-cell=\"${id}\"] .nb-run`).click(); return t; }", printer)).longValue();
                long firstAt = ((Number) page.evaluate("() => window.kilnShown")).longValue();
                long secondAt = ((Number) watcher.evaluate("() => window.kilnShown")).longValue();
                page.locator("#notebook [data-cell=\"" + printer + "\"] .nb-stderr").waitFor();
                String alone = page.locator("#notebook [data-cell=\"" + printer + "\"] .nb-stderr").innerText()
                        .replaceAll("(?s).*alone ([0-9.]+).*", "$1");
                double aloneMs = Double.parseDouble(alone);
                long slowest = Math.max(firstAt, secondAt);
                rows.add(String.format(Locale.ROOT, "| Java kernel alone: the cell's own loop printing %,d lines (System.nanoTime() around it) | %,.0f lines/s | |",
                        lines, lines / (aloneMs / 1000)));
                rows.add(String.format(Locale.ROOT, "| Java kernel: the same %,d lines reaching both browsers (click to the last line in the slower) | %,.0f lines/s | first browser %,d ms, second %,d ms |",
                        lines, lines / ((slowest - clicked) / 1000.0), firstAt - clicked, secondAt - clicked));

                var python = open(page, kiln, studioId, "python.ipynb");
                python.locator("#nb-kernel-picker").selectOption("python3");
                python.locator("#nb-kernel-state[data-state=idle]").waitFor(new com.microsoft.playwright.Locator.WaitForOptions()
                        .setTimeout(180_000));
                String pyCell = addCell(python, "1+1");
                rows.add(row("ipykernel through Kiln: click to \"2\" in the browser", roundTrips(python, pyCell, trips)));
            }
        }
        var floor = new ProcessBuilder("/usr/bin/python3", "-c", JUPYTER_CLIENT, String.valueOf(trips)).redirectErrorStream(false).start();
        String out = new String(floor.getInputStream().readAllBytes()).strip();
        if (floor.waitFor() == 0 && !out.isEmpty()) {
            var times = new ArrayList<Double>();
            for (String t : out.split(" ")) {
                times.add(Double.parseDouble(t));
            }
            rows.add(row("floor: ipykernel driven by jupyter_client directly (execute to execute_result)", times));
        } else {
            rows.add("| floor: jupyter_client | not measured: " + new String(floor.getErrorStream().readAllBytes()).strip() + " | |");
        }
        System.out.printf("%nNotebook figures, %d round trips a kernel, %d CPUs, Java %s%n", trips,
                Runtime.getRuntime().availableProcessors(), System.getProperty("java.version"));
        System.out.println("| what | p50 | p99 (max) |");
        System.out.println("|---|---:|---:|");
        rows.forEach(System.out::println);
    }

    private static List<Double> roundTrips(Page page, String cell, int trips) {
        var times = new ArrayList<Double>();
        int warmUp = 3;
        int count = ((Number) page.evaluate("id => { const t = document.querySelector(`#notebook [data-cell=\"${id}\"] "
                + ".nb-count`).textContent.replace(/[^0-9]/g, ''); return t ? Number(t) : 0; }", cell)).intValue();
        for (int i = 0; i < warmUp + trips; i++) {
            count = nextCount(page, count);
            double ms = ((Number) page.evaluate(TIMED_RUN, List.of(cell, count))).doubleValue();
            if (i >= warmUp) {
                times.add(ms);
            }
        }
        return times;
    }

    /** The execution count the next run gets: one more than the kernel's last, whichever cell that was. */
    private static int nextCount(Page page, int previous) {
        Object max = page.evaluate("() => Math.max(0, ...[...document.querySelectorAll('#notebook .nb-count')]"
                + ".map(e => Number(e.textContent.replace(/[^0-9]/g, '')) || 0))");
        return Math.max(previous, ((Number) max).intValue()) + 1;
    }

    private static Page open(Page page, KilnProcess kiln, String studioId, String path) {
        if (!page.url().startsWith(kiln.base() + "/studio/")) {
            page.navigate(kiln.base() + "/login");
            page.getByLabel("Username").fill("admin");
            page.getByLabel("Password", new Page.GetByLabelOptions().setExact(true)).fill(PASSWORD);
            page.getByRole(AriaRole.BUTTON, new Page.GetByRoleOptions().setName("Log in")).click();
            page.getByText("My studios").waitFor();
        }
        page.navigate(kiln.base() + "/studio/" + studioId);
        page.locator("[data-path='" + path + "']").click();
        page.locator("#nb-connection:has-text('Connected')").waitFor();
        return page;
    }

    /** Adds a code cell with this source, runs it once (the kernel starts), and returns its id. */
    private static String addCell(Page page, String source) {
        int before = page.locator("#notebook .nb-cell").count();
        page.locator("#nb-add-code").click();
        var cell = page.locator("#notebook .nb-cell").nth(before);
        cell.waitFor();
        String id = cell.getAttribute("data-cell");
        page.keyboard().type(source);
        page.waitForFunction("([id, text]) => document.querySelector('#notebook').cellText(id) == text",
                List.of(id, source));
        if (source.equals("1+1")) {
            cell.locator(".nb-run").click();
            page.locator("#notebook [data-cell=\"" + id + "\"][data-state=done]").waitFor(
                    new com.microsoft.playwright.Locator.WaitForOptions().setTimeout(180_000));
        }
        return id;
    }

    private static String row(String what, List<Double> samples) {
        var sorted = new ArrayList<>(samples);
        Collections.sort(sorted);
        double p50 = sorted.get(sorted.size() / 2);
        double p99 = sorted.get((int) Math.min(sorted.size() - 1, Math.round(sorted.size() * 0.99)));
        return String.format(Locale.ROOT, "| %s (ms, %d runs) | %.1f | %.1f (%.1f) |", what, sorted.size(), p50, p99,
                sorted.getLast());
    }

    private static void awaitReady(KilnProcess kiln, KilnProcess.Session session, String studioId) throws Exception {
        long deadline = System.nanoTime() + 120_000_000_000L;
        while (System.nanoTime() < deadline) {
            JsonNode status = JSON.readTree(send(kiln, session, "GET", "/api/studios/" + studioId + "/machine", null));
            if (status.path("phase").asString().equals("READY")) {
                return;
            }
            Thread.sleep(50);
        }
        throw new IllegalStateException("the machine never became ready");
    }

    private static String send(KilnProcess kiln, KilnProcess.Session session, String method, String path, String json)
            throws Exception {
        var request = HttpRequest.newBuilder(URI.create(kiln.base() + path)).header(session.csrfHeader(), session.csrfToken())
                .header("Content-Type", "application/json")
                .method(method, json == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(json));
        var response = session.http().send(request.build(), HttpResponse.BodyHandlers.ofString());
        if (response.statusCode() >= 300) {
            throw new IllegalStateException(method + " " + path + ": " + response.statusCode() + " " + response.body());
        }
        return response.body();
    }
}
