package dev.kiln.ui.job;

import com.vaadin.flow.component.AttachEvent;
import com.vaadin.flow.component.DetachEvent;
import com.vaadin.flow.component.button.Button;
import com.vaadin.flow.component.button.ButtonVariant;
import com.vaadin.flow.component.grid.Grid;
import com.vaadin.flow.component.grid.GridVariant;
import com.vaadin.flow.component.html.Div;
import com.vaadin.flow.component.html.Pre;
import com.vaadin.flow.component.html.Span;
import com.vaadin.flow.component.icon.VaadinIcon;
import com.vaadin.flow.component.select.Select;
import com.vaadin.flow.shared.Registration;
import dev.kiln.ui.component.LiveChart;
import dev.kiln.ui.studio.StudioException;

import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;

/**
 * The studio's jobs: the list (status, duration, who started it), and for the selected job its live log with a rank
 * filter, its metrics as live charts, compile errors that open the file at the line, and cancel / re-run. Refreshes
 * on the UI's poll (every second while the studio is open); everyone in the studio sees the same jobs.
 */
public class JobsPanel extends Div {
    private static final int LOG_LINES_SHOWN = 3_000;

    private final String studioId;
    private final StudioJobs jobs;
    private final boolean canRun;
    private final Clock clock;
    private final Consumer<JobSummary.Diagnostic> openDiagnostic;
    private final Grid<JobSummary> grid = new Grid<>();
    private final Span title = new Span("Select a job");
    private final Span status = new Span();
    private final Span detail = new Span();
    private final Button cancel = new Button("Cancel", VaadinIcon.STOP.create());
    private final Button rerun = new Button("Re-run", VaadinIcon.REFRESH.create());
    private final Select<String> rank = new Select<>();
    private final Div diagnostics = new Div();
    private final Span artifacts = new Span();
    private final Pre log = new Pre();
    private final LiveChart lossChart = new LiveChart("loss");
    private final LiveChart otherChart = new LiveChart("metrics");
    private final Div detailPane;
    private Registration polling;
    private JobSummary selected;
    private int logNext;
    private double lastStep = -1;
    private List<JobSummary> shown = List.of();

    public JobsPanel(String studioId, StudioJobs jobs, boolean canRun, Clock clock,
                     Consumer<JobSummary.Diagnostic> openDiagnostic) {
        this.studioId = studioId;
        this.jobs = jobs;
        this.canRun = canRun;
        this.clock = clock;
        this.openDiagnostic = openDiagnostic;
        addClassName("kiln-jobs");
        setId("jobs-panel");

        var run = new Button("Run", VaadinIcon.PLAY.create(), e -> openRunDialog(null));
        run.setId("job-run");
        run.addThemeVariants(ButtonVariant.LUMO_PRIMARY, ButtonVariant.LUMO_SMALL);
        run.setVisible(canRun);

        grid.setId("jobs");
        grid.addThemeVariants(GridVariant.LUMO_COMPACT, GridVariant.LUMO_ROW_STRIPES);
        grid.addColumn(JobSummary::number).setHeader("#").setWidth("50px").setFlexGrow(0);
        grid.addColumn(j -> j.request().entryPoint()).setHeader("Entry point").setFlexGrow(2);
        grid.addComponentColumn(j -> badge(j.status())).setHeader("Status").setWidth("110px").setFlexGrow(0);
        grid.addColumn(j -> j.request().nodes() + " × " + j.request().devices()).setHeader("Devices")
                .setWidth("80px").setFlexGrow(0);
        grid.addColumn(j -> describe(j.duration(clock.instant()))).setHeader("Time").setWidth("80px").setFlexGrow(0);
        grid.addColumn(JobSummary::startedBy).setHeader("By").setFlexGrow(1);
        grid.addSelectionListener(e -> e.getFirstSelectedItem().ifPresent(this::select));
        grid.setEmptyStateText("No jobs yet. Start the machine, then press Run.");

        cancel.setId("job-cancel");
        cancel.addThemeVariants(ButtonVariant.LUMO_SMALL, ButtonVariant.LUMO_ERROR);
        cancel.addClickListener(e -> act(() -> jobs.cancel(studioId, selected.id())));
        rerun.setId("job-rerun");
        rerun.addThemeVariants(ButtonVariant.LUMO_SMALL);
        rerun.addClickListener(e -> openRunDialog(selected.request()));
        rank.setId("job-rank");
        rank.setItems("All ranks");
        rank.setValue("All ranks");
        rank.addValueChangeListener(e -> {
            if (e.isFromClient()) {
                restartLog();
            }
        });
        status.setId("job-status");
        detail.setId("job-detail");
        detail.addClassName("kiln-muted");
        diagnostics.setId("job-diagnostics");
        log.setId("job-log");
        log.addClassName("kiln-job-log");
        lossChart.setId("job-chart");
        lossChart.addClassName("kiln-job-chart");
        otherChart.setId("job-chart-other");
        otherChart.addClassName("kiln-job-chart");

        var header = new Div(title, status, detail, cancel, rerun, rank);
        header.addClassName("kiln-job-header");
        var charts = new Div(lossChart, otherChart);
        charts.addClassName("kiln-job-charts");
        var body = new Div(log, charts);
        body.addClassName("kiln-job-body");
        artifacts.setId("job-artifacts");
        artifacts.addClassName("kiln-muted");
        detailPane = new Div(header, artifacts, diagnostics, body);
        detailPane.addClassName("kiln-job-detail");
        detailPane.setVisible(false);
        var list = new Div(run, grid);
        list.addClassName("kiln-job-list");
        add(list, detailPane);
    }

