package dev.kiln.ui.component;

import com.vaadin.flow.component.Component;
import com.vaadin.flow.component.HasSize;
import com.vaadin.flow.component.Tag;
import com.vaadin.flow.component.dependency.JsModule;
import com.vaadin.flow.component.dependency.NpmPackage;

import java.util.List;

/**
 * Server side of {@code <kiln-charts>} (frontend/src/kiln-charts.ts): one uPlot chart per metric, a line per run (a
 * job's ranks, or jobs being compared), a shared step axis with zoom, log scale for losses.
 */
@Tag("kiln-charts")
@JsModule("./kiln/kiln-charts.ts")
// Listed too so that Vaadin's bundle check sees changes to them (it hashes @JsModule files, not their imports).
@JsModule("./kiln/chart-data.ts")
@JsModule("./kiln/protocol/charts.ts")
@NpmPackage(value = "uplot", version = "1.6.32")
public class MetricCharts extends Component implements HasSize {

    /** A line's id and the label its legend shows. */
    public record Run(String id, String label) {}

    /** Names the runs, in the order (and colours) their lines are drawn. */
    public void setRuns(List<Run> runs) {
        var json = new StringBuilder("[");
        for (Run run : runs) {
            if (json.length() > 1) {
                json.append(',');
            }
            json.append("{\"id\":").append(quote(run.id())).append(",\"label\":").append(quote(run.label())).append('}');
        }
        getElement().callJsFunction("setRuns", json.append(']').toString());
    }

    /** Adds (step, value) points to one metric of one run. */
    public void append(String metric, String run, List<double[]> points) {
        if (points.isEmpty()) {
            return;
        }
        var json = new StringBuilder("[");
        for (double[] point : points) {
            if (json.length() > 1) {
                json.append(',');
            }
            json.append('[').append(number(point[0])).append(',').append(number(point[1])).append(']');
        }
        getElement().callJsFunction("append", metric, run, json.append(']').toString());
    }

    public void reset() {
        getElement().callJsFunction("reset");
    }

    /** NaN and infinities are not JSON: null, a gap in the line. */
    private static String number(double value) {
        return Double.isFinite(value) ? Double.toString(value) : "null";
    }

    private static String quote(String text) {
        var out = new StringBuilder("\"");
        for (char c : text.toCharArray()) {
            switch (c) {
                case '"' -> out.append("\\\"");
                case '\\' -> out.append("\\\\");
                default -> {
                    if (c < 0x20) {
                        out.append(String.format("\\u%04x", (int) c));
                    } else {
                        out.append(c);
                    }
                }
            }
        }
        return out.append('"').toString();
    }
}
