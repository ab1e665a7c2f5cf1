package dev.kiln.training.metrics;

import java.io.BufferedWriter;
import java.io.IOException;
import java.io.OutputStreamWriter;
import java.io.PrintStream;
import java.io.Writer;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Instant;
import java.util.Map;

import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.node.ObjectNode;

/**
 * The channel metrics go out on, one JSON object per line (format in training-runtime/README.md). Chosen by
 * {@code KILN_METRICS}: unset or {@code stdout}, {@code stderr}, {@code file:/path} or a plain path (appended), or
 * {@code tcp://host:port}. If a socket cannot be reached the lines go to stdout instead, with a warning, so nothing is
 * lost.
 */
public final class MetricsSink implements AutoCloseable {
    public static final String ENV = "KILN_METRICS";
    private static final JsonMapper JSON = JsonMapper.shared();

    private final Writer writer;
    private final boolean ownsWriter;
    private final String description;

    private MetricsSink(Writer writer, boolean ownsWriter, String description) {
        this.writer = writer;
        this.ownsWriter = ownsWriter;
        this.description = description;
    }

    public static MetricsSink open(String channel, PrintStream stdout) {
        if (channel == null || channel.isBlank() || channel.equals("stdout")) {
            return new MetricsSink(new OutputStreamWriter(stdout, StandardCharsets.UTF_8), false, "stdout");
        }
        if (channel.equals("stderr")) {
            return new MetricsSink(new OutputStreamWriter(System.err, StandardCharsets.UTF_8), false, "stderr");
        }
        if (channel.startsWith("tcp://")) {
            URI uri = URI.create(channel);
            try {
                Socket socket = new Socket(uri.getHost(), uri.getPort());
                return new MetricsSink(new BufferedWriter(new OutputStreamWriter(socket.getOutputStream(),
                        StandardCharsets.UTF_8)), true, channel);
            } catch (IOException e) {
                System.err.println("kiln: cannot reach metrics socket " + channel + " (" + e.getMessage()
                        + "); writing metrics to stdout instead");
                return new MetricsSink(new OutputStreamWriter(stdout, StandardCharsets.UTF_8), false, "stdout");
            }
        }
        Path file = Path.of(channel.startsWith("file:") ? channel.substring("file:".length()) : channel);
        try {
            if (file.getParent() != null) {
                Files.createDirectories(file.getParent());
            }
            return new MetricsSink(Files.newBufferedWriter(file, StandardCharsets.UTF_8, StandardOpenOption.CREATE,
                    StandardOpenOption.APPEND), true, file.toString());
        } catch (IOException e) {
            throw new IllegalArgumentException("Cannot open metrics file " + file + ": " + e.getMessage(), e);
        }
    }

    public String description() {
        return description;
    }

    public void metrics(int rank, int epoch, long step, String stage, Map<String, Double> values) {
        ObjectNode line = JSON.createObjectNode();
        line.put("type", "kiln.metrics");
        line.put("time", Instant.now().toString());
        line.put("rank", rank);
        line.put("epoch", epoch);
        line.put("step", step);
        line.put("stage", stage);
        ObjectNode metrics = line.putObject("metrics");
        values.forEach((name, value) -> {
            if (Double.isFinite(value)) {
                metrics.put(name, value);
            } else {
                metrics.put(name, String.valueOf(value));
            }
        });
        write(line);
    }

    public void event(int rank, String event, Map<String, Object> data) {
        ObjectNode line = JSON.createObjectNode();
        line.put("type", "kiln.event");
        line.put("time", Instant.now().toString());
        line.put("rank", rank);
        line.put("event", event);
        line.set("data", JSON.valueToTree(data));
        write(line);
    }

    private synchronized void write(ObjectNode line) {
        try {
            writer.write(JSON.writeValueAsString(line));
            writer.write('\n');
            writer.flush();
        } catch (IOException e) {
            System.err.println("kiln: writing metrics to " + description + " failed: " + e.getMessage());
        }
    }

    @Override
    public synchronized void close() {
        try {
            writer.flush();
            if (ownsWriter) {
                writer.close();
            }
        } catch (IOException ignored) {
            // nothing more to do
        }
    }
}
