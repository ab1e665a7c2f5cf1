package dev.kiln.server.machine;

import dev.kiln.api.machine.MachinePhase;
import dev.kiln.machine.plan.MachinePlan.Phase;
import org.junit.jupiter.api.Test;

import java.util.Arrays;

import static org.assertj.core.api.Assertions.assertThat;

class MachinePhasesTest {

    @Test
    void everyPlannerPhaseIsShownAsItsNamesake() {
        // The REST API and the views' data-phase attributes carry these names: the mapping must not rename any.
        for (Phase phase : Phase.values()) {
            assertThat(MachinePhases.shown(phase).name()).isEqualTo(phase.name());
        }
        assertThat(Arrays.stream(Phase.values()).map(MachinePhases::shown).distinct().count())
                .isEqualTo(MachinePhase.values().length);
    }
}
