package dev.kiln.server.job;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.JsonNode;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

class JobOutputTest {
    @TempDir
    Path dir;

    @Test
    void splitsChunksIntoLinesTakesMetricsOutAndKeepsEachLinesRank() throws Exception {
        var metricLines = new ArrayList<JsonNode>();
        var output = new JobOutput(dir.resolve("job.log"), metricLines::add);
        output.append("kiln-train launch: started rank 0 (pid 1)\n[rank 0] epo");
        output.append("ch 1\n[rank 1] epoch 1\r\n{\"type\":\"kiln.metrics\",\"rank\":0,\"step\":10,\"metrics\":{\"loss\":0.5,");
        output.append("\"lr\":0.01}}\n{\"type\":\"kiln.metrics\",\"rank\":1,\"step\":10,\"metrics\":{\"loss\":0.7}}\n");
        output.append("{\"type\":\"kiln.event\",\"rank\":0,\"event\":\"checkpoint_saved\",\"data\":{\"step\":10}}\n");
        output.append("{\"type\":\"kiln.oops\n");
        output.append("no newline at the end");
        output.close();

        assertThat(metricLines).hasSize(2);
        assertThat(output.series(-1).get("loss")).hasSize(1);
        assertThat(output.series(-1).get("loss").getFirst()[0]).isEqualTo(10);
        assertThat(output.series(-1).get("loss").getFirst()[1]).isEqualTo(0.5);
        assertThat(output.series(10)).allSatisfy((name, points) -> assertThat(points).isEmpty());
        assertThat(output.otherRanks(-1).get(1).get("loss").getFirst()[1]).as("rank 1's own value").isEqualTo(0.7);
        assertThat(output.lines(null, 0, 100).lines()).containsExactly("kiln-train launch: started rank 0 (pid 1)",
                "[rank 0] epoch 1", "[rank 1] epoch 1", "[rank 0] checkpoint_saved step=10",
                "{\"type\":\"kiln.oops", "no newline at the end");
        assertThat(output.lines(1, 0, 100).lines()).containsExactly("kiln-train launch: started rank 0 (pid 1)",
                "[rank 1] epoch 1", "{\"type\":\"kiln.oops", "no newline at the end");
        assertThat(output.ranks()).isEqualTo(2);
        var page = output.lines(null, 0, 2);
        assertThat(page.next()).isEqualTo(2);
        assertThat(output.lines(null, page.next(), 100).lines()).hasSize(4);
        assertThat(Files.readAllLines(dir.resolve("job.log"))).hasSize(6);
        // Once the output has left memory, the chart's points are read back from beside the log.
        var stored = JobOutput.readSeries(dir.resolve("job.log"), -1);
        assertThat(stored.keySet()).containsExactlyInAnyOrder("loss", "lr");
        assertThat(stored.get("loss").getFirst()).containsExactly(output.series(-1).get("loss").getFirst());
        assertThat(JobOutput.readSeries(dir.resolve("job.log"), 10).get("loss")).isEmpty();
    }

    @Test
    void secretsAreMaskedBeforeTheyAreKeptAndNotesStayOneLine() throws Exception {
        String secret = "wJalrXUtnFEMI/K7MDENG";
        var output = new JobOutput(dir.resolve("masked.log"), json -> { }, line -> line.replace(secret, "***"));
        output.note("job 1: example.Main x\nkiln: succeeded: Finished\r\u001b[2J on 1 core");
        output.append("[rank 0] key=" + secret.substring(0, 7));
        output.append(secret.substring(7) + " end\n{\"type\":\"kiln.event\",\"rank\":0,\"event\":\"saved\",\"data\":\"");
        output.append(secret + "\"}\nlast " + secret);
        output.close();
        assertThat(output.lines(null, 0, 100).lines()).containsExactly(
                "kiln: job 1: example.Main x\\nkiln: succeeded: Finished\\r\\u001b[2J on 1 core",
                "[rank 0] key=*** end", "[rank 0] saved \"***\"", "last ***");
        assertThat(Files.readString(dir.resolve("masked.log"))).doesNotContain(secret).hasLineCount(4);
    }

    @Test
    void aJobFoundAgainAfterARestartGoesOnFromItsLogAndItsSavedPoints() throws Exception {
        var before = new JobOutput(dir.resolve("job.log"), json -> { });
        before.append("[rank 1] epoch 1\n{\"type\":\"kiln.metrics\",\"rank\":0,\"step\":10,\"metrics\":{\"loss\":0.5}}\n");
        before.saveSeries(); // the server stops while the job runs

        var after = new JobOutput(dir.resolve("job.log"), json -> { });
        after.reload();
        after.append("[rank 1] epoch 2\n{\"type\":\"kiln.metrics\",\"rank\":0,\"step\":20,\"metrics\":{\"loss\":0.25}}\n");
        assertThat(after.lines(null, 0, 100).lines()).containsExactly("[rank 1] epoch 1", "[rank 1] epoch 2");
        assertThat(after.ranks()).isEqualTo(2);
        assertThat(after.series(-1).get("loss")).extracting(p -> p[0]).containsExactly(10.0, 20.0);
        assertThat(Files.readAllLines(dir.resolve("job.log"))).containsExactly("[rank 1] epoch 1", "[rank 1] epoch 2");
    }
}
