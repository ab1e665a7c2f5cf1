package dev.kiln.benchmarks;

import dev.kiln.collab.ChangeSet;
import dev.kiln.collab.DocumentAuthority;
import dev.kiln.collab.EditingTrace;
import dev.kiln.collab.FileDocumentStore;
import dev.kiln.collab.Update;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * The automerge-paper trace (259,778 edits) through Kiln's document authority with durability on (each push
 * appended to the log and fsync'd before it is acknowledged), beside a plain StringBuilder replay in the same run.
 * A client pushes whatever it typed while its previous push was in flight, so the table shows several batch
 * sizes: 1 is a push (and an fsync) per keystroke.
 * Usage: CollabTrace [runs] [path to automerge-paper.json.gz]
 */
public final class CollabTrace {

    public static void main(String[] args) throws Exception {
        int runs = args.length > 0 ? Integer.parseInt(args[0]) : 3;
        var file = args.length > 1 ? Path.of(args[1])
                : EditingTrace.locate("automerge-paper.json.gz").orElseThrow(() -> new IllegalArgumentException("trace not found"));
        var trace = EditingTrace.read(file);
        int edits = trace.patches().size();
        System.out.printf(Locale.ROOT, "automerge-paper: %,d edits, final length %,d; %d runs, median%n%n", edits, trace.endContent().length(), runs);
        System.out.println("| replay | total (ms) | edits/s | vs StringBuilder |");
        System.out.println("|---|---:|---:|---:|");

        double floor = median(runs, () -> {
            var text = trace.replayWithStringBuilder();
            check(text, trace);
        });
        row("StringBuilder (floor)", floor, edits, floor);
        for (int batch : new int[]{1, 16, 256, 4096}) {
            double ms = median(runs, () -> replay(trace, batch, true));
            row("authority, fsync on, " + batch + " edit(s) per push", ms, edits, floor);
        }
        double noSync = median(runs, () -> replay(trace, 1, false));
        row("authority, fsync off, 1 edit per push (the cost of fsync)", noSync, edits, floor);
        System.out.println();
        System.out.println("Published for this trace (whole trace applied locally): Yjs about 970 ms, Automerge 1.0 about 291,000 ms.");
    }

    private static void replay(EditingTrace trace, int batchSize, boolean fsync) {
        Path dir;
        try {
            dir = Files.createTempDirectory("kiln-trace-bench-");
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
        var authority = DocumentAuthority.open(new FileDocumentStore(dir, fsync, 20_000), DocumentAuthority.Limits.DEFAULT,
                Clock.systemUTC(), trace.startContent(), null);
        var batch = new ArrayList<Update>(batchSize);
        int length = trace.startContent().length();
        for (var patch : trace.patches()) {
            var change = ChangeSet.replace(length, patch.pos(), patch.pos() + patch.delete(), patch.insert());
            length = change.newLength();
            batch.add(new Update(change, "typist"));
            if (batch.size() == batchSize) {
                push(authority, batch);
            }
        }
        push(authority, batch);
        check(authority.text(), trace);
        authority.close();
        deleteQuietly(dir);
    }

    private static void push(DocumentAuthority authority, List<Update> batch) {
        if (batch.isEmpty()) {
            return;
        }
        if (!(authority.push(authority.version(), List.copyOf(batch)) instanceof DocumentAuthority.PushResult.Accepted)) {
            throw new IllegalStateException("push refused");
        }
        batch.clear();
    }

    private static void check(String text, EditingTrace trace) {
        if (!text.equals(trace.endContent())) {
            throw new IllegalStateException("replay did not reach the trace's end content");
        }
    }

    private static double median(int runs, Runnable work) {
        work.run(); // warm-up
        var times = new ArrayList<Double>();
        for (int i = 0; i < runs; i++) {
            long t = System.nanoTime();
            work.run();
            times.add((System.nanoTime() - t) / 1e6);
        }
        times.sort(Double::compare);
        return times.get(times.size() / 2);
    }

    private static void row(String what, double ms, int edits, double floor) {
        System.out.printf(Locale.ROOT, "| %s | %,.0f | %,.0f | %.1fx |%n", what, ms, edits / (ms / 1000), ms / floor);
    }

    private static void deleteQuietly(Path dir) {
        try (var files = Files.walk(dir)) {
            for (var p : files.sorted(java.util.Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        } catch (java.io.IOException ignored) {
            // temp files
        }
    }
}
