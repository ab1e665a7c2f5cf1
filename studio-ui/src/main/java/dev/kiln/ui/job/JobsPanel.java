package dev.kiln.ui.job;

import com.vaadin.flow.component.AttachEvent;
import com.vaadin.flow.component.DetachEvent;
import com.vaadin.flow.component.button.Button;
import com.vaadin.flow.component.button.ButtonVariant;
import com.vaadin.flow.component.grid.Grid;
import com.vaadin.flow.component.grid.GridVariant;
import com.vaadin.flow.component.html.Anchor;
import com.vaadin.flow.component.html.Div;
import com.vaadin.flow.component.html.Span;
import com.vaadin.flow.component.icon.VaadinIcon;
import com.vaadin.flow.component.select.Select;
import com.vaadin.flow.shared.Registration;
import dev.kiln.api.job.JobRequest;
import dev.kiln.api.job.JobSummary;
import dev.kiln.api.job.StudioJobs;
import dev.kiln.api.studio.StudioException;
import dev.kiln.ui.component.Dialogs;
import dev.kiln.ui.component.LogView;
import dev.kiln.ui.component.MetricCharts;

import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;

/**
 * The studio's jobs: the list (name, status, duration, who started it), and for the selected job its whole log
 * (searchable, wrapped, downloadable) with a rank filter, one live chart per metric, compile errors that open the file
 * at the line, and rename / cancel / re-run. The job last selected in this browser is selected again on return.
 * Refreshes on the UI's poll (every second while the studio is open); everyone in the studio sees the same jobs.
 */
public class JobsPanel extends Div {
    static final String ALL_RANKS = "All ranks";

    private final String studioId;
    private final StudioJobs jobs;
    private final boolean canRun;
    private final Clock clock;
    private final Consumer<JobSummary.Diagnostic> openDiagnostic;
    private final Grid<JobSummary> grid = new Grid<>();
    private final Span title = new Span("Select a job");
    private final Button rename = new Button(VaadinIcon.PENCIL.create());
    private final Span status = new Span();
    private final Span detail = new Span();
    private final Span parameters = new Span();
    private final Button cancel = new Button("Cancel", VaadinIcon.STOP.create());
    private final Button rerun = new Button("Re-run", VaadinIcon.REFRESH.create());
    private final Select<String> rank = new Select<>();
    private final Div diagnostics = new Div();
    private final Span artifacts = new Span();
    private final LogView log = new LogView();
    private final Anchor download = new Anchor();
    private final MetricCharts charts = new MetricCharts();
    private final Div detailPane;
    private final CompareRuns compare;
    private final Button compareButton = new Button("Compare", VaadinIcon.BAR_CHART_H.create());
    private Registration polling;
    private JobSummary selected;
    private int logNext;
    private int ranksSeen = 1;
    /** The last step charted, per rank (0: the job's own values). */
    private final Map<Integer, Double> lastStep = new HashMap<>();
    private List<JobSummary> shown = List.of();
    private boolean restored;

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
        compare = new CompareRuns(studioId, jobs);
        compareButton.setId("job-compare");
        compareButton.addThemeVariants(ButtonVariant.LUMO_SMALL);
        compareButton.setTooltipText("Tick two or more runs, then compare their metrics and arguments");
        compareButton.setEnabled(false);
        compareButton.addClickListener(e -> showCompare());

        grid.setId("jobs");
        grid.addThemeVariants(GridVariant.LUMO_COMPACT, GridVariant.LUMO_ROW_STRIPES, GridVariant.LUMO_WRAP_CELL_CONTENT);
        grid.addComponentColumn(this::compareBox).setHeader("").setWidth("42px").setFlexGrow(0);
        grid.addColumn(JobSummary::number).setHeader("#").setWidth("46px").setFlexGrow(0);
        grid.addComponentColumn(JobsPanel::nameCell).setHeader("Name").setFlexGrow(3);
        grid.addComponentColumn(j -> badge(j.status())).setHeader("Status").setWidth("104px").setFlexGrow(0);
        grid.addColumn(j -> describe(j.duration(clock.instant()))).setHeader("Time").setWidth("82px").setFlexGrow(0);
        grid.addColumn(JobSummary::startedBy).setHeader("By").setFlexGrow(1);
        grid.addSelectionListener(e -> e.getFirstSelectedItem().ifPresent(this::select));
        grid.setEmptyStateText("No jobs yet. Start the machine, then press Run.");

