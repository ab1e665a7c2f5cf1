package dev.kiln.ui.files;

import com.vaadin.flow.component.grid.Grid;
import com.vaadin.flow.component.grid.GridVariant;
import com.vaadin.flow.component.html.Anchor;
import com.vaadin.flow.component.html.AnchorTarget;
import com.vaadin.flow.component.html.Div;
import com.vaadin.flow.component.html.Image;
import com.vaadin.flow.component.html.Paragraph;
import com.vaadin.flow.component.html.Pre;
import com.vaadin.flow.component.html.Span;
import com.vaadin.flow.component.icon.VaadinIcon;
import dev.kiln.api.files.FileEntry;
import dev.kiln.api.files.FilePreview;
import dev.kiln.api.files.StudioFiles;
import dev.kiln.api.studio.StudioException;
import dev.kiln.ui.component.CodeEditor;

import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Locale;
import java.util.stream.Collectors;

/**
 * Shows a file that is not edited live: text and code read-only, CSV and Parquet as tables (the Data tab's
 * readers), images, a safetensors checkpoint's tensors, and for anything else what it is and a download. The
 * header says where the file is (versioned, on the machine only, in the machine's home), its size and age.
 */
public class FileViewer extends Div {
    private final StudioFiles files;
    private final String studioId;
    private final Span title = new Span();
    private final Span meta = new Span();
    private final Anchor download = new Anchor();
    private final Div body = new Div();
    private final CodeEditor text = new CodeEditor();
    private final boolean canEdit;
    private final com.vaadin.flow.component.button.Button edit = new com.vaadin.flow.component.button.Button("Edit");
    private final com.vaadin.flow.component.button.Button save =
            new com.vaadin.flow.component.button.Button("Save to the machine");
    private String path;
    private FilePreview shown;

    public FileViewer(StudioFiles files, String studioId, boolean canEdit) {
        this.files = files;
        this.studioId = studioId;
        this.canEdit = canEdit;
        setId("file-viewer");
        addClassName("kiln-file-viewer");
        title.addClassName("kiln-file-title");
        title.setId("file-viewer-title");
        meta.addClassName("kiln-muted");
        meta.setId("file-viewer-meta");
        download.add(VaadinIcon.DOWNLOAD.create(), new Span(" Download"));
        download.setId("file-viewer-download");
        download.getElement().setAttribute("download", true);
        download.setTarget(AnchorTarget.DEFAULT);
        edit.setId("file-viewer-edit");
        edit.addThemeVariants(com.vaadin.flow.component.button.ButtonVariant.LUMO_SMALL);
        edit.addClickListener(e -> startEditing());
        save.setId("file-viewer-save");
        save.addThemeVariants(com.vaadin.flow.component.button.ButtonVariant.LUMO_SMALL,
                com.vaadin.flow.component.button.ButtonVariant.LUMO_PRIMARY);
        save.addClickListener(e -> saveText());
        edit.setVisible(false);
        save.setVisible(false);
        var bar = new Div(title, meta, edit, save, download);
        bar.addClassName("kiln-toolbar");
        body.addClassName("kiln-file-viewer-body");
        text.setId("file-preview-text");
        add(bar, body);
    }

    /**
     * Whether a file of this name is shown here even when it is versioned: images, checkpoints and Parquet, which the
     * editor could only show as binary.
     */
    public static boolean previews(String name) {
        String lower = name.toLowerCase(Locale.ROOT);
        return lower.matches(".*\\.(png|jpe?g|gif|webp|bmp|ico|safetensors|parquet)$");
    }

    /** The file shown now (home-relative), or null. */
    public String path() {
        return path;
    }

    public void show(String homePath) {
        this.path = homePath;
        this.shown = null;
        title.setText("~/" + homePath);
        body.removeAll();
        edit.setVisible(false);
        save.setVisible(false);
        download.setHref(downloadUrl(studioId, homePath, null));
        FilePreview preview;
        try {
            preview = files.preview(studioId, homePath);
        } catch (StudioException e) {
            meta.setText("");
            body.add(note(e.getMessage(), true));
            return;
        }
        this.shown = preview;
        meta.setText(describe(preview));
        meta.getElement().setAttribute("data-where", preview.where().name());
        switch (preview.kind()) {
            case "text" -> {
                text.load(preview.text(), preview.path(), true);
                body.add(text);
                // A file that is not versioned and fits the editor may be changed here, and saved to the machine.
                edit.setVisible(canEdit && !preview.truncated() && preview.where() != FileEntry.Where.VERSIONED
                        && preview.size() <= files.maxFileBytes());
                if (preview.truncated()) {
                    body.addComponentAsFirst(note("Only the first " + human(preview.text().length())
                            + " are shown. Download the file, or open it in the terminal, for the rest.", false));
                }
            }
            case "csv", "parquet" -> {
                if (preview.kind().equals("parquet") && preview.text() != null) {
                    var schema = new Pre(preview.text());
                    schema.setId("file-preview-schema");
                    schema.addClassName("kiln-file-schema");
                    body.add(schema);
                }
                if (preview.note() != null) {
                    body.add(note(preview.note(), false));
                }
                if (!preview.rows().isEmpty()) {
                    body.add(table(preview.rows()));
                    if (preview.truncated()) {
                        body.add(note("The first " + (preview.rows().size() - 1) + " rows.", false));
                    }
                }
            }
            case "image" -> {
                var image = new Image(preview.url(), homePath);
                image.setId("file-preview-image");
                image.addClassName("kiln-file-image");
                body.add(image);
            }
            case "safetensors" -> body.add(tensors(preview));
            default -> body.add(note(preview.note() == null ? "This file can't be shown here. Download it to open it."
                    : preview.note(), false));
        }
    }

