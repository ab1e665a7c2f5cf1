package dev.kiln.ui.studio;

import com.vaadin.flow.component.button.Button;
import com.vaadin.flow.component.button.ButtonVariant;
import com.vaadin.flow.component.dialog.Dialog;
import com.vaadin.flow.component.html.Div;
import com.vaadin.flow.component.html.Span;
import com.vaadin.flow.component.icon.VaadinIcon;
import dev.kiln.api.files.FileContent;
import dev.kiln.api.files.FileRevision;
import dev.kiln.api.files.StudioWorkspace;
import dev.kiln.ui.component.CodeEditor;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.format.DateTimeFormatter;
import java.time.format.FormatStyle;
import java.util.function.BiConsumer;

/**
 * The open file's commits, newest first, kept up to date as automatic commits land; clicking one shows that version
 * read-only, with a way to restore it, or side by side with the current text or any other version.
 */
class HistoryPanel extends Div {

    private static final DateTimeFormatter WHEN =
            DateTimeFormatter.ofLocalizedDateTime(FormatStyle.MEDIUM).withZone(ZoneId.systemDefault());

    private final String studioId;
    private final StudioWorkspace workspace;
    private final Clock clock;
    private final BiConsumer<FileRevision, FileContent> onRestore;
    private final Div list = new Div();
    private final boolean canEdit;
    private String shown;
    /** The revisions listed, to redraw only when a commit came (checked every few seconds while attached). */
    private java.util.List<FileRevision> listed = java.util.List.of();
    private com.vaadin.flow.shared.Registration polling;
    private int polls;

    HistoryPanel(String studioId, StudioWorkspace workspace, Clock clock, boolean canEdit, BiConsumer<FileRevision, FileContent> onRestore) {
        this.studioId = studioId;
        this.workspace = workspace;
        this.clock = clock;
        this.onRestore = onRestore;
        this.canEdit = canEdit;
        addClassName("kiln-pane");
        var refresh = new Button(VaadinIcon.REFRESH.create(), e -> show(shown));
        refresh.addThemeVariants(ButtonVariant.LUMO_TERTIARY_INLINE, ButtonVariant.LUMO_ICON, ButtonVariant.LUMO_SMALL);
        refresh.setTooltipText("Refresh");
        refresh.setAriaLabel("Refresh history");
        refresh.setId("refresh-history");
        var title = new Div(new Span("History "), refresh);
        title.addClassName("kiln-pane-title");
        list.setId("history");
        list.getStyle().set("overflow", "auto").set("flex", "1");
        add(title, list);
        show(null);
    }

    /** Shows the history of {@code path}, or a hint when no file is open. */
    void show(String path) {
        shown = path;
        list.removeAll();
        if (path == null) {
            var hint = new Div("Open a file to see its commits.");
            hint.addClassName("kiln-empty");
            list.add(hint);
            return;
        }
        var revisions = workspace.history(studioId, path);
        listed = revisions;
        if (revisions.isEmpty()) {
            var hint = new Div("Not committed yet: save to create the first version.");
            hint.addClassName("kiln-empty");
            list.add(hint);
        }
        for (var revision : revisions) {
            var message = new Div(revision.message());
            message.addClassName("msg");
            var meta = new Div(revision.authorName() + " · " + ago(revision.time()) + " · " + revision.shortId());
            meta.addClassName("meta");
            meta.getElement().setAttribute("title", WHEN.format(revision.time()));
            var item = new Div(message, meta);
            item.addClassName("kiln-history-item");
            item.getElement().setAttribute("data-commit", revision.commitId());
            item.addClickListener(e -> showVersion(path, revision));
            list.add(item);
        }
    }

    /** Automatic commits land while the file is open: look every 3 s and redraw when the history changed. */
    @Override
    protected void onAttach(com.vaadin.flow.component.AttachEvent event) {
        polling = event.getUI().addPollListener(e -> {
            if (shown != null && ++polls % 3 == 0) {
                try {
                    if (!workspace.history(studioId, shown).equals(listed)) {
                        show(shown);
                    }
                } catch (RuntimeException gone) {
                    // the file was deleted or renamed: the studio view shows it
                }
            }
        });
    }

