package dev.kiln.ui.machine;

import com.vaadin.flow.component.Component;
import com.vaadin.flow.component.button.Button;
import com.vaadin.flow.component.html.Div;
import com.vaadin.flow.component.html.Span;
import com.vaadin.flow.component.radiobutton.RadioButtonGroup;
import dev.kiln.api.studio.StudioException;
import dev.kiln.ui.studio.StudioView;
import dev.kiln.ui.testing.FakeMachines;
import dev.kiln.ui.testing.ViewTest;
import dev.kiln.api.machine.MachineState;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** The machine chip in the studio's header and its dialog: pick a type, start or switch, watch the phases. */
class MachineDialogTest extends ViewTest {

    @BeforeEach
    void studio() {
        kiln.catalog.add("Sums", "owner");
    }

    private void openDialog() {
        navigate(StudioView.class, "s1");
        click("machine");
    }

    @SuppressWarnings("unchecked")
    private RadioButtonGroup<MachineState.Option> types() {
        return $(RadioButtonGroup.class).id("machine-types");
    }

    /** The phase rows: label, and whether each is done, current or waiting. */
    private List<String> phases() {
        return $(Div.class).id("machine-phases").getChildren()
                .map(row -> row.getElement().getAttribute("data-state") + " " + row.getElement().getTextRecursively())
                .toList();
    }

    private Span message() {
        return $(Span.class).id("machine-message");
    }

    @Test
    void theChipSaysThereIsNoMachineAndTheDialogOffersToStartOne() {
        navigate(StudioView.class, "s1");
        assertThat($(Button.class).id("machine").getText()).isEqualTo("No machine");

        click("machine");

        assertThat(types().getListDataView().getItems().map(MachineState.Option::displayName))
                .containsExactly("This computer", "A100");
        assertThat($(Button.class).id("machine-apply").isEnabled()).isFalse(); // no type picked yet
        pick("cpu-small");
        assertThat($(Button.class).id("machine-apply").getText()).isEqualTo("Start");
        assertThat($(Button.class).id("machine-stop").isEnabled()).isFalse();
    }

    @Test
    void aSwitchShowsEveryPhaseInOrderWithItsLabelAndMovesOnWithTheServer() {
        kiln.machines.set(kiln.machines.running("cpu-small"));
        openDialog();
        assertThat($(Button.class).id("machine-apply").getText()).isEqualTo("Running");

        pick("a100");
        assertThat($(Button.class).id("machine-apply").getText()).isEqualTo("Switch");
        click("machine-apply");

        assertThat(kiln.machines.switches).containsExactly("a100");
        assertThat(phases()).containsExactly(
                "current Saving work (running jobs checkpoint) · 0 s",
                "waiting Stopping the old machine",
                "waiting Scheduling",
                "waiting Pulling the image",
                "waiting Starting the agent",
                "waiting Syncing files",
                "waiting Ready");
        assertThat($(Button.class).id("machine-apply").getText()).isEqualTo("Saving work…");
        assertThat($(Button.class).id("machine-apply").isEnabled()).isFalse();

        kiln.machines.set(kiln.machines.phase("a100", "cpu-small", "PULLING_IMAGE", null));
        poll();
        assertThat(phases()).containsExactly(
                "done Saving work (running jobs checkpoint)",
                "done Stopping the old machine",
                "done Scheduling",
                "current Pulling the image · 0 s",
                "waiting Starting the agent",
                "waiting Syncing files",
                "waiting Ready");
        assertThat($(Button.class).id("machine").getText()).isEqualTo("A100 · Pulling the image");

        kiln.machines.set(kiln.machines.running("a100"));
        poll();
        assertThat($(Div.class).id("machine-phases").getChildren().toList()).isEmpty();
        assertThat($(Button.class).id("machine").getText()).isEqualTo("A100 · Ready");
        assertThat($(Button.class).id("machine-stop").isEnabled()).isTrue();
    }

    @Test
    void aStartListsOnlyThePhasesOfAStart() {
        kiln.machines.firstPhase = "SCHEDULING";
        openDialog();
        pick("cpu-small");

        click("machine-apply");

        // No old machine to save or stop: those steps are not shown as done.
        assertThat(phases()).containsExactly(
                "current Scheduling · 0 s",
                "waiting Pulling the image",
                "waiting Starting the agent",
                "waiting Syncing files",
                "waiting Ready");
        assertThat($(Button.class).id("machine").getText()).isEqualTo("This computer · Scheduling");
    }

