package dev.kiln.server;

import tools.jackson.databind.JsonNode;
import tools.jackson.databind.ObjectMapper;

import java.io.IOException;
import java.net.CookieManager;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.regex.Pattern;

/** A signed-in HTTP session against a running Kiln, the way a browser gets one: the login form, then cookies. */
public final class KilnHttp {

    public static final ObjectMapper JSON = new ObjectMapper();
    private static final Pattern CSRF = Pattern.compile("name=\"_csrf\" content=\"([^\"]+)\"");

    public final String base;
    public final HttpClient http;
    private final CookieManager cookies = new CookieManager();
    private String csrfHeader;
    private String csrfToken;

    private KilnHttp(String base) {
        this.base = base;
        this.http = HttpClient.newBuilder().cookieHandler(cookies).followRedirects(HttpClient.Redirect.NEVER).build();
    }

    public static KilnHttp signIn(String base, String user, String password) {
        var session = new KilnHttp(base);
        var page = session.get("/login").body();
        var matcher = CSRF.matcher(page);
        if (!matcher.find()) {
            throw new IllegalStateException("No CSRF token on the login page");
        }
        var form = "username=" + URLEncoder.encode(user, StandardCharsets.UTF_8) + "&password="
                + URLEncoder.encode(password, StandardCharsets.UTF_8) + "&_csrf=" + matcher.group(1);
        var response = session.send(HttpRequest.newBuilder(URI.create(base + "/login"))
                .header("Content-Type", "application/x-www-form-urlencoded").POST(HttpRequest.BodyPublishers.ofString(form)));
        if (response.statusCode() != 302 || response.headers().firstValue("Location").orElse("").contains("error")) {
            throw new IllegalStateException("Sign-in failed for " + user + ": " + response.statusCode() + " " + response.headers().map());
        }
        var csrf = JSON.readTree(session.get("/api/studios/csrf").body());
        session.csrfHeader = csrf.get("headerName").asString();
        session.csrfToken = csrf.get("token").asString();
        return session;
    }

    public HttpResponse<String> get(String path) {
        return send(HttpRequest.newBuilder(URI.create(base + path)).GET());
    }

    /** A POST whose answer the caller inspects, refusals included. */
    public HttpResponse<String> post(String path, String json) {
        return send(HttpRequest.newBuilder(URI.create(base + path)).header("Content-Type", "application/json")
                .header(csrfHeader, csrfToken).POST(HttpRequest.BodyPublishers.ofString(json)));
    }

    public HttpResponse<String> put(String path, String json) {
        return send(HttpRequest.newBuilder(URI.create(base + path)).header("Content-Type", "application/json")
                .header(csrfHeader, csrfToken).PUT(HttpRequest.BodyPublishers.ofString(json)));
    }

    public JsonNode postJson(String path, String json) {
        var response = send(HttpRequest.newBuilder(URI.create(base + path)).header("Content-Type", "application/json")
                .header(csrfHeader, csrfToken).POST(HttpRequest.BodyPublishers.ofString(json)));
        if (response.statusCode() >= 300) {
            throw new IllegalStateException("POST " + path + " gave " + response.statusCode() + ": " + response.body());
        }
        return JSON.readTree(response.body());
    }

    /** Starts (or switches) a studio's machine and waits until it is ready. */
    public void startMachine(String studioId, String machineType) {
        postJson("/api/studios/" + studioId + "/machine", "{\"machineType\":\"" + machineType + "\"}");
        long until = System.nanoTime() + java.time.Duration.ofSeconds(60).toNanos();
        while (!JSON.readTree(get("/api/studios/" + studioId + "/machine").body()).path("phase").asString()
                .equals("READY")) {
            if (System.nanoTime() > until) {
                throw new IllegalStateException("The machine of studio " + studioId + " was not ready within 60 s");
            }
            try {
                Thread.sleep(100);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException(e);
            }
        }
    }

    /** Starts a job of one node and one device and waits (up to 3 minutes) until it has ended; returns it. */
    public JsonNode runJob(String studioId, String entryPoint, String... args) {
        var body = JSON.createObjectNode().put("entryPoint", entryPoint).put("nodes", 1).put("devices", 1);
        var list = body.putArray("args");
        for (String arg : args) {
            list.add(arg);
        }
        return awaitJobEnded(studioId, postJson("/api/studios/" + studioId + "/jobs", body.toString()).path("id")
                .asString());
    }

    /** Waits (up to 3 minutes) until the job has SUCCEEDED, FAILED or been CANCELLED; returns it. */
    public JsonNode awaitJobEnded(String studioId, String jobId) {
        String path = "/api/studios/" + studioId + "/jobs/" + jobId;
        long until = System.nanoTime() + java.time.Duration.ofMinutes(3).toNanos();
        while (true) {
            JsonNode job = JSON.readTree(get(path).body());
            String status = job.path("status").asString();
            if (status.equals("SUCCEEDED") || status.equals("FAILED") || status.equals("CANCELLED")) {
                return job;
            }
            if (System.nanoTime() > until) {
                throw new IllegalStateException("job " + jobId + " still " + status + " after 3 minutes");
            }
            try {
                Thread.sleep(250);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException(e);
            }
        }
    }

    /** The job's log lines as one text ({@code query}: e.g. {@code rank=1}, or empty). */
    public String jobLog(String studioId, String jobId, String query) {
        JsonNode chunk = JSON.readTree(get("/api/studios/" + studioId + "/jobs/" + jobId + "/log?" + query).body());
        var text = new StringBuilder();
        chunk.path("lines").forEach(line -> text.append(line.asString()).append('\n'));
        return text.toString();
    }

    public int delete(String path) {
        return send(HttpRequest.newBuilder(URI.create(base + path)).header(csrfHeader, csrfToken).DELETE()).statusCode();
    }

    /** A PUT of raw bytes (an upload), with the session's CSRF token; the answer as text. */
    public HttpResponse<String> putBody(String path, HttpRequest.BodyPublisher body) {
        return send(HttpRequest.newBuilder(URI.create(base + path)).header("Content-Type", "application/octet-stream")
                .header(csrfHeader, csrfToken).PUT(body));
    }

    /** A GET whose body is written to {@code target} (a download), for files too large to hold. */
    public HttpResponse<java.nio.file.Path> download(String path, java.nio.file.Path target) {
        try {
            return http.send(HttpRequest.newBuilder(URI.create(base + path)).GET().build(),
                    HttpResponse.BodyHandlers.ofFile(target));
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    /** A DELETE whose answer the caller inspects. */
    public HttpResponse<String> deleteRequest(String path) {
        return send(HttpRequest.newBuilder(URI.create(base + path)).header(csrfHeader, csrfToken).DELETE());
    }

    /** The session cookie header, for the WebSocket handshake. */
    public String cookieHeader() {
        return cookies.getCookieStore().getCookies().stream().map(c -> c.getName() + "=" + c.getValue())
                .reduce((a, b) -> a + "; " + b).orElse("");
    }

    private HttpResponse<String> send(HttpRequest.Builder request) {
        try {
            return http.send(request.build(), HttpResponse.BodyHandlers.ofString());
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }
}
