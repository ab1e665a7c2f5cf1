package dev.kiln.ui.job;

import dev.kiln.api.job.StudioJobs;
import com.vaadin.flow.component.AttachEvent;
import com.vaadin.flow.component.DetachEvent;
import com.vaadin.flow.component.html.Span;
import com.vaadin.flow.shared.Registration;

import java.util.Locale;

/**
 * The studio machine's usage in the header, as Lightning Studio's top bar: the CPU of the machine's own processes
 * over its own cores, their memory, and each GPU's utilization, memory and temperature; refreshed on the UI's poll.
 * Empty while no machine runs.
 */
public class MachineUsageBadge extends Span {
    private final String studioId;
    private final StudioJobs jobs;
    private Registration polling;

    public MachineUsageBadge(String studioId, StudioJobs jobs) {
        this.studioId = studioId;
        this.jobs = jobs;
        setId("machine-usage");
    }

    void refresh() {
        StudioJobs.MachineUsage usage = jobs.usage(studioId);
        setText(usage == null ? "" : describe(usage));
    }

    static String describe(StudioJobs.MachineUsage usage) {
        // The machine's own share: its processes' CPU over its cores, their memory out of what it may use.
        var text = new StringBuilder(String.format(Locale.ROOT, "CPU %.0f%% of %d %s · RAM %.1f/%.0f GiB",
                Math.min(1, usage.cpu()) * 100, usage.cpus(), usage.cpus() == 1 ? "core" : "cores",
                usage.memoryUsed() / GIB, usage.memoryTotal() / GIB));
        for (var gpu : usage.gpus()) {
            text.append(String.format(Locale.ROOT, " · GPU%d %.0f%% %.0f/%.0f GiB %.0f°C", gpu.index(),
                    gpu.utilization() * 100, gpu.memoryUsed() / GIB, gpu.memoryTotal() / GIB, gpu.temperature()));
        }
        return text.toString();
    }

    private static final double GIB = 1L << 30;

    @Override
    protected void onAttach(AttachEvent event) {
        refresh();
        polling = event.getUI().addPollListener(e -> refresh());
    }

    @Override
    protected void onDetach(DetachEvent event) {
        if (polling != null) {
            polling.remove();
        }
    }
}
