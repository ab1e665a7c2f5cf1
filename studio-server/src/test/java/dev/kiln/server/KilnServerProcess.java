package dev.kiln.server;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * The packaged server ({@code target/kiln.jar}, built by {@code mvn verify} before the ITs) as its own process on a
 * data directory, the way a person runs it: started, stopped gracefully, or killed with SIGKILL. Processes the server
 * started (machine agents) are remembered and ended when this is closed, since a killed server leaves them behind.
 */
public final class KilnServerProcess implements AutoCloseable {

    public static final String PASSWORD = "process-test-password";

    private final Path dataDir;
    private final int port;
    private final Map<String, String> environment;
    private final List<ProcessHandle> leftovers = new ArrayList<>();
    private final Deque<String> lastLines = new ArrayDeque<>();
    private Process server;

    public KilnServerProcess(Path dataDir, Map<String, String> environment) {
        this(dataDir, port -> environment);
    }

    /** {@code environment}: the server's variables, given its port (for settings that name the server's own URL). */
    public KilnServerProcess(Path dataDir, java.util.function.IntFunction<Map<String, String>> environment) {
        this.dataDir = dataDir;
        this.port = freePort();
        this.environment = Map.copyOf(environment.apply(port));
    }

    public static Path freshDataDir(String prefix) {
        try {
            return Files.createTempDirectory(prefix);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public String base() {
        return "http://localhost:" + port;
    }

    public Path dataDir() {
        return dataDir;
    }

    /** Starts the server and waits until it says it is ready. */
    public KilnServerProcess start() {
        var jar = Path.of("target", "kiln.jar");
        if (!Files.exists(jar)) {
            throw new IllegalStateException("No " + jar.toAbsolutePath() + ": run the ITs through mvn verify, which packages it");
        }
        var java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        var builder = new ProcessBuilder(java, "-XX:TieredStopAtLevel=1", "-jar", jar.toString(), "--server.port=" + port)
                .redirectErrorStream(true);
        builder.environment().put("KILN_DATA_DIR", dataDir.toString());
        builder.environment().put("KILN_ADMIN_PASSWORD", PASSWORD);
        builder.environment().putAll(environment);
        try {
            server = builder.start();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        var ready = new CountDownLatch(1);
        var process = server;
        var reader = new Thread(() -> {
            try (var lines = new BufferedReader(new InputStreamReader(process.getInputStream()))) {
                String line;
                while ((line = lines.readLine()) != null) {
                    remember(line);
                    if (line.contains("Kiln is ready at")) {
                        ready.countDown();
                    }
                }
            } catch (IOException ignored) {
                // the process was killed
            }
        }, "kiln-server-log");
        reader.setDaemon(true);
        reader.start();
        try {
            if (!ready.await(300, TimeUnit.SECONDS)) {
                throw new IllegalStateException("Kiln did not start within 300 s; its last lines:\n" + lastLines());
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
        return this;
    }

    /** SIGKILL: no shutdown hooks, no flushing; what the server had not made durable is gone. */
    public void kill() {
        server.descendants().forEach(leftovers::add);
        server.destroyForcibly();
        waitForExit();
    }

    /** SIGTERM: Spring's graceful shutdown runs. */
    public void stop() {
        server.descendants().forEach(leftovers::add);
        server.destroy();
        waitForExit();
    }

    public boolean running() {
        return server != null && server.isAlive();
    }

    private void waitForExit() {
        try {
            if (!server.waitFor(60, TimeUnit.SECONDS)) {
                server.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private synchronized void remember(String line) {
        lastLines.addLast(line);
        if (lastLines.size() > 200) {
            lastLines.removeFirst();
        }
    }

    /** The server's last 200 lines of output, for a failure message. */
    public synchronized String lastLines() {
        return String.join("\n", lastLines);
    }

    @Override
    public void close() {
        if (running()) {
            kill();
        }
        leftovers.forEach(ProcessHandle::destroyForcibly);
    }

    private static int freePort() {
        try (var socket = new ServerSocket(0)) {
            return socket.getLocalPort();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
