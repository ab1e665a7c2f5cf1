package dev.kiln.server.job;

import dev.kiln.machine.protocol.FromMachine;
import dev.kiln.api.job.JobSummary;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

import java.io.IOException;
import java.io.OutputStream;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.function.UnaryOperator;

/**
 * A job's complete log as a file to download. Normally the server's copy ({@code <data>/jobs/<job>.log}). When that is
 * partial (output came faster than the machine could stream it) and the machine still has its own file, the machine's
 * copy, read through {@link MachineJobLogs}: every line masked like the live log (known secrets become {@code ***};
 * the machine's file is not masked), metric lines left out and trainer events written as the live log writes them.
 * If the machine cannot answer, the server's copy with a first line saying what is missing and where it is.
 */
final class JobLogDownload {
    private static final long FIRST_PART_SECONDS = 15;
    private static final long NEXT_PART_SECONDS = 30;

    private final JobSummary job;
    private final Path serverCopy;
    private final boolean partial;
    private final MachineJobLogs.Transfer fromMachine;
    private final UnaryOperator<String> mask;

    /** {@code fromMachine}: the machine's copy being sent, when the server's is partial and a machine was asked. */
    JobLogDownload(JobSummary job, Path serverCopy, boolean partial, MachineJobLogs.Transfer fromMachine,
                   UnaryOperator<String> mask) {
        this.job = job;
        this.serverCopy = serverCopy;
        this.partial = partial;
        this.fromMachine = fromMachine;
        this.mask = mask;
    }

    /** {@code job-3 SumRegression 3f9a2c.log}: the number and the name, in characters every file system takes. */
    String fileName() {
        return ("job-" + job.number() + " " + job.name()).replaceAll("[^\\p{L}\\p{N} ._-]", "_") + ".log";
    }

    void write(OutputStream out) throws IOException {
        Writer writer = new java.io.BufferedWriter(new java.io.OutputStreamWriter(out, StandardCharsets.UTF_8));
        String missing = null;
        if (fromMachine != null) {
            try (fromMachine) {
                missing = copyFromMachine(writer);
                if (missing == null) {
                    writer.flush();
                    return;
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                missing = "the download was interrupted";
            }
        } else if (partial) {
            missing = "the studio's machine is not running";
        }
        if (missing != null) {
            writer.write("kiln: this copy is partial: output came faster than the machine could stream it, and the "
                    + "complete file could not be read from the machine (" + missing + "). It stays in ~/jobs/"
                    + job.id() + "/output.log on the machine that ran the job.\n");
        }
        if (Files.exists(serverCopy)) {
            try (var lines = Files.newBufferedReader(serverCopy, StandardCharsets.UTF_8)) {
                lines.transferTo(writer);
            }
        }
        writer.flush();
    }

    /** Null once the machine's whole file is written; else why not (nothing written then, if the first part failed). */
    private String copyFromMachine(Writer writer) throws IOException, InterruptedException {
        var pending = new StringBuilder();
        FromMachine.JobLogPart part = fromMachine.next(FIRST_PART_SECONDS);
        if (part == null) {
            return "it did not answer";
        }
        if (part.error() != null) {
            return part.error();
        }
        writer.write("kiln: the complete output of job " + job.number() + ", read from the machine's ~/jobs/"
                + job.id() + "/output.log\n");
        while (true) {
            if (part.error() != null) {
                writer.write(pending.toString());
                writer.write("\nkiln: the rest could not be read from the machine: " + part.error() + "\n");
                return null;
            }
            pending.append(part.data() == null ? "" : part.data());
            int start = 0;
            int newline;
            while ((newline = pending.indexOf("\n", start)) >= 0) {
                int end = newline > start && pending.charAt(newline - 1) == '\r' ? newline - 1 : newline;
                line(writer, pending.substring(start, end));
                start = newline + 1;
            }
            pending.delete(0, start);
            if (part.last()) {
                if (!pending.isEmpty()) {
                    line(writer, pending.toString());
                }
                return null;
            }
            part = fromMachine.next(NEXT_PART_SECONDS);
            if (part == null) {
                writer.write("\nkiln: the machine stopped sending the log here; the rest is in ~/jobs/" + job.id()
                        + "/output.log on the machine\n");
                return null;
            }
        }
    }

    private void line(Writer writer, String line) throws IOException {
        if (line.startsWith("{\"type\":\"kiln.")) {
            try {
                JsonNode json = JsonMapper.shared().readTree(line);
                String type = json.path("type").asString();
                if ("kiln.metrics".equals(type)) {
                    return;
                }
                if ("kiln.event".equals(type)) {
                    line = JobOutput.eventLine(json);
                }
            } catch (RuntimeException notJson) {
                // kept as it is
            }
        }
        writer.write(mask.apply(line));
        writer.write('\n');
    }
}