    private void startEditing() {
        if (shown == null) {
            return;
        }
        text.load(shown.text(), shown.path(), false);
        text.focusEditor();
        edit.setVisible(false);
        save.setVisible(true);
    }

    private void saveText() {
        var preview = shown;
        if (preview == null) {
            return;
        }
        text.readText(value -> {
            try {
                files.write(studioId, preview.path(), value, preview.modified());
                dev.kiln.ui.component.Dialogs.info("Saved ~/" + preview.path() + " on the machine");
                show(preview.path());
            } catch (StudioException e) {
                dev.kiln.ui.component.Dialogs.error(e.getMessage());
            }
        });
    }

    private Grid<List<String>> table(List<List<String>> rows) {
        var grid = new Grid<List<String>>();
        grid.setId("file-preview-table");
        grid.addThemeVariants(GridVariant.LUMO_COMPACT, GridVariant.LUMO_COLUMN_BORDERS);
        List<String> header = rows.getFirst();
        for (int i = 0; i < header.size(); i++) {
            int column = i;
            grid.addColumn(row -> column < row.size() ? row.get(column) : "").setHeader(header.get(i)).setAutoWidth(true)
                    .setResizable(true);
        }
        grid.setItems(rows.subList(1, rows.size()));
        grid.addClassName("kiln-file-table");
        return grid;
    }

    private Div tensors(FilePreview preview) {
        long parameters = preview.tensors().stream().mapToLong(FilePreview.Tensor::elements).sum();
        long bytes = preview.tensors().stream().mapToLong(FilePreview.Tensor::bytes).sum();
        var summary = new Paragraph(preview.tensors().size() + " tensors · " + String.format(Locale.ROOT, "%,d", parameters)
                + " parameters · " + human(bytes) + (preview.text() == null || preview.text().isBlank() ? ""
                : " · " + preview.text().strip().replace('\n', ' ')));
        summary.setId("file-preview-summary");
        var grid = new Grid<FilePreview.Tensor>();
        grid.setId("file-preview-tensors");
        grid.addThemeVariants(GridVariant.LUMO_COMPACT, GridVariant.LUMO_COLUMN_BORDERS);
        grid.addColumn(FilePreview.Tensor::name).setHeader("Tensor").setFlexGrow(3).setResizable(true);
        grid.addColumn(FilePreview.Tensor::dtype).setHeader("dtype").setAutoWidth(true);
        grid.addColumn(t -> t.shape().stream().map(String::valueOf).collect(Collectors.joining(" × ", "[", "]")))
                .setHeader("Shape").setAutoWidth(true);
        grid.addColumn(t -> String.format(Locale.ROOT, "%,d", t.elements())).setHeader("Values").setAutoWidth(true);
        grid.addColumn(t -> human(t.bytes())).setHeader("Size").setAutoWidth(true);
        grid.setItems(preview.tensors());
        grid.addClassName("kiln-file-table");
        var box = new Div(summary);
        if (preview.note() != null) {
            box.add(note(preview.note(), true));
        }
        box.add(grid);
        box.addClassName("kiln-file-tensors");
        return box;
    }

    private static Paragraph note(String text, boolean error) {
        var note = new Paragraph(text);
        note.setId("file-preview-note");
        note.addClassName(error ? "kiln-error" : "kiln-muted");
        return note;
    }

    private static String describe(FilePreview preview) {
        String where = switch (preview.where()) {
            case VERSIONED -> "versioned in the workspace";
            case MACHINE_ONLY -> "on the machine only (not versioned)";
            case HOME -> "in the machine's home";
        };
        return where + " · " + human(preview.size()) + (preview.modified() == null ? ""
                : " · changed " + FileTimes.format(preview.modified()));
    }

    /** The download route of a file or folder; {@code format} (zip or tar.gz) for folders, null for a file. */
    public static String downloadUrl(String studioId, String homePath, String format) {
        return "/api/studios/" + studioId + "/fs/download?path=" + URLEncoder.encode(homePath, StandardCharsets.UTF_8)
                + (format == null ? "" : "&format=" + URLEncoder.encode(format, StandardCharsets.UTF_8));
    }

    static String human(long bytes) {
        if (bytes < 1024) {
            return bytes + " B";
        }
        String[] units = {"KB", "MB", "GB", "TB"};
        double value = bytes;
        int unit = -1;
        while (value >= 1024 && unit < units.length - 1) {
            value /= 1024;
            unit++;
        }
        return String.format(Locale.ROOT, value >= 100 ? "%.0f %s" : "%.1f %s", value, units[unit]);
    }
}
