package dev.kiln.ui.machine;

import dev.kiln.api.machine.MachineControl;
import dev.kiln.api.machine.MachineState;
import com.vaadin.flow.component.AttachEvent;
import com.vaadin.flow.component.DetachEvent;
import com.vaadin.flow.component.UI;
import com.vaadin.flow.component.button.Button;
import com.vaadin.flow.component.button.ButtonVariant;
import com.vaadin.flow.component.icon.VaadinIcon;
import com.vaadin.flow.shared.Registration;

import java.time.Clock;

/**
 * The studio's machine in the header ("This computer · 1 core · Ready"), like Lightning Studio's machine chip. It
 * refreshes itself (quickly while something is changing, so a switch started by a teammate shows too) and opens the
 * machine dialog.
 */
public class MachineButton extends Button {
    private final String studioId;
    private final MachineControl machines;
    private Registration polling;
    private MachineState state;

    public MachineButton(String studioId, MachineControl machines, boolean owner, Clock clock) {
        this(studioId, machines, owner, clock, () -> 0);
    }

    /** {@code runningJobs}: how many of the studio's jobs run now (a switch or stop asks first when some do). */
    public MachineButton(String studioId, MachineControl machines, boolean owner, Clock clock,
                         java.util.function.IntSupplier runningJobs) {
        this.studioId = studioId;
        this.machines = machines;
        setId("machine");
        setIcon(VaadinIcon.SERVER.create());
        addThemeVariants(ButtonVariant.LUMO_SMALL);
        addClickListener(e -> new MachineDialog(studioId, machines, owner, clock, this::show, runningJobs).open());
        show(machines.state(studioId));
    }

    void show(MachineState next) {
        state = next;
        setText(next.machineType() == null ? "No machine" : next.displayName() + " · " + next.phaseLabel());
        getElement().setAttribute("data-phase", next.phase().name());
        getElement().setAttribute("title", next.detail() == null ? "" : next.detail());
        getUI().ifPresent(ui -> ui.setPollInterval(next.busy() ? 500 : 1000));
    }

    @Override
    protected void onAttach(AttachEvent event) {
        UI ui = event.getUI();
        ui.setPollInterval(state != null && state.busy() ? 500 : 1000);
        polling = ui.addPollListener(e -> show(machines.state(studioId)));
    }

    @Override
    protected void onDetach(DetachEvent event) {
        if (polling != null) {
            polling.remove();
        }
        event.getUI().setPollInterval(-1);
    }
}
