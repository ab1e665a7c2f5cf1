package dev.kiln.benchmarks;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.CookieManager;
import java.net.ServerSocket;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;

/** A Kiln server started from its jar for a benchmark, and a signed-in HTTP session against it. */
final class KilnProcess implements AutoCloseable {

    final int port;
    final Process process;
    final long readyAtNanos;

    private KilnProcess(int port, Process process, long readyAtNanos) {
        this.port = port;
        this.process = process;
        this.readyAtNanos = readyAtNanos;
    }

    static KilnProcess start(Path jar, Path dataDir, String adminPassword) throws Exception {
        return start(jar, dataDir, adminPassword, List.of());
    }

    /** {@code jvmOptions}: e.g. {@code -XX:AOTCache=...} for the way {@code ./kiln start} runs Kiln. */
    static KilnProcess start(Path jar, Path dataDir, String adminPassword, List<String> jvmOptions) throws Exception {
        int port = freePort();
        var java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        var command = new java.util.ArrayList<String>();
        command.add(java);
        command.addAll(jvmOptions);
        command.addAll(List.of("-jar", jar.toString(), "--server.port=" + port));
        var builder = new ProcessBuilder(command).redirectErrorStream(true);
        builder.environment().put("KILN_DATA_DIR", dataDir.toString());
        builder.environment().put("KILN_ADMIN_PASSWORD", adminPassword);
        var process = builder.start();
        var ready = new CompletableFuture<Long>();
        var reader = new Thread(() -> {
            // The server's output is kept beside its data (server.log), to see why something failed.
            try (var lines = new BufferedReader(new InputStreamReader(process.getInputStream()));
                 var log = Files.newBufferedWriter(dataDir.resolve("server.log"))) {
                String line;
                while ((line = lines.readLine()) != null) {
                    log.write(line);
                    log.newLine();
                    log.flush();
                    if (line.contains("Kiln is ready at")) {
                        ready.complete(System.nanoTime());
                    }
                }
            } catch (IOException ignored) {
                // process ended
            }
            ready.completeExceptionally(new IllegalStateException("Kiln exited before it was ready"));
        });
        reader.setDaemon(true);
        reader.start();
        return new KilnProcess(port, process, ready.get(120, TimeUnit.SECONDS));
    }

    String base() {
        return "http://localhost:" + port;
    }

    /** Signs in through the login form and returns the session cookie and CSRF header for API writes. */
    Session signIn(String user, String password) throws Exception {
        var cookies = new CookieManager();
        var http = HttpClient.newBuilder().cookieHandler(cookies).build();
        var page = http.send(HttpRequest.newBuilder(URI.create(base() + "/login")).build(), HttpResponse.BodyHandlers.ofString()).body();
        var csrf = Pattern.compile("name=\"_csrf\" content=\"([^\"]+)\"").matcher(page);
        if (!csrf.find()) {
            throw new IllegalStateException("no CSRF token on the login page");
        }
        var form = "username=" + URLEncoder.encode(user, StandardCharsets.UTF_8) + "&password=" + URLEncoder.encode(password, StandardCharsets.UTF_8)
                + "&_csrf=" + csrf.group(1);
        http.send(HttpRequest.newBuilder(URI.create(base() + "/login")).header("Content-Type", "application/x-www-form-urlencoded")
                .POST(HttpRequest.BodyPublishers.ofString(form)).build(), HttpResponse.BodyHandlers.discarding());
        var token = http.send(HttpRequest.newBuilder(URI.create(base() + "/api/studios/csrf")).build(), HttpResponse.BodyHandlers.ofString()).body();
        var header = token.replaceAll(".*\"headerName\":\"([^\"]+)\".*", "$1");
        var value = token.replaceAll(".*\"token\":\"([^\"]+)\".*", "$1");
        var cookie = cookies.getCookieStore().getCookies().stream().map(c -> c.getName() + "=" + c.getValue()).reduce((a, b) -> a + "; " + b).orElse("");
        return new Session(http, cookie, header, value);
    }

    record Session(HttpClient http, String cookie, String csrfHeader, String csrfToken) {
    }

    static int freePort() throws IOException {
        try (var socket = new ServerSocket(0)) {
            return socket.getLocalPort();
        }
    }

    @Override
    public void close() throws InterruptedException {
        process.destroy();
        if (!process.waitFor(30, TimeUnit.SECONDS)) {
            process.destroyForcibly();
        }
    }
}
