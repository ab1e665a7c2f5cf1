package dev.kiln.ui.job;

import com.vaadin.flow.component.UI;
import com.vaadin.flow.component.button.Button;
import com.vaadin.flow.component.checkbox.Checkbox;
import com.vaadin.flow.component.combobox.ComboBox;
import com.vaadin.flow.component.grid.Grid;
import com.vaadin.flow.component.html.Div;
import com.vaadin.flow.component.html.Paragraph;
import com.vaadin.flow.component.html.Span;
import com.vaadin.flow.component.textfield.IntegerField;
import com.vaadin.flow.component.textfield.TextField;
import dev.kiln.ui.testing.ViewTest;
import dev.kiln.api.job.JobSummary;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.stream.IntStream;

import static org.assertj.core.api.Assertions.assertThat;

/** The jobs tab: the list, the run dialog's refusals, following a job, and comparing runs. */
class JobsPanelTest extends ViewTest {

    private final List<JobSummary.Diagnostic> opened = new ArrayList<>();

    private JobsPanel show(boolean canRun) {
        var panel = new JobsPanel("s1", kiln.jobs, canRun, kiln.clock, opened::add);
        UI.getCurrent().add(panel);
        return panel;
    }

    @SuppressWarnings("unchecked")
    private Grid<JobSummary> grid() {
        return $(Grid.class).id("jobs");
    }

    private List<String> rows() {
        var grid = test(grid());
        return IntStream.range(0, grid.size()).mapToObj(i -> grid.getRow(i).number() + " " + grid.getRow(i).name()
                + " " + ((Span) grid.getCellComponent(i, 3)).getText()).toList();
    }

    @Test
    void listsTheJobsNewestFirst() {
        kiln.jobs.add("baseline", List.of(), JobSummary.Status.SUCCEEDED, 1.0, 0.5);
        kiln.jobs.add("wider", List.of("hidden=64"), JobSummary.Status.FAILED);
        show(true);

        assertThat(rows()).containsExactly("2 wider Failed", "1 baseline Succeeded");
        assertThat(test(grid()).getCellText(1, 5)).isEqualTo("Ada Lovelace");
    }

    @Test
    void runningAJobAddsItToTheListAndSelectsIt() {
        show(true);

        click("job-run");
        assertThat($(ComboBox.class).id("run-entry").getValue()).isEqualTo("example.SumRegression");
        test($(TextField.class).id("run-args")).setValue("--trainer.max-epochs=3 lr=0.01");
        test($(TextField.class).id("run-name")).setValue("three epochs");
        click("run-start");

        assertThat(anyDialogOpen()).isFalse();
        assertThat(rows()).containsExactly("1 three epochs Running");
        assertThat($(Span.class).id("job-title").getText()).isEqualTo("three epochs");
        assertThat($(Span.class).id("job-parameters").getText())
                .isEqualTo("Job 1 · example.SumRegression --trainer.max-epochs=3 lr=0.01 · 1 × 1 process");
        assertThat($(Button.class).id("job-cancel").isVisible()).isTrue();
    }

    @Test
    void theRunDialogShowsARefusalInPlaceAndKeepsWhatWasTyped() {
        kiln.jobs.devices = 2;
        show(true);

        click("job-run");
        test($(IntegerField.class).id("run-devices")).setValue(4);
        test($(TextField.class).id("run-args")).setValue("samples=4096");
        click("run-start");

        assertThat($(Paragraph.class).id("run-error").getText())
                .isEqualTo("The machine has 2 devices; ask for at most that many per node.");
        assertThat(dialog().getId()).hasValue("run-dialog");
        assertThat($(TextField.class).id("run-args").getValue()).isEqualTo("samples=4096");
        assertThat(kiln.jobs.jobs("s1")).isEmpty();
    }

    @Test
    void anUnclosedQuoteInTheArgumentsIsRefusedBeforeAnythingStarts() {
        show(true);

        click("job-run");
        test($(TextField.class).id("run-args")).setValue("name=\"two words");
        click("run-start");

        assertThat($(Paragraph.class).id("run-error").isVisible()).isTrue();
        assertThat($(Paragraph.class).id("run-error").getText()).isNotBlank();
        assertThat(kiln.jobs.jobs("s1")).isEmpty();
    }

    @Test
    void withoutAMachineTheDialogSaysToStartItFirst() {
        kiln.jobs.machineRunning = false;
        show(true);

        click("job-run");
        click("run-start");

        assertThat($(Paragraph.class).id("run-error").getText()).isEqualTo("Start the studio's machine first.");
    }

    @Test
    void theSelectedJobFollowsTheServerOnEachPoll() {
        var job = kiln.jobs.add("baseline", List.of(), JobSummary.Status.RUNNING);
        kiln.jobs.logs.put(job.id(), new ArrayList<>(List.of("epoch 1")));
        show(true);
        test(grid()).select(0);
        assertThat($(Span.class).id("job-status").getText()).isEqualTo("Running");
        assertThat(String.join("\n", javaScriptSent())).contains("epoch 1\n");

        kiln.jobs.logs.get(job.id()).add("epoch 2");
        kiln.jobs.finish(job.id(), JobSummary.Status.SUCCEEDED);
        poll();

        assertThat(rows()).containsExactly("1 baseline Succeeded");
        assertThat($(Span.class).id("job-status").getText()).isEqualTo("Succeeded");
        var sent = String.join("\n", javaScriptSent());
        assertThat(sent).contains("epoch 2\n").doesNotContain("epoch 1");  // only the new line is appended
        assertThat($(Button.class).withId("job-cancel").exists()).isFalse();
        assertThat($(Button.class).id("job-rerun").isVisible()).isTrue();
    }

