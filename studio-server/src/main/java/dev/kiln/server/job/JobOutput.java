package dev.kiln.server.job;

import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

import java.io.BufferedWriter;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A job's output as it streams in: split into lines (chunks break lines anywhere), metric lines ({@code kiln.metrics}
 * JSON from the training runtime) taken out into series, every other line appended to the job's log file and kept in
 * memory for the live view. Each line remembers its rank ({@code [rank N]} prefixes from kiln-train launch). Every line
 * passes through {@code mask} (the studio's known secrets become {@code ***}) before it is kept or written, so no log
 * reader ever sees them; lines are whole by then, so a secret split across chunks is masked too. Kiln's own notes are
 * one line each whatever they quote: line breaks and control characters in them are escaped, so a job argument
 * cannot forge a line of the log.
 */
final class JobOutput {
    private static final JsonMapper JSON = JsonMapper.shared();
    private static final Pattern RANK = Pattern.compile("^\\[rank (\\d+)] ");
    /** Lines kept in memory for the live view; the file keeps everything. */
    static final int MEMORY_LINES = 50_000;

    private final Path file;
    private final StringBuilder partial = new StringBuilder();
    private final List<String> lines = new ArrayList<>();
    private final List<Integer> ranks = new ArrayList<>();
    private int dropped;
    private int rankCount = 1;
    private final Map<String, List<double[]>> series = new LinkedHashMap<>();
    private final Map<Integer, Map<String, List<double[]>>> otherRanks = new java.util.TreeMap<>();
    private final Consumer<JsonNode> onMetrics;
    private final java.util.function.UnaryOperator<String> mask;
    private BufferedWriter writer;

    JobOutput(Path file, Consumer<JsonNode> onMetrics) {
        this(file, onMetrics, java.util.function.UnaryOperator.identity());
    }

    JobOutput(Path file, Consumer<JsonNode> onMetrics, java.util.function.UnaryOperator<String> mask) {
        this.file = file;
        this.onMetrics = onMetrics;
        this.mask = mask;
    }

    synchronized void append(String chunk) {
        partial.append(chunk);
        int start = 0;
        int newline;
        while ((newline = partial.indexOf("\n", start)) >= 0) {
            int end = newline > start && partial.charAt(newline - 1) == '\r' ? newline - 1 : newline;
            line(partial.substring(start, end));
            start = newline + 1;
        }
        partial.delete(0, start);
        flush();
    }

    private void flush() {
        try {
            if (writer != null) {
                writer.flush();
            }
        } catch (IOException e) {
            throw new UncheckedIOException("Cannot write the job log " + file, e);
        }
    }

    /** A line that does not come from the job's processes (Kiln's own notes, prefixed with "kiln:"). */
    synchronized void note(String text) {
        line("kiln: " + dev.kiln.server.config.LogText.oneLine(text, 2_000));
        flush();
    }

    synchronized void close() {
        if (!partial.isEmpty()) {
            line(partial.toString());
            partial.setLength(0);
        }
        try {
            if (writer != null) {
                writer.close();
                writer = null;
            }
        } catch (IOException ignored) {
            // the log was written as far as it could be
        }
        // The charts' points, beside the log: once the job has ended this output is dropped from memory.
        saveSeries();
    }

    /**
     * Writes the charts' points beside the log (at the end, and when the server stops while the job runs, so a
     * server that restarts and finds the job again goes on from them).
     */
    synchronized void saveSeries() {
        try {
            Files.createDirectories(file.getParent());
            JSON.writeValue(seriesFile(file).toFile(), series);
        } catch (IOException | RuntimeException e) {
            // the log holds what matters; the chart of a finished job stays empty
        }
    }

    /**
     * A job found again after a restart: what its log file holds comes back into memory (its last
     * {@link #MEMORY_LINES} lines) and so do the points saved when the server stopped, so the live view and the
     * charts go on from where they were; new lines go on being appended to the same file.
     */
    synchronized void reload() {
        if (Files.exists(file)) {
            try (var reader = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
                String line;
                while ((line = reader.readLine()) != null) {
                    Matcher matcher = RANK.matcher(line);
                    int rank = matcher.find() ? Integer.parseInt(matcher.group(1)) : -1;
                    rankCount = Math.max(rankCount, rank + 1);
                    keep(line, rank);
                }
            } catch (IOException | UncheckedIOException e) {
                // what cannot be read stays in the file; the view starts from the new lines
            }
        }
        readSeries(file, Long.MIN_VALUE).forEach((name, points) -> series.computeIfAbsent(name,
                k -> new ArrayList<>()).addAll(0, points));
    }

    static Path seriesFile(Path logFile) {
        return logFile.resolveSibling(logFile.getFileName().toString().replaceFirst("\\.log$", "") + ".metrics.json");
    }

    /** For a finished job whose output is no longer in memory: its metric series from the file {@link #close} wrote. */
    @SuppressWarnings("unchecked")
    static Map<String, List<double[]>> readSeries(Path logFile, long afterStep) {
        var file = seriesFile(logFile);
        var result = new LinkedHashMap<String, List<double[]>>();
        if (!Files.exists(file)) {
            return result;
        }
        JsonNode root = JSON.readTree(file.toFile());
        root.properties().forEach(e -> {
            var points = new ArrayList<double[]>();
            for (var point : e.getValue()) {
                if (point.get(0).asDouble() > afterStep) {
                    points.add(new double[] {point.get(0).asDouble(), point.get(1).asDouble(), point.get(2).asDouble()});
                }
            }
            result.put(e.getKey(), points);
        });
        return result;
    }

    private void line(String line) {
        if (line.startsWith("{\"type\":\"kiln.")) {
            try {
                JsonNode json = JSON.readTree(line);
                if ("kiln.metrics".equals(json.path("type").asString())) {
                    metrics(json);
                    return;
                }
                if ("kiln.event".equals(json.path("type").asString())) {
                    line = eventLine(json);
                }
            } catch (RuntimeException e) {
                // not JSON after all: keep it as a log line
            }
        }
        line = mask.apply(line);
        int rank = -1;
        Matcher matcher = RANK.matcher(line);
        if (matcher.find()) {
            rank = Integer.parseInt(matcher.group(1));
            rankCount = Math.max(rankCount, rank + 1);
        }
        write(line);
        keep(line, rank);
    }

    private void keep(String line, int rank) {
        lines.add(line);
        ranks.add(rank);
        if (lines.size() > MEMORY_LINES) {
            int cut = MEMORY_LINES / 10;
            lines.subList(0, cut).clear();
            ranks.subList(0, cut).clear();
            dropped += cut;
        }
    }

    /**
     * A trainer event (a checkpoint saved, early stopping) as a log line of its rank, its data as
     * {@code key=value}: {@code [rank 0] checkpoint path=checkpoints/epoch=0-step=64 step=64}.
     */
    static String eventLine(JsonNode json) {
        JsonNode data = json.path("data");
        var line = new StringBuilder("[rank ").append(json.path("rank").asInt()).append("] ")
                .append(json.path("event").asString());
        if (data.isObject()) {
            data.properties().forEach(e -> line.append(' ').append(e.getKey()).append('=')
                    .append(e.getValue().isString() ? e.getValue().asString() : e.getValue().toString()));
        } else if (!data.isMissingNode()) {
            line.append(' ').append(data);
        }
        return line.toString();
    }

    private void metrics(JsonNode json) {
        onMetrics.accept(json);
        int rank = json.path("rank").asInt();
        // Rank 0's values are the job's (reduced across ranks); other ranks report what they log per rank.
        var into = rank == 0 ? series : otherRanks.computeIfAbsent(rank, r -> new LinkedHashMap<>());
        long step = json.path("step").asLong();
        double loggedAt = loggedAt(json.path("time").asString(null));
        json.path("metrics").properties().forEach(e -> {
            if (e.getValue().isNumber()) {
                into.computeIfAbsent(e.getKey(), k -> new ArrayList<>()).add(new double[] {step,
                        e.getValue().asDouble(), loggedAt});
            }
        });
    }

    /** When the trainer logged a metric (epoch milliseconds), kept with each point for latency measurements. */
    private static double loggedAt(String time) {
        try {
            return time == null ? 0 : java.time.Instant.parse(time).toEpochMilli();
        } catch (RuntimeException e) {
            return 0;
        }
    }

    private void write(String line) {
        try {
            if (writer == null) {
                Files.createDirectories(file.getParent());
                writer = Files.newBufferedWriter(file, StandardCharsets.UTF_8, StandardOpenOption.CREATE,
                        StandardOpenOption.APPEND);
            }
            writer.write(line);
            writer.write('\n');
        } catch (IOException e) {
            throw new UncheckedIOException("Cannot write the job log " + file, e);
        }
    }

    /** Lines from absolute index {@code from}, of one rank (and lines without a rank) or all; and where to go on. */
    synchronized Slice lines(Integer rank, int from, int max) {
        var result = new ArrayList<String>();
        int i = Math.max(from - dropped, 0);
        for (; i < lines.size() && result.size() < max; i++) {
            if (rank == null || ranks.get(i) == rank.intValue() || ranks.get(i) == -1) {
                result.add(lines.get(i));
            }
        }
        return new Slice(result, dropped + i);
    }

    record Slice(List<String> lines, int next) {}

    synchronized int lineCount() {
        return dropped + lines.size();
    }

    synchronized int ranks() {
        return rankCount;
    }

    synchronized Map<String, List<double[]>> series(long afterStep) {
        var result = new LinkedHashMap<String, List<double[]>>();
        series.forEach((name, points) -> result.put(name, points.stream().filter(p -> p[0] > afterStep).toList()));
        return result;
    }

    /** The series of ranks other than 0 (values modules log per rank), by rank. */
    synchronized Map<Integer, Map<String, List<double[]>>> otherRanks(long afterStep) {
        var result = new java.util.TreeMap<Integer, Map<String, List<double[]>>>();
        otherRanks.forEach((rank, named) -> {
            var copy = new LinkedHashMap<String, List<double[]>>();
            named.forEach((name, points) -> copy.put(name, points.stream().filter(p -> p[0] > afterStep).toList()));
            result.put(rank, copy);
        });
        return result;
    }

    /**
     * For a job whose output is no longer in memory: up to {@code max} lines of its log file from line {@code from},
     * of one rank (and lines without a rank) or all, read without loading the whole file; the ranks seen so far.
     */
    static dev.kiln.api.job.StudioJobs.LogChunk readFile(Path file, Integer rank, int from, int max) {
        var chosen = new ArrayList<String>();
        int index = 0;
        int ranks = 1;
        if (Files.exists(file)) {
            try (var reader = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
                String line;
                while (chosen.size() < max && (line = reader.readLine()) != null) {
                    if (index++ < from) {
                        continue;
                    }
                    Matcher matcher = RANK.matcher(line);
                    int lineRank = matcher.find() ? Integer.parseInt(matcher.group(1)) : -1;
                    ranks = Math.max(ranks, lineRank + 1);
                    if (rank == null || lineRank == -1 || lineRank == rank) {
                        chosen.add(line);
                    }
                }
            } catch (IOException e) {
                throw new UncheckedIOException("Cannot read the job log " + file, e);
            }
        }
        return new dev.kiln.api.job.StudioJobs.LogChunk(chosen, Math.max(index, from), ranks);
    }
}
