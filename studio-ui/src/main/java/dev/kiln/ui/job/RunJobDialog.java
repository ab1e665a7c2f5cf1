package dev.kiln.ui.job;

import com.vaadin.flow.component.button.Button;
import com.vaadin.flow.component.button.ButtonVariant;
import com.vaadin.flow.component.combobox.ComboBox;
import com.vaadin.flow.component.dialog.Dialog;
import com.vaadin.flow.component.html.Div;
import com.vaadin.flow.component.html.Paragraph;
import com.vaadin.flow.component.textfield.IntegerField;
import com.vaadin.flow.component.textfield.TextField;
import dev.kiln.api.job.JobRequest;
import dev.kiln.api.job.JobSummary;
import dev.kiln.api.job.StudioJobs;
import dev.kiln.api.studio.StudioException;

import java.util.List;
import java.util.function.Consumer;

/** Run a job: an entry point of the workspace, its arguments, and nodes x devices; refusals are shown in place. */
class RunJobDialog extends Dialog {

    RunJobDialog(String studioId, StudioJobs jobs, JobRequest defaults, Consumer<JobSummary> started) {
        setHeaderTitle("Run a job");
        setId("run-dialog");
        var entry = new ComboBox<String>("Entry point");
        entry.setId("run-entry");
        entry.setHelperText("A TrainingModule (trained with kiln-train, one process per device) or a class with main");
        entry.setAllowCustomValue(true);
        entry.addCustomValueSetListener(e -> entry.setValue(e.getDetail()));
        entry.setWidthFull();
        List<String> candidates = jobs.entryPoints(studioId);
        entry.setItems(candidates);
        var args = new TextField("Arguments");
        args.setId("run-args");
        args.setPlaceholder("--trainer.max-epochs=3 samples=4096");
        args.setHelperText("Trainer options as --trainer.NAME=VALUE; key=value for the module; quote values with spaces");
        args.setWidthFull();
        var name = new TextField("Name");
        name.setId("run-name");
        name.setPlaceholder("the entry point and a short id");
        name.setHelperText("Optional: what this run tries, to find it again and compare it");
        name.setWidthFull();
        var nodes = new IntegerField("Nodes");
        nodes.setId("run-nodes");
        nodes.setMin(1);
        nodes.setStepButtonsVisible(true);
        var devices = new IntegerField("Devices per node");
        devices.setId("run-devices");
        devices.setMin(1);
        devices.setStepButtonsVisible(true);
        devices.setHelperText("GPUs, or processes on a CPU machine");
        if (defaults != null) {
            entry.setValue(defaults.entryPoint());
            args.setValue(Arguments.join(defaults.args()));
            nodes.setValue(defaults.nodes());
            devices.setValue(defaults.devices());
        } else {
            entry.setValue(candidates.contains("example.SumRegression") ? "example.SumRegression"
                    : candidates.isEmpty() ? null : candidates.getFirst());
            nodes.setValue(1);
            devices.setValue(1);
        }
        var error = new Paragraph();
        error.setId("run-error");
        error.addClassName("kiln-error");
        error.setVisible(false);
        var sizes = new Div(nodes, devices);
        sizes.getStyle().set("display", "flex").set("gap", "12px");
        add(new Div(entry, args, name, sizes, error));
        setWidth("560px");

        var run = new Button("Run", e -> {
            try {
                var request = new JobRequest(entry.getValue(), Arguments.split(args.getValue()),
                        nodes.getValue() == null ? 1 : nodes.getValue(),
                        devices.getValue() == null ? 1 : devices.getValue(), name.getValue());
                started.accept(jobs.start(studioId, request));
                close();
            } catch (StudioException | IllegalArgumentException refused) {
                error.setText(refused.getMessage());
                error.setVisible(true);
            }
        });
        run.setId("run-start");
        run.addThemeVariants(ButtonVariant.LUMO_PRIMARY);
        var cancel = new Button("Cancel", e -> close());
        getFooter().add(cancel, run);
    }
}
