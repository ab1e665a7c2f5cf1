package dev.kiln.api.machine;

import org.junit.jupiter.api.Test;

import static dev.kiln.api.machine.MachinePhase.*;
import static org.assertj.core.api.Assertions.assertThat;

class MachinePhaseTest {

    @Test
    void aSwitchGoesThroughItsStepsInOrderAndEndsReady() {
        assertThat(MachinePhase.switchSteps()).containsExactly(SAVING, STOPPING_OLD_MACHINE, SCHEDULING, PULLING_IMAGE,
                STARTING_AGENT, SYNCING, READY);
    }

    @Test
    void wordsForTheButtonAndTheDialog() {
        assertThat(PULLING_IMAGE.label()).isEqualTo("Pulling the image");
        assertThat(PULLING_IMAGE.step()).isEqualTo("Pulling the image");
        assertThat(SAVING.label()).isEqualTo("Saving work");
        assertThat(SAVING.step()).isEqualTo("Saving work (running jobs checkpoint)");
    }

    @Test
    void onlyTheEndStatesAreAtRest() {
        assertThat(MachinePhase.values()).filteredOn(p -> !p.busy()).containsExactly(READY, STOPPED, FAILED);
        assertThat(MachinePhase.values()).filteredOn(MachinePhase::trouble).containsExactly(REVERTING, FAILED);
    }
}
