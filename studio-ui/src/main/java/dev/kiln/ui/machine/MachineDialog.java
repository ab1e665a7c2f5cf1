package dev.kiln.ui.machine;

import com.vaadin.flow.component.UI;
import com.vaadin.flow.component.button.Button;
import com.vaadin.flow.component.button.ButtonVariant;
import com.vaadin.flow.component.dialog.Dialog;
import com.vaadin.flow.component.html.Div;
import com.vaadin.flow.component.html.Span;
import com.vaadin.flow.component.orderedlayout.VerticalLayout;
import com.vaadin.flow.component.radiobutton.RadioButtonGroup;
import com.vaadin.flow.shared.Registration;
import dev.kiln.api.machine.MachineControl;
import dev.kiln.api.machine.MachinePhase;
import dev.kiln.api.machine.MachineState;
import dev.kiln.api.studio.StudioException;
import dev.kiln.ui.component.Dialogs;

import java.time.Clock;
import java.time.Duration;
import java.util.function.Consumer;

/**
 * Pick a machine type and switch, then watch the phases with the time spent so far. The editor behind it keeps
 * working the whole time: documents live on the server, not on the machine. If the switch cannot happen, the reason
 * and what to do are shown here, and the studio stays (or goes back) where it was.
 */
class MachineDialog extends Dialog {
    private final String studioId;
    private final MachineControl machines;
    private final Clock clock;
    private final Consumer<MachineState> onChange;
    private final RadioButtonGroup<MachineState.Option> types = new RadioButtonGroup<>();
    private final Div phases = new Div();
    private final Span message = new Span();
    private final Button apply = new Button();
    private final Button stop = new Button("Stop machine");
    private Registration polling;

    private final java.util.function.IntSupplier runningJobs;

    MachineDialog(String studioId, MachineControl machines, boolean owner, Clock clock, Consumer<MachineState> onChange,
                  java.util.function.IntSupplier runningJobs) {
        this.runningJobs = runningJobs;
        this.studioId = studioId;
        this.machines = machines;
        this.clock = clock;
        this.onChange = onChange;
        setHeaderTitle("Machine");
        setId("machine-dialog");
        setWidth("520px");

        MachineState state = machines.state(studioId);
        types.setId("machine-types");
        types.setItems(state.types());
        // What each type is (cores, memory, GPUs, price) and whether it can start now, checked as the dialog opens.
        var unavailable = owner ? machines.unavailable(studioId) : java.util.Map.<String, String>of();
        types.setRenderer(new com.vaadin.flow.data.renderer.ComponentRenderer<>(o -> option(o,
                o.id().equals(state.machineType()) && state.running(), unavailable.get(o.id()))));
        types.setItemEnabledProvider(o -> !unavailable.containsKey(o.id()));
        types.addThemeName("vertical");
        types.setEnabled(owner);
        state.types().stream().filter(o -> o.id().equals(state.machineType())).findFirst().ifPresent(types::setValue);

        phases.setId("machine-phases");
        phases.addClassName("kiln-machine-phases");
        message.setId("machine-message");

        apply.setId("machine-apply");
        apply.addThemeVariants(ButtonVariant.LUMO_PRIMARY);
        apply.addClickListener(e -> askIfJobsRun(machines.state(studioId).running(), false, () -> run(() ->
                machines.switchTo(studioId, types.getValue() == null ? null : types.getValue().id()))));
        stop.setId("machine-stop");
        stop.addThemeVariants(ButtonVariant.LUMO_ERROR, ButtonVariant.LUMO_TERTIARY);
        stop.addClickListener(e -> askIfJobsRun(true, true, () -> run(() -> machines.stop(studioId))));
        types.addValueChangeListener(e -> refresh(machines.state(studioId)));

        var body = new VerticalLayout(types, phases, message);
        if (state.unsandboxedReason() != null) {
            var notice = new Span(state.unsandboxedReason());
            notice.setId("machine-isolation");
            notice.getElement().setAttribute("data-kind", "warning");
            body.addComponentAtIndex(0, notice);
        }
        body.setPadding(false);
        add(body);
        var close = new Button("Close", e -> close());
        close.setId("machine-close");
        if (owner) {
            getFooter().add(stop, apply, close);
        } else {
            getFooter().add(new Span("Only the studio's owner can change its machine."), close);
        }
        // Esc and clicks outside close the dialog without calling close(): stop refreshing either way.
        addOpenedChangeListener(e -> {
            if (!e.isOpened()) {
                stopPolling();
            }
        });
        refresh(state);
    }

