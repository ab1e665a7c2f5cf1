package dev.kiln.machine.agent;

import dev.kiln.machine.protocol.FromMachine;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;

/**
 * Downloads a file onto the machine from a URL the server presigned, or from a one-time export URL on the server
 * (so the machine never holds the data connection's credentials), into a {@code .part} file renamed when complete, reporting progress about four times a
 * second. A failed or interrupted download leaves no half file under the target name.
 */
final class Downloader {
    private final Outbox outbox;
    private final Path home;
    private final String serverUrl;
    private final HttpClient http = HttpClient.newBuilder().followRedirects(HttpClient.Redirect.NORMAL)
            .connectTimeout(Duration.ofSeconds(10)).build();

    Downloader(Outbox outbox, Path home, String serverUrl) {
        this.outbox = outbox;
        this.home = home;
        this.serverUrl = serverUrl.replaceAll("/$", "");
    }

    void start(String id, String url, String target, long size) {
        Thread.ofPlatform().name("kiln-download-" + id).daemon().start(() -> run(id, url, target, size));
    }

    private void run(String id, String url, String target, long size) {
        Path file = home.resolve(target).normalize();
        if (!file.startsWith(home) || file.equals(home)) {
            failed(id, "the target must be a file inside the machine's home");
            return;
        }
        Path part = file.resolveSibling(file.getFileName() + ".part");
        try {
            Files.createDirectories(file.getParent());
            // A path is on Kiln's own server (an export of a query); anything else is the store's presigned URL.
            URI source = URI.create(url.startsWith("/") ? serverUrl + url : url);
            HttpResponse<InputStream> response = http.send(HttpRequest.newBuilder(source).GET().build(),
                    HttpResponse.BodyHandlers.ofInputStream());
            if (response.statusCode() != 200) {
                response.body().close();
                failed(id, "the store answered HTTP " + response.statusCode());
                return;
            }
            long copied = 0;
            long lastReport = 0;
            byte[] buffer = new byte[256 * 1024];
            try (InputStream in = response.body(); OutputStream out = Files.newOutputStream(part)) {
                int n;
                while ((n = in.read(buffer)) > 0) {
                    out.write(buffer, 0, n);
                    copied += n;
                    if (System.nanoTime() - lastReport > 250_000_000L) {
                        lastReport = System.nanoTime();
                        outbox.offer(new FromMachine.DownloadProgress(id, copied, size));
                    }
                }
            }
            Files.move(part, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
            outbox.offer(new FromMachine.DownloadDone(id, copied, size));
        } catch (IOException | RuntimeException e) {
            failed(id, e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            failed(id, "interrupted");
        } finally {
            try {
                Files.deleteIfExists(part);
            } catch (IOException ignored) {
                // nothing more to do
            }
        }
    }

    private void failed(String id, String reason) {
        outbox.offer(new FromMachine.DownloadFailed(id, reason));
    }
}