    @Test
    void stoppingShowsNoSwitchPhases() {
        kiln.machines.set(kiln.machines.phase("cpu-small", null, "STOPPING", "Stopping the machine's processes"));
        openDialog();

        assertThat($(Div.class).id("machine-phases").getChildren().toList()).isEmpty();
        assertThat(message().getText()).isEqualTo("Stopping: Stopping the machine's processes");
    }

    @Test
    void aSwitchTheClusterCannotScheduleSaysWhyAndWhatToDo() {
        kiln.machines.set(kiln.machines.running("cpu-small"));
        kiln.machines.refuseSwitch = new StudioException(StudioException.Kind.INVALID,
                "No node has a free A100 GPU now. Try again later, or pick a machine without a GPU.");
        openDialog();

        pick("a100");
        click("machine-apply");

        assertThat(message().getText()).isEqualTo(
                "No node has a free A100 GPU now. Try again later, or pick a machine without a GPU.");
        assertThat(message().getElement().getAttribute("data-kind")).isEqualTo("error");
        assertThat($(Button.class).id("machine").getText()).isEqualTo("This computer · Ready");
    }

    @Test
    void aFailedSwitchThatGoesBackIsShownAsTrouble() {
        kiln.machines.set(kiln.machines.running("cpu-small"));
        openDialog();
        pick("a100");
        click("machine-apply");

        kiln.machines.set(kiln.machines.phase("cpu-small", "a100", "REVERTING",
                "0/3 nodes are available: 3 Insufficient nvidia.com/gpu."));
        poll();

        assertThat(message().getText()).isEqualTo("Going back: 0/3 nodes are available: 3 Insufficient nvidia.com/gpu.");
        assertThat(message().getElement().getAttribute("data-kind")).isEqualTo("error");
    }

    @Test
    void aTypeThatCannotStartIsDisabledWithTheReason() {
        kiln.machines.unavailable.put("a100", "No free A100 on the cluster now");
        openDialog();

        var a100 = option("a100");
        assertThat(a100.getElement().getTextRecursively()).contains("No free A100 on the cluster now");
        assertThat(types().getItemEnabledProvider().test(FakeMachines.TYPES.get(1))).isFalse();
        assertThat(option("cpu-small").getElement().getTextRecursively()).contains("1 core · 2 GiB memory · no GPU",
                "Can start now");
    }

    @Test
    void onlyTheOwnerChangesTheMachine() {
        kiln.catalog.add("Shared", "viewer");
        kiln.machines.set(kiln.machines.running("cpu-small"));
        navigate(StudioView.class, "s2");
        click("machine");

        assertThat(types().isEnabled()).isFalse();
        assertThat($(Button.class).withId("machine-apply").exists()).isFalse();
        assertThat($(Span.class).withText("Only the studio's owner can change its machine.").exists()).isTrue();
    }

    @Test
    void switchingWhileAJobRunsAsksFirst() {
        kiln.machines.set(kiln.machines.running("cpu-small"));
        kiln.jobs.add("long run", List.of(), dev.kiln.api.job.JobSummary.Status.RUNNING);
        openDialog();
        pick("a100");
        click("machine-apply");

        assertThat(kiln.machines.switches).isEmpty();
        assertThat(dialog().getHeaderTitle()).isEqualTo("Switch while a job runs?");
        click("confirm-button");
        assertThat(kiln.machines.switches).containsExactly("a100");
    }

    @Test
    void stoppingWhileAJobRunsSaysTheJobEndsAfterACheckpoint() {
        kiln.machines.set(kiln.machines.running("cpu-small"));
        kiln.jobs.add("long run", List.of(), dev.kiln.api.job.JobSummary.Status.RUNNING);
        openDialog();

        click("machine-stop");
        assertThat(dialog().getHeaderTitle()).isEqualTo("Stop the machine while a job runs?");
        assertThat(kiln.machines.stops).isZero();
        click("confirm-button");

        assertThat(kiln.machines.stops).isEqualTo(1);
        assertThat($(Button.class).id("machine").getText()).isEqualTo("No machine");
        assertThat($(Button.class).id("machine-apply").getText()).isEqualTo("Start");
    }

    /**
     * Picks a type as the user does. (The tester's selectItem matches items by toString, and the options are records
     * shown through a renderer, so the value is set on the group; its listeners run as for a click.)
     */
    private void pick(String type) {
        var option = FakeMachines.TYPES.stream().filter(o -> o.id().equals(type)).findFirst().orElseThrow();
        assertThat(types().getItemEnabledProvider().test(option)).as(type + " can be picked").isTrue();
        types().setValue(option);
    }

    private Component option(String type) {
        return $(Div.class).withClassName("kiln-machine-option").withAttribute("data-type", type).single();
    }
}
