package dev.kiln.training.notebook;

import dev.kiln.training.runtime.Tensors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;

import java.io.ByteArrayInputStream;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;

import javax.imageio.ImageIO;

import static org.assertj.core.api.Assertions.assertThat;

/** The notebook display API through the kernel's hook (a Consumer of JSON text), as the Java kernel installs it. */
class NotebookDisplayTest {
    final List<JsonNode> sent = new CopyOnWriteArrayList<>();

    @BeforeEach
    void hook() {
        Consumer<String> sink = json -> sent.add(Notebook.JSON.readTree(json));
        System.getProperties().put(Notebook.HOOK, sink);
    }

    @AfterEach
    void unhook() {
        System.getProperties().remove(Notebook.HOOK);
    }

    @Test
    void aTableIsHtmlWithItsTextBesideAndEscaped() {
        Notebook.display(Notebook.table(List.of(Map.of("name", "<b>a</b>", "n", 1))));
        var data = sent.getFirst().get("data");
        assertThat(sent.getFirst().get("kind").asString()).isEqualTo("display");
        assertThat(data.get("text/html").asString()).contains("<th>").contains("&lt;b&gt;a&lt;/b&gt;").doesNotContain("<b>a");
        assertThat(data.get("text/plain").asString()).contains("<b>a</b>");
    }

    @Test
    void aChartShowsOnceThenUpdatesInPlace() {
        var chart = Notebook.chart("loss");
        for (int step = 0; step < 5; step++) {
            chart.add("loss", step, 1.0 / (step + 1));
        }
        chart.flush();
        String id = sent.getFirst().get("id").asString();
        assertThat(sent.getFirst().get("kind").asString()).isEqualTo("display");
        var last = sent.getLast();
        assertThat(last.get("kind").asString()).isEqualTo("update");
        assertThat(last.get("id").asString()).isEqualTo(id);
        var series = last.get("data").get("application/vnd.kiln.chart+json").get("series").get("loss");
        assertThat(series.size()).isEqualTo(5);
        assertThat(series.get(4).get(1).asDouble()).isEqualTo(0.2);
    }

    @Test
    void aProgressBarEndsAtItsTotal() {
        var progress = Notebook.progress("epochs", 3);
        progress.update(1);
        progress.update(3, "done");
        assertThat(sent.getLast().get("data").get("text/plain").asString()).contains("3/3").contains("done");
        assertThat(sent.getLast().get("data").get("text/html").asString()).contains("<progress value=\"3\" max=\"3\">");
    }

    @Test
    void anImageFromATensorIsAPng() throws Exception {
        float[] pixels = new float[3 * 4 * 5];
        pixels[0] = 1f; // red at (0, 0)
        var image = Notebook.image(Tensors.fromFloats(pixels, 3, 4, 5));
        var png = Base64.getDecoder().decode(sent.getFirst().get("data").get("image/png").asString());
        var decoded = ImageIO.read(new ByteArrayInputStream(png));
        assertThat(decoded.getWidth()).isEqualTo(5);
        assertThat(decoded.getHeight()).isEqualTo(4);
        assertThat(decoded.getRGB(0, 0) & 0xffffff).isEqualTo(0xff0000);
        assertThat(image.png()).isEqualTo(png);
    }

    @Test
    void aCellsLastValueIsShownOnceTablesYesWhatShowedItselfNo() {
        var image = Notebook.image(Tensors.fromFloats(new float[4], 2, 2));
        var chart = Notebook.chart("loss");
        int shownWhenMade = sent.size();
        Notebook.result(image);
        Notebook.result(chart);
        assertThat(sent).hasSize(shownWhenMade);
        assertThat(image.toString()).isEqualTo("[image 2x2]");
        Notebook.result(Notebook.table(List.of("a"), List.of(List.of(1))));
        assertThat(sent).hasSize(shownWhenMade + 1);
        assertThat(sent.getLast().get("data").has("text/html")).isTrue();
    }

    @Test
    void outsideANotebookItIsText() {
        unhook();
        var out = new java.io.ByteArrayOutputStream();
        var before = System.out;
        System.setOut(new java.io.PrintStream(out, true));
        try {
            Notebook.display(Notebook.table(List.of("a"), List.of(List.of(1))));
        } finally {
            System.setOut(before);
        }
        assertThat(out.toString()).contains("a").contains("1");
        assertThat(sent).isEmpty();
    }
}