    private void openRunDialog(JobRequest defaults) {
        new RunJobDialog(studioId, jobs, defaults, job -> {
            refresh();
            grid.select(shown.stream().filter(j -> j.id().equals(job.id())).findFirst().orElse(job));
        }).open();
    }

    private void act(Runnable action) {
        try {
            action.run();
        } catch (StudioException e) {
            detail.setText(e.getMessage());
        }
        refresh();
    }

    private void select(JobSummary job) {
        boolean other = selected == null || !selected.id().equals(job.id());
        selected = job;
        detailPane.setVisible(true);
        if (other) {
            lossChart.reset();
            otherChart.reset();
            lastStep = -1;
            rank.setItems("All ranks");
            rank.setValue("All ranks");
            restartLog();
        }
        showSelected();
    }

    private void restartLog() {
        log.setText("");
        logNext = 0;
        followSelected();
    }

    private void showSelected() {
        title.setText("Job " + selected.number() + " · " + selected.request().entryPoint());
        status.getElement().setAttribute("data-status", selected.status().name());
        status.setText(selected.status().name().toLowerCase());
        status.addClassName("kiln-badge");
        detail.setText(selected.detail() == null ? "" : selected.detail());
        artifacts.setText("Output and checkpoints on the machine: ~/jobs/" + selected.id() + "/");
        cancel.setVisible(canRun && !selected.status().ended());
        rerun.setVisible(canRun && selected.status().ended());
        diagnostics.removeAll();
        for (var d : selected.diagnostics()) {
            var link = new Span(d.path() + ":" + d.line() + ": " + d.message());
            link.getElement().setAttribute("role", "link");
            link.getElement().setAttribute("title", "Open the file at this line");
            link.addClassName("kiln-diagnostic");
            link.getElement().setAttribute("data-severity", d.severity());
            link.getElement().addEventListener("click", e -> openDiagnostic.accept(d));
            diagnostics.add(link);
        }
        diagnostics.setVisible(!selected.diagnostics().isEmpty());
    }

    /** Appends new log lines and metric points of the selected job. */
    private void followSelected() {
        if (selected == null) {
            return;
        }
        Integer onlyRank = rank.getValue() == null || rank.getValue().startsWith("All") ? null
                : Integer.parseInt(rank.getValue().replace("Rank ", ""));
        var chunk = jobs.log(studioId, selected.id(), onlyRank, logNext);
        logNext = chunk.next();
        if (!chunk.lines().isEmpty()) {
            String text = String.join("\n", chunk.lines()) + "\n";
            // Append in the browser instead of resending the whole log; keep the view's length bounded.
            log.getElement().executeJs("const atEnd = this.scrollTop + this.clientHeight >= this.scrollHeight - 4;"
                    + "this.textContent += $0; const lines = this.textContent.split('\\n');"
                    + "if (lines.length > $1) this.textContent = lines.slice(lines.length - $1).join('\\n');"
                    + "if (atEnd) this.scrollTop = this.scrollHeight;", text, LOG_LINES_SHOWN);
        }
        if (chunk.ranks() > 1 && rankItems() != chunk.ranks() + 1) {
            var items = new ArrayList<String>();
            items.add("All ranks");
            for (int r = 0; r < chunk.ranks(); r++) {
                items.add("Rank " + r);
            }
            String current = rank.getValue();
            rank.setItems(items);
            rank.setValue(items.contains(current) ? current : "All ranks");
        }
        var metrics = jobs.metrics(studioId, selected.id(), (long) lastStep - 1);
        metrics.forEach((name, points) -> {
            if (!points.isEmpty()) {
                (name.contains("loss") ? lossChart : otherChart).append(name, points);
                lastStep = Math.max(lastStep, points.getLast()[0]);
            }
        });
    }

    private int rankItems() {
        return (int) rank.getListDataView().getItemCount();
    }

    /** Reloads the list (and the selected job's state), then follows its output. */
    public void refresh() {
        List<JobSummary> now = jobs.jobs(studioId);
        if (!now.equals(shown) || now.stream().anyMatch(j -> !j.status().ended())) {
            shown = now;
            grid.setItems(now);
            if (selected != null) {
                now.stream().filter(j -> j.id().equals(selected.id())).findFirst().ifPresent(j -> {
                    selected = j;
                    grid.select(j);
                    showSelected();
                });
            }
        }
        followSelected();
    }

    @Override
    protected void onAttach(AttachEvent event) {
        refresh();
        polling = event.getUI().addPollListener(e -> {
            if (isVisible() && getParent().map(p -> p.isVisible()).orElse(true)) {
                refresh();
            }
        });
    }

    @Override
    protected void onDetach(DetachEvent event) {
        if (polling != null) {
            polling.remove();
        }
    }

    private static Span badge(JobSummary.Status status) {
        var badge = new Span(status.name().toLowerCase());
        badge.addClassName("kiln-badge");
        badge.getElement().setAttribute("data-status", status.name());
        return badge;
    }

    static String describe(Duration duration) {
        long s = duration.toSeconds();
        return s < 60 ? s + " s" : s < 3600 ? (s / 60) + " min " + (s % 60) + " s" : (s / 3600) + " h " + (s % 3600 / 60) + " min";
    }
}