        rename.setId("job-rename");
        rename.addThemeVariants(ButtonVariant.LUMO_TERTIARY_INLINE, ButtonVariant.LUMO_ICON, ButtonVariant.LUMO_SMALL);
        rename.setAriaLabel("Rename the job");
        rename.setTooltipText("Rename");
        rename.setVisible(canRun);
        rename.addClickListener(e -> Dialogs.prompt("Rename the job", "Name", selected.name(), "Rename", name -> {
            selected = jobs.rename(studioId, selected.id(), name);
            refresh();
        }));
        cancel.setId("job-cancel");
        cancel.addThemeVariants(ButtonVariant.LUMO_SMALL, ButtonVariant.LUMO_ERROR);
        cancel.addClickListener(e -> act(() -> jobs.cancel(studioId, selected.id())));
        rerun.setId("job-rerun");
        rerun.addThemeVariants(ButtonVariant.LUMO_SMALL);
        rerun.addClickListener(e -> openRunDialog(selected.request()));
        rank.setId("job-rank");
        rank.setItems(ALL_RANKS);
        rank.setValue(ALL_RANKS);
        rank.setTooltipText("The log and charts of one rank (process), or all of them");
        rank.addValueChangeListener(e -> {
            if (e.isFromClient()) {
                restartFollowing();
            }
        });
        title.setId("job-title");
        title.addClassName("kiln-job-title");
        status.setId("job-status");
        detail.setId("job-detail");
        detail.addClassName("kiln-muted");
        parameters.setId("job-parameters");
        parameters.addClassName("kiln-job-parameters");
        diagnostics.setId("job-diagnostics");
        log.setId("job-log");
        log.addClassName("kiln-job-log");
        download.setId("job-log-download");
        download.setText("Download log");
        download.getElement().setAttribute("download", true);
        download.getElement().setAttribute("title", "The complete log as a text file (from the machine when some "
                + "output never reached Kiln)");
        log.add(download);
        charts.setId("job-charts");
        charts.addClassName("kiln-job-charts");