    @Override
    protected void onDetach(com.vaadin.flow.component.DetachEvent event) {
        if (polling != null) {
            polling.remove();
        }
    }

    private void showVersion(String path, FileRevision revision) {
        var content = workspace.readAt(studioId, path, revision.commitId());
        var dialog = new Dialog(path + " at " + revision.shortId());
        dialog.setWidth("80vw");
        dialog.setHeight("80vh");
        var info = new Span(revision.message() + " — " + revision.authorName() + ", " + WHEN.format(revision.time()));
        info.addClassName("kiln-muted");
        var viewer = new CodeEditor();
        viewer.setId("revision-viewer");
        viewer.setSizeFull();
        viewer.load(content.binary() ? "" : content.text(), path, true);
        // Compare this version with the current text or another version, side by side (older on the left).
        var diff = new dev.kiln.ui.component.DiffView();
        diff.setId("revision-diff");
        diff.setSizeFull();
        diff.setVisible(false);
        var others = new java.util.ArrayList<FileRevision>(listed.stream().filter(r -> !r.commitId()
                .equals(revision.commitId())).toList());
        var compareWith = new com.vaadin.flow.component.select.Select<FileRevision>();
        compareWith.setId("revision-compare");
        compareWith.setLabel("Compare with");
        compareWith.setEmptySelectionAllowed(true);
        compareWith.setEmptySelectionCaption("nothing: show this version");
        var current = new FileRevision("", "the current text", "", clock.instant());
        var items = new java.util.ArrayList<FileRevision>();
        items.add(current);
        items.addAll(others);
        compareWith.setItems(items);
        compareWith.setItemLabelGenerator(r -> r == null ? "nothing: show this version" : r == current ? "the current text"
                : r.shortId() + " · " + r.message() + " · " + r.authorName() + " · " + ago(r.time()));
        compareWith.setEnabled(!content.binary());
        compareWith.addValueChangeListener(e -> {
            var other = e.getValue();
            viewer.setVisible(other == null);
            diff.setVisible(other != null);
            if (other == null) {
                return;
            }
            String otherText = other == current ? workspace.read(studioId, path).text()
                    : workspace.readAt(studioId, path, other.commitId()).text();
            String otherLabel = other == current ? "now" : other.shortId() + " · " + other.authorName() + " · "
                    + ago(other.time());
            String thisLabel = revision.shortId() + " · " + revision.authorName() + " · " + ago(revision.time());
            boolean otherIsOlder = other != current && other.time().isBefore(revision.time());
            if (otherIsOlder) {
                diff.show(otherText, otherLabel, content.text(), thisLabel, path);
            } else {
                diff.show(content.text(), thisLabel, otherText == null ? "" : otherText, otherLabel, path);
            }
        });
        var body = new Div(info, compareWith, viewer, diff);
        body.addClassName("kiln-pane");
        dialog.add(body);
        var restore = new Button("Restore this version", e -> {
            dialog.close();
            onRestore.accept(revision, content);
        });
        restore.setEnabled(!content.binary());
        restore.setVisible(canEdit);
        restore.setId("restore-version");
        var close = new Button("Close", e -> dialog.close());
        close.addThemeVariants(ButtonVariant.LUMO_PRIMARY);
        dialog.getFooter().add(restore, close);
        dialog.open();
    }

    private String ago(Instant time) {
        var age = Duration.between(time, clock.instant());
        if (age.toMinutes() < 1) {
            return "just now";
        }
        if (age.toHours() < 1) {
            return age.toMinutes() + " min ago";
        }
        if (age.toDays() < 1) {
            return age.toHours() + " h ago";
        }
        return WHEN.format(time);
    }
}