    private static Div option(MachineState.Option o, boolean current, String unavailable) {
        var name = new Span(o.displayName());
        name.addClassName("kiln-machine-name");
        var price = new Span(MachineSizes.price(o.pricePerHour()));
        price.addClassName("kiln-machine-price");
        var first = new Div(name, new Span(current ? " (current)" : ""), price);
        first.addClassName("kiln-machine-line");
        var size = new Div(MachineSizes.describe(o));
        size.addClassName("kiln-muted");
        var availability = new Div(current ? "Running now" : unavailable == null ? "Can start now" : unavailable);
        availability.addClassName("kiln-machine-availability");
        availability.getElement().setAttribute("data-available", String.valueOf(unavailable == null));
        var row = new Div(first, size, availability);
        row.addClassName("kiln-machine-option");
        row.getElement().setAttribute("data-type", o.id());
        return row;
    }

    /**
     * A switch or stop while jobs run asks first, saying what happens to them: on a switch they checkpoint and resume
     * on the new machine; a stop ends them after they checkpoint.
     */
    private void askIfJobsRun(boolean machineRunning, boolean stopping, Runnable action) {
        int jobs = machineRunning ? runningJobs.getAsInt() : 0;
        if (jobs == 0) {
            action.run();
            return;
        }
        String them = jobs == 1 ? "1 job is running" : jobs + " jobs are running";
        if (stopping) {
            Dialogs.confirm("Stop the machine while a job runs?", capitalize(them) + ". Stopping the machine ends "
                    + (jobs == 1 ? "it" : "them") + " after a checkpoint of the step reached (in ~/jobs/<job>/"
                    + "checkpoints on the machine's home, which stays). Switching instead moves running jobs.",
                    "Stop and end the jobs", true, action);
        } else {
            Dialogs.confirm("Switch while a job runs?", capitalize(them) + ". Before the old machine stops, "
                    + (jobs == 1 ? "it checkpoints" : "each checkpoints") + " at the step it is at and then resumes "
                    + "on the new machine from there, without losing a step.", "Switch and resume the jobs",
                    false, action);
        }
    }

    private static String capitalize(String text) {
        return Character.toUpperCase(text.charAt(0)) + text.substring(1);
    }

    private void stopPolling() {
        if (polling != null) {
            polling.remove();
            polling = null;
        }
    }

    private void run(java.util.function.Supplier<MachineState> action) {
        try {
            refresh(action.get());
        } catch (StudioException e) {
            message.setText(e.getMessage());
            message.getElement().setAttribute("data-kind", "error");
        }
    }

    private void refresh(MachineState state) {
        onChange.accept(state);
        var chosen = types.getValue();
        boolean sameType = chosen != null && chosen.id().equals(state.machineType());
        apply.setText(state.busy() ? state.phaseLabel() + "…" : !state.running() ? "Start" : sameType ? "Running"
                : "Switch");
        apply.setEnabled(types.isEnabled() && chosen != null && !state.busy() && !(state.running() && sameType));
        stop.setEnabled(state.running() && !state.busy());

        phases.removeAll();
        // A start has no old machine to save or stop; stopping and going back are not steps of the list at all.
        var steps = state.switchingFrom() != null ? MachinePhase.switchSteps() : MachinePhase.switchSteps()
                .subList(MachinePhase.switchSteps().indexOf(MachinePhase.SCHEDULING), MachinePhase.switchSteps().size());
        if (state.switchingFrom() != null || (state.busy() && steps.contains(state.phase()))) {
            int current = steps.indexOf(state.phase());
            for (int i = 0; i < steps.size(); i++) {
                MachinePhase phase = steps.get(i);
                var row = new Div(new Span(phase.step()));
                row.getElement().setAttribute("data-phase", phase.name());
                row.getElement().setAttribute("data-state", current < 0 ? "waiting" : i < current ? "done"
                        : i == current ? "current" : "waiting");
                if (i == current && state.phaseSince() != null) {
                    long seconds = Duration.between(state.phaseSince(), clock.instant()).toSeconds();
                    row.add(new Span(" · " + seconds + " s"));
                }
                phases.add(row);
            }
        }
        boolean trouble = state.phase().trouble();
        message.setText(state.detail() == null ? "" : state.phaseLabel() + ": " + state.detail());
        message.getElement().setAttribute("data-kind", trouble ? "error" : "info");
        ensurePolling(state.busy());
    }

    private void ensurePolling(boolean busy) {
        if (busy && polling == null) {
            getUI().or(() -> java.util.Optional.ofNullable(UI.getCurrent())).ifPresent(ui -> {
                ui.setPollInterval(500);
                polling = ui.addPollListener(e -> refresh(machines.state(studioId)));
            });
        } else if (!busy) {
            stopPolling();
        }
    }

    @Override
    public void close() {
        stopPolling();
        super.close();
    }
}