        var header = new Div(title, rename, status, detail, cancel, rerun, rank);
        header.addClassName("kiln-job-header");
        var body = new Div(log, charts);
        body.addClassName("kiln-job-body");
        artifacts.setId("job-artifacts");
        artifacts.addClassName("kiln-muted");
        detailPane = new Div(header, parameters, artifacts, diagnostics, body);
        detailPane.addClassName("kiln-job-detail");
        detailPane.setVisible(false);
        compare.setVisible(false);
        compare.addCloseListener(() -> {
            compare.setVisible(false);
            detailPane.setVisible(selected != null);
        });
        var actions = new Div(run, compareButton);
        actions.addClassName("kiln-job-actions");
        var list = new Div(actions, grid);
        list.addClassName("kiln-job-list");
        add(list, detailPane, compare);
    }

    private final Map<String, com.vaadin.flow.component.checkbox.Checkbox> boxes = new HashMap<>();
    private final java.util.LinkedHashSet<String> ticked = new java.util.LinkedHashSet<>();

    private com.vaadin.flow.component.checkbox.Checkbox compareBox(JobSummary job) {
        var box = new com.vaadin.flow.component.checkbox.Checkbox(ticked.contains(job.id()));
        box.getElement().setAttribute("aria-label", "Compare job " + job.number());
        box.getElement().setAttribute("data-job", String.valueOf(job.number()));
        box.addClassName("kiln-compare-box");
        box.addValueChangeListener(e -> {
            if (e.getValue()) {
                ticked.add(job.id());
            } else {
                ticked.remove(job.id());
            }
            compareButton.setText(ticked.size() < 2 ? "Compare" : "Compare " + ticked.size());
            compareButton.setEnabled(ticked.size() >= 2);
        });
        boxes.put(job.id(), box);
        return box;
    }

    private void showCompare() {
        var chosen = shown.stream().filter(j -> ticked.contains(j.id())).toList();
        detailPane.setVisible(false);
        compare.setVisible(true);
        compare.show(chosen);
    }

    private static Span nameCell(JobSummary job) {
        var name = new Span(job.name());
        name.addClassName("kiln-job-name");
        name.getElement().setAttribute("title", job.name() + " · " + job.request().entryPoint());
        return name;
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
        compare.setVisible(false);
        detailPane.setVisible(true);
        if (other) {
            // Remembered in this browser, so the job is selected again on return.
            getElement().executeJs("try { localStorage.setItem($0, $1) } catch (e) {}", storageKey(), job.id());
            ranksSeen = 1;
            rank.setItems(ALL_RANKS);
            rank.setValue(ALL_RANKS);
            download.setHref(jobs.logDownloadUrl(studioId, job.id()));
            restartFollowing();
        }
        showSelected();
    }

    private String storageKey() {
        return "kiln.job." + studioId;
    }

    private void restartFollowing() {
        log.clear();
        logNext = 0;
        charts.reset();
        lastStep.clear();
        followSelected();
    }

    private void showSelected() {
        title.setText(selected.name());
        title.getElement().setAttribute("title", "Job " + selected.number() + " · " + selected.name());
        status.getElement().setAttribute("data-status", selected.status().name());
        status.setText(selected.status().label());
        status.addClassName("kiln-badge");
        detail.setText(selected.detail() == null ? "" : selected.detail());
        var request = selected.request();
        parameters.setText("Job " + selected.number() + " · " + request.entryPoint()
                + (request.args().isEmpty() ? "" : " " + Arguments.join(request.args())) + " · " + request.nodes()
                + " × " + request.devices() + (request.nodes() * request.devices() == 1 ? " process" : " processes"));
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

    private Integer onlyRank() {
        return rank.getValue() == null || rank.getValue().equals(ALL_RANKS) ? null
                : Integer.parseInt(rank.getValue().replace("Rank ", ""));
    }

    /** Appends new log lines and metric points of the selected job. */
    private void followSelected() {
        if (selected == null) {
            return;
        }
        Integer onlyRank = onlyRank();
        // A finished job's log can be long: catch up in a few reads at once rather than one per second.
        for (int reads = 0; reads < 5; reads++) {
            var chunk = jobs.log(studioId, selected.id(), onlyRank, logNext);
            boolean more = chunk.next() > logNext && !chunk.lines().isEmpty();
            logNext = chunk.next();
            log.append(chunk.lines());
            updateRanks(chunk.ranks());
            if (!more) {
                break;
            }
        }
        if (onlyRank == null || onlyRank == 0) {
            chart(0, jobs.metrics(studioId, selected.id(), (long) after(0)));
        }
        if (ranksSeen > 1 && (onlyRank == null || onlyRank > 0)) {
            jobs.otherRanks(studioId, selected.id(), (long) afterOtherRanks()).forEach((r, series) -> {
                if (onlyRank == null || onlyRank.equals(r)) {
                    chart(r, series);
                }
            });
        }
    }

    /** From the step before the last one charted (points of that step may have come since). */
    private double after(int rank) {
        return lastStep.containsKey(rank) ? lastStep.get(rank) - 1 : -1;
    }

    private double afterOtherRanks() {
        double after = Double.MAX_VALUE;
        for (int r = 1; r < ranksSeen; r++) {
            after = Math.min(after, after(r));
        }
        return after == Double.MAX_VALUE ? -1 : after;
    }

    private void chart(int rank, Map<String, List<double[]>> series) {
        series.forEach((name, points) -> {
            if (!points.isEmpty()) {
                charts.append(name, "rank " + rank, points);
                lastStep.merge(rank, points.getLast()[0], Math::max);
            }
        });
    }

    private void updateRanks(int ranks) {
        if (ranks > ranksSeen) {
            ranksSeen = ranks;
            var items = new ArrayList<String>();
            items.add(ALL_RANKS);
            for (int r = 0; r < ranks; r++) {
                items.add("Rank " + r);
            }
            String current = rank.getValue();
            rank.setItems(items);
            rank.setValue(items.contains(current) ? current : ALL_RANKS);
        }
    }

    /** Reloads the list (and the selected job's state), then follows its output. */
    public void refresh() {
        List<JobSummary> now = jobs.jobs(studioId);
        if (!now.equals(shown) || now.stream().anyMatch(j -> !j.status().ended())) {
            shown = now;
            boxes.clear();
            grid.setItems(now);
            if (selected != null) {
                now.stream().filter(j -> j.id().equals(selected.id())).findFirst().ifPresent(j -> {
                    selected = j;
                    grid.select(j);
                    showSelected();
                });
            }
        }
        if (compare.isVisible()) {
            compare.refresh(now);
        } else {
            followSelected();
        }
    }

    /** On return: the job this browser had selected, else the newest. */
    private void restoreSelection() {
        if (restored) {
            return;
        }
        restored = true;
        getElement().executeJs("try { return localStorage.getItem($0) } catch (e) { return null }", storageKey())
                .then(String.class, id -> {
                    if (selected == null) {
                        shown.stream().filter(j -> j.id().equals(id)).findFirst()
                                .or(() -> shown.stream().findFirst()).ifPresent(grid::select);
                    }
                }, error -> shown.stream().findFirst().ifPresent(grid::select));
    }

    @Override
    protected void onAttach(AttachEvent event) {
        refresh();
        restoreSelection();
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

    static Span badge(JobSummary.Status status) {
        var badge = new Span(status.label());
        badge.addClassName("kiln-badge");
        badge.getElement().setAttribute("data-status", status.name());
        return badge;
    }

    static String describe(Duration duration) {
        long s = duration.toSeconds();
        return s < 60 ? s + " s" : s < 3600 ? (s / 60) + " min " + (s % 60) + " s" : (s / 3600) + " h " + (s % 3600 / 60) + " min";
    }
}
