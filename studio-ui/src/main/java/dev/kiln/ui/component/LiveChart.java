package dev.kiln.ui.component;

import com.vaadin.flow.component.Component;
import com.vaadin.flow.component.HasSize;
import com.vaadin.flow.component.Tag;
import com.vaadin.flow.component.dependency.JsModule;
import com.vaadin.flow.component.dependency.NpmPackage;
import java.util.List;

/** Server side of {@code <kiln-chart>} (frontend/src/kiln-chart.ts): a live uPlot line chart over steps. */
@Tag("kiln-chart")
@JsModule("./kiln/kiln-chart.ts")
@NpmPackage(value = "uplot", version = "1.6.32")
public class LiveChart extends Component implements HasSize {

    public LiveChart(String title) {
        getElement().setProperty("title", title);
    }

    /** Adds (step, value) points to a series. */
    public void append(String series, List<double[]> points) {
        if (points.isEmpty()) {
            return;
        }
        var json = new StringBuilder("[");
        for (double[] point : points) {
            if (json.length() > 1) {
                json.append(',');
            }
            json.append('[').append(point[0]).append(',').append(point[1]).append(']');
        }
        getElement().callJsFunction("append", series, json.append(']').toString());
    }

    public void reset() {
        getElement().callJsFunction("reset");
    }
}
