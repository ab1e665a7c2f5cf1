package dev.kiln.ui.job;

import com.vaadin.flow.component.button.Button;
import com.vaadin.flow.component.button.ButtonVariant;
import com.vaadin.flow.component.html.Div;
import com.vaadin.flow.component.html.Span;
import com.vaadin.flow.component.icon.VaadinIcon;
import com.vaadin.flow.dom.Element;
import dev.kiln.api.job.JobSummary;
import dev.kiln.api.job.StudioJobs;
import dev.kiln.ui.component.MetricCharts;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Runs side by side, as MLflow's or Lightning's loggers compare them: every chosen run's metrics on the same charts
 * (one chart per metric, one line per run), and a table of what each was run with (entry point, each argument,
 * devices, machine) and how it ended (each metric's final and best value), with the rows that differ highlighted.
 * Follows running jobs live.
 */
class CompareRuns extends Div {
    private final String studioId;
    private final StudioJobs jobs;
    private final Span title = new Span();
    private final MetricCharts charts = new MetricCharts();
    private final Div table = new Div();
    private final List<Runnable> closeListeners = new ArrayList<>();
    private List<JobSummary> runs = List.of();
    /** Every point charted so far, per job and metric: the table's final and best values come from these. */
    private final Map<String, Map<String, List<double[]>>> series = new HashMap<>();

    CompareRuns(String studioId, StudioJobs jobs) {
        this.studioId = studioId;
        this.jobs = jobs;
        setId("compare");
        addClassName("kiln-job-detail");
        addClassName("kiln-compare");
        title.addClassName("kiln-job-title");
        title.setId("compare-title");
        var close = new Button("Back to the job", VaadinIcon.ARROW_BACKWARD.create(),
                e -> closeListeners.forEach(Runnable::run));
        close.setId("compare-close");
        close.addThemeVariants(ButtonVariant.LUMO_SMALL, ButtonVariant.LUMO_TERTIARY);
        var header = new Div(title, close);
        header.addClassName("kiln-job-header");
        charts.setId("compare-charts");
        charts.addClassName("kiln-job-charts");
        table.setId("compare-table");
        table.addClassName("kiln-compare-table");
        var body = new Div(charts, table);
        body.addClassName("kiln-compare-body");
        add(header, body);
    }

    void addCloseListener(Runnable listener) {
        closeListeners.add(listener);
    }

    void show(List<JobSummary> chosen) {
        runs = chosen;
        series.clear();
        charts.reset();
        // Legends stay short: the number and the start of the name (the table has it whole).
        charts.setRuns(chosen.stream().map(j -> new MetricCharts.Run(j.id(), "#" + j.number() + " "
                + (j.name().length() > 24 ? j.name().substring(0, 23) + "…" : j.name()))).toList());
        title.setText("Comparing " + chosen.size() + " runs");
        refresh(chosen);
    }

    /** New points of running jobs, and the table again. */
    void refresh(List<JobSummary> latest) {
        var byId = new HashMap<String, JobSummary>();
        latest.forEach(j -> byId.put(j.id(), j));
        runs = runs.stream().map(j -> byId.getOrDefault(j.id(), j)).toList();
        for (JobSummary run : runs) {
            var known = series.computeIfAbsent(run.id(), id -> new LinkedHashMap<>());
            double after = known.values().stream().filter(p -> !p.isEmpty()).mapToDouble(p -> p.getLast()[0])
                    .min().orElse(0) - 1;
            jobs.metrics(studioId, run.id(), (long) after).forEach((name, points) -> {
                var all = known.computeIfAbsent(name, n -> new ArrayList<>());
                double last = all.isEmpty() ? Double.NEGATIVE_INFINITY : all.getLast()[0];
                var fresh = points.stream().filter(p -> p[0] > last).toList();
                all.addAll(fresh);
                charts.append(name, run.id(), fresh);
            });
        }
        renderTable();
    }

    private void renderTable() {
        var rows = new ArrayList<Row>();
        rows.add(row("Name", runs.stream().map(JobSummary::name).toList()));
        rows.add(row("Entry point", runs.stream().map(j -> j.request().entryPoint()).toList()));
        var argumentKeys = new java.util.LinkedHashSet<String>();
        var arguments = runs.stream().map(j -> arguments(j.request().args())).toList();
        arguments.forEach(a -> argumentKeys.addAll(a.keySet()));
        for (String key : argumentKeys) {
            rows.add(row(key, arguments.stream().map(a -> a.getOrDefault(key, "")).toList()));
        }
        rows.add(row("Nodes × devices", runs.stream().map(j -> j.request().nodes() + " × " + j.request().devices())
                .toList()));
        rows.add(row("Machine", runs.stream().map(JobSummary::machineType).toList()));
        rows.add(row("Status", runs.stream().map(j -> j.status().label()).toList()));
        var metricNames = new java.util.LinkedHashSet<String>();
        runs.forEach(j -> metricNames.addAll(series.getOrDefault(j.id(), Map.of()).keySet()));
        metricNames.remove("step");
        metricNames.remove("epoch");
        for (String metric : metricNames) {
            rows.add(row("final " + metric, runs.stream().map(j -> format(finalValue(j, metric))).toList()));
            Best best = Best.of(metric);
            if (best != Best.NONE) {
                rows.add(row((best == Best.LOWEST ? "lowest " : "highest ") + metric, runs.stream()
                        .map(j -> format(best(j, metric, best))).toList()));
            }
        }

        var element = new Element("table");
        var head = new Element("tr");
        head.appendChild(new Element("th").setText(""));
        for (JobSummary run : runs) {
            head.appendChild(new Element("th").setText("#" + run.number()));
        }
        element.appendChild(new Element("thead").appendChild(head));
        var body = new Element("tbody");
        for (Row row : rows) {
            var tr = new Element("tr");
            tr.setAttribute("data-row", row.label());
            tr.setAttribute("data-differs", String.valueOf(row.differs()));
            if (row.differs()) {
                tr.getClassList().add("kiln-differs");
                tr.setAttribute("title", "These runs differ here");
            }
            tr.appendChild(new Element("th").setText(row.label()));
            row.values().forEach(v -> tr.appendChild(new Element("td").setText(v)));
            body.appendChild(tr);
        }
        element.appendChild(body);
        table.getElement().removeAllChildren();
        table.getElement().appendChild(element);
    }

    record Row(String label, List<String> values) {
        boolean differs() {
            return values.stream().distinct().count() > 1;
        }
    }

    private static Row row(String label, List<String> values) {
        return new Row(label, values);
    }

    /**
     * A job's arguments by what they set: {@code --trainer.max-epochs=3} under {@code --trainer.max-epochs},
     * {@code lr=0.01} under {@code lr}, a flag under itself (value "yes").
     */
    static Map<String, String> arguments(List<String> args) {
        var result = new LinkedHashMap<String, String>();
        for (String arg : args) {
            int eq = arg.indexOf('=');
            if (eq > 0) {
                result.put(arg.substring(0, eq), arg.substring(eq + 1));
            } else {
                result.put(arg, "yes");
            }
        }
        return result;
    }

    /** Which way is better for a metric, going by its name. */
    enum Best {
        LOWEST, HIGHEST, NONE;

        static Best of(String metric) {
            String name = metric.toLowerCase(java.util.Locale.ROOT);
            if (name.contains("loss") || name.contains("error") || name.contains("perplexity") || name.endsWith("mse")
                    || name.endsWith("mae")) {
                return LOWEST;
            }
            if (name.contains("acc") || name.contains("f1") || name.contains("precision") || name.contains("recall")
                    || name.contains("auc")) {
                return HIGHEST;
            }
            return NONE;
        }
    }

    private Double finalValue(JobSummary job, String metric) {
        var points = series.getOrDefault(job.id(), Map.of()).get(metric);
        return points == null || points.isEmpty() ? null : points.getLast()[1];
    }

    private Double best(JobSummary job, String metric, Best best) {
        var points = series.getOrDefault(job.id(), Map.of()).get(metric);
        if (points == null || points.isEmpty()) {
            return null;
        }
        var values = points.stream().mapToDouble(p -> p[1]).filter(Double::isFinite);
        return (best == Best.LOWEST ? values.min() : values.max()).stream().boxed().findFirst().orElse(null);
    }

    static String format(Double value) {
        if (value == null) {
            return "";
        }
        double abs = Math.abs(value);
        return abs != 0 && (abs < 1e-3 || abs >= 1e6) ? String.format(java.util.Locale.ROOT, "%.4g", value)
                : String.format(java.util.Locale.ROOT, "%.4f", value).replaceAll("\\.?0+$", "");
    }
}
