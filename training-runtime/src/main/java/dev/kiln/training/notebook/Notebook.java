package dev.kiln.training.notebook;

import dev.kiln.training.callbacks.Callback;
import org.bytedeco.pytorch.Tensor;
import tools.jackson.databind.json.JsonMapper;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.function.Consumer;

/**
 * Rich output for Kiln notebooks, from Java cells (statically imported in every cell): {@code display(table)},
 * {@code chart("loss")} (a live line chart on the same chart component as jobs), {@code image(tensor)} and
 * {@code progress("epochs", 10)} (a bar that updates in place), and {@link #liveTraining()}, a Trainer callback that
 * draws the loss and the progress of {@code trainer.fit(...)} as it goes. In Kiln's Java kernel the outputs go to the
 * notebook through a hook the kernel installs (the system property {@value #HOOK}); anywhere else (a job, a test)
 * each shows as its text, on standard output.
 */
public final class Notebook {
    static final String HOOK = "kiln.notebook.display";
    static final JsonMapper JSON = JsonMapper.shared();

    private Notebook() {}

    /** Shows a value: a table, chart or image as itself, a tensor as an image when it is one, anything else as text. */
    public static void display(Object value) {
        if (value instanceof Displayable displayable) {
            send("display", displayable.mimeBundle(), value instanceof Live live ? live.id() : null);
        } else {
            send("display", Map.of("text/plain", String.valueOf(value)), null);
        }
    }

    /**
     * A cell's last value, when it is one of these types (the Java kernel calls this): shown, unless it is what
     * {@code chart}, {@code progress} or {@code image} returned, which showed itself when made (a second copy would
     * only repeat it).
     */
    public static void result(Object value) {
        if (value instanceof Live || value instanceof Image image && image.shown) {
            return;
        }
        display(value);
    }

    /** Shows HTML (a table, a styled note). The notebook sanitizes it: no scripts run. */
    public static void html(String html) {
        send("display", Map.of("text/html", html, "text/plain", html.replaceAll("<[^>]*>", "")), null);
    }

    public static void markdown(String markdown) {
        send("display", Map.of("text/markdown", markdown, "text/plain", markdown), null);
    }

    /** A table of rows under column names; display it, or end a cell with it. */
    public static Table table(List<String> columns, List<? extends List<?>> rows) {
        return new Table(columns, rows);
    }

    /** A table of records: each map's keys are the columns (the first map's order). */
    public static Table table(List<? extends Map<String, ?>> records) {
        return Table.of(records);
    }

    /** A live line chart, shown now; {@code chart.add("loss", step, value)} draws as it goes. */
    public static LineChart chart(String title) {
        var chart = new LineChart(title);
        display(chart);
        return chart;
    }

    /** An image from a tensor: [H, W] (grey), [C, H, W] or [H, W, C] with 1, 3 or 4 channels; values scaled to fit. */
    public static Image image(Tensor tensor) {
        var image = Image.of(tensor);
        display(image);
        image.shown = true;
        return image;
    }

    /** A progress bar, shown now; {@code update(n)} moves it in place. */
    public static Progress progress(String label, long total) {
        var progress = new Progress(label, total);
        display(progress);
        return progress;
    }

    /** A Trainer callback: a live chart of every logged metric and a progress bar of the fit, in the cell's output. */
    public static Callback liveTraining() {
        return new LiveTraining();
    }

    /** Clears the cell's output ({@code wait}: when the next output comes, so nothing flickers). */
    public static void clear(boolean wait) {
        var hook = hook();
        if (hook != null) {
            var message = new LinkedHashMap<String, Object>();
            message.put("kind", "clear");
            message.put("wait", wait);
            hook.accept(JSON.writeValueAsString(message));
        }
    }

    /** Whether this code runs in a Kiln notebook (else outputs print as text). */
    public static boolean inNotebook() {
        return hook() != null;
    }

    /** Something shown once and then updated in place (a chart, a progress bar). */
    interface Live extends Displayable {
        String id();
    }

    static String newId() {
        return UUID.randomUUID().toString();
    }

    /** Replaces the output of {@code live} wherever it is shown. */
    static void update(Live live) {
        send("update", live.mimeBundle(), live.id());
    }

    @SuppressWarnings("unchecked")
    private static Consumer<String> hook() {
        Object hook = System.getProperties().get(HOOK);
        return hook instanceof Consumer<?> consumer ? (Consumer<String>) consumer : null;
    }

    private static void send(String kind, Map<String, Object> bundle, String id) {
        var hook = hook();
        if (hook == null) {
            if (kind.equals("display")) {
                System.out.println(bundle.getOrDefault("text/plain", ""));
            }
            return;
        }
        var message = new LinkedHashMap<String, Object>();
        message.put("kind", kind);
        if (id != null) {
            message.put("id", id);
        }
        message.put("data", bundle);
        hook.accept(JSON.writeValueAsString(message));
    }
}