    @Test
    void cancellingARunningJobShowsItCancelledAndOffersReRun() {
        kiln.jobs.add("baseline", List.of(), JobSummary.Status.RUNNING);
        show(true);
        test(grid()).select(0);

        click("job-cancel");

        assertThat($(Span.class).id("job-status").getText()).isEqualTo("Cancelled");
        assertThat(rows()).containsExactly("1 baseline Cancelled");
        assertThat($(Button.class).id("job-rerun").isVisible()).isTrue();
    }

    @Test
    void renamingAJobShowsTheNewNameInTheListAndTheDetail() {
        kiln.jobs.add("baseline", List.of(), JobSummary.Status.SUCCEEDED);
        show(true);
        test(grid()).select(0);

        click("job-rename");
        test($(TextField.class).id("prompt-field")).setValue("lr sweep 1");
        click("prompt-ok");

        assertThat($(Span.class).id("job-title").getText()).isEqualTo("lr sweep 1");
        assertThat(rows()).containsExactly("1 lr sweep 1 Succeeded");
    }

    @Test
    void reRunOpensTheDialogWithTheJobsSettings() {
        kiln.jobs.add("baseline", List.of("lr=0.1"), JobSummary.Status.SUCCEEDED);
        show(true);
        test(grid()).select(0);

        click("job-rerun");

        assertThat($(TextField.class).id("run-args").getValue()).isEqualTo("lr=0.1");
        click("run-start");
        assertThat(rows()).hasSize(2).first().asString().startsWith("2 ");
    }

    @Test
    void aViewerFollowsJobsButCannotStartOrCancelThem() {
        kiln.jobs.add("baseline", List.of(), JobSummary.Status.RUNNING);
        show(false);
        test(grid()).select(0);

        assertThat($(Span.class).id("job-title").getText()).isEqualTo("baseline");
        for (String id : List.of("job-run", "job-cancel", "job-rerun", "job-rename")) {
            assertThat($(Button.class).withId(id).exists()).as(id).isFalse();
        }
    }

    @Test
    void comparingTwoRunsShowsWhatDiffersAndHowEachEnded() {
        kiln.jobs.add("baseline", List.of("lr=0.1", "hidden=32"), JobSummary.Status.SUCCEEDED, 1.0, 0.4, 0.5);
        kiln.jobs.add("faster", List.of("lr=0.3", "hidden=32"), JobSummary.Status.SUCCEEDED, 0.9, 0.2);
        show(true);
        assertThat($(Button.class).id("job-compare").isEnabled()).isFalse();

        tick(0);
        assertThat($(Button.class).id("job-compare").isEnabled()).isFalse(); // one run is no comparison
        tick(1);
        assertThat($(Button.class).id("job-compare").getText()).isEqualTo("Compare 2");
        click("job-compare");

        assertThat($(Span.class).id("compare-title").getText()).isEqualTo("Comparing 2 runs");
        var table = $(Div.class).id("compare-table").getElement();
        assertThat(compareRow(table, "lr")).isEqualTo("true lr 0.3 0.1");
        assertThat(compareRow(table, "hidden")).isEqualTo("false hidden 32 32");
        assertThat(compareRow(table, "final loss")).isEqualTo("true final loss 0.2 0.5");
        assertThat(compareRow(table, "lowest loss")).isEqualTo("true lowest loss 0.2 0.4");
    }

    @Test
    void aCompileErrorOpensTheFileAtItsLine() {
        var job = kiln.jobs.add("broken", List.of(), JobSummary.Status.FAILED);
        kiln.jobs.setDiagnostics(job.id(), List.of(new JobSummary.Diagnostic("ERROR",
                "src/main/java/example/SumRegression.java", 12, 5, "';' expected")));
        show(true);
        test(grid()).select(0);

        var link = $(Span.class).withClassName("kiln-diagnostic").single();
        assertThat(link.getText()).isEqualTo("src/main/java/example/SumRegression.java:12: ';' expected");
        clickElement(link);

        assertThat(opened).extracting(JobSummary.Diagnostic::line).containsExactly(12L);
    }

    private void tick(int row) {
        var box = (Checkbox) test(grid()).getCellComponent(row, 0);
        test(box).click();
    }

    /** A row of the comparison table: whether it is marked as differing, its label and each run's value. */
    private static String compareRow(com.vaadin.flow.dom.Element table, String label) {
        var body = table.getChild(0).getChild(1);
        for (int i = 0; i < body.getChildCount(); i++) {
            var tr = body.getChild(i);
            if (label.equals(tr.getAttribute("data-row"))) {
                var cells = new ArrayList<String>();
                cells.add(tr.getAttribute("data-differs"));
                for (int c = 0; c < tr.getChildCount(); c++) {
                    cells.add(tr.getChild(c).getText());
                }
                return String.join(" ", cells);
            }
        }
        throw new AssertionError("No row " + label);
    }
}
