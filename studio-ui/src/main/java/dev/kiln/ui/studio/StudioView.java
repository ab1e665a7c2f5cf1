package dev.kiln.ui.studio;

import com.vaadin.flow.component.button.Button;
import com.vaadin.flow.component.button.ButtonVariant;
import com.vaadin.flow.component.html.Anchor;
import com.vaadin.flow.component.html.Div;
import com.vaadin.flow.component.html.H2;
import com.vaadin.flow.component.html.Paragraph;
import com.vaadin.flow.component.html.Span;
import com.vaadin.flow.component.icon.VaadinIcon;
import com.vaadin.flow.component.splitlayout.SplitLayout;
import com.vaadin.flow.router.BeforeEvent;
import com.vaadin.flow.router.BeforeLeaveEvent;
import com.vaadin.flow.router.BeforeLeaveObserver;
import com.vaadin.flow.router.HasDynamicTitle;
import com.vaadin.flow.router.HasUrlParameter;
import com.vaadin.flow.router.Route;
import dev.kiln.ui.component.CodeEditor;
import dev.kiln.ui.component.Dialogs;
import dev.kiln.ui.component.KilnHeader;
import dev.kiln.ui.security.CurrentUser;
import jakarta.annotation.security.PermitAll;

import java.time.Clock;

/**
 * One studio: its file tree, the editor and the open file's history. Leaving (another file, another page, closing
 * the tab) with unsaved changes asks first.
 */
@Route(value = "studio", autoLayout = false)
@PermitAll
public class StudioView extends Div implements HasUrlParameter<String>, BeforeLeaveObserver, HasDynamicTitle {

    private final StudioCatalog catalog;
    private final StudioWorkspace workspace;
    private final Clock clock;
    private final KilnHeader header;

    private String studioId;
    private String title = "Studio · Kiln";

    private final CodeEditor editor = new CodeEditor();
    private final Span fileTitle = new Span("No file open");
    private final Span dirtyMark = new Span("●");
    private final Button save = new Button("Save", VaadinIcon.CHECK.create());
    private final Div notice = new Div();
    private final Div emptyEditor = new Div("Pick a file on the left, or create one.");
    private FilesPanel files;
    private HistoryPanel history;

    /** The file in the editor: its path and the version it was loaded at (for conflict checks). */
    private String openPath;
    private String openVersion;
    private boolean readOnly = true;

    public StudioView(StudioCatalog catalog, StudioWorkspace workspace, CurrentUser user, Clock clock) {
        this.catalog = catalog;
        this.workspace = workspace;
        this.clock = clock;
        this.header = new KilnHeader(user);
        addClassName("kiln-page");
        setSizeFull();
    }

    @Override
    public void setParameter(BeforeEvent event, String id) {
        removeAll();
        this.studioId = id;
        StudioSummary studio;
        try {
            studio = catalog.open(id);
        } catch (StudioException e) {
            showNotFound(e.getMessage());
            return;
        }
        title = studio.name() + " · Kiln";
        var back = new Anchor("", "My studios");
        var name = new Span(studio.name());
        name.setId("studio-name");
        name.getStyle().set("font-weight", "600");
        header.setMiddle(back, new Span("/"), name);
        add(header, body());
    }

    private void showNotFound(String message) {
        title = "Not found · Kiln";
        header.setMiddle(new Anchor("", "My studios"));
        var box = new Div(new H2("Studio not available"), new Paragraph(message), new Anchor("", "Back to my studios"));
        box.addClassName("kiln-studios");
        box.setId("studio-not-found");
        add(header, box);
    }

    private SplitLayout body() {
        files = new FilesPanel(studioId, workspace, entry -> confirmIfDirty(() -> open(entry.path())), new FilesPanel.FileEvents() {
            @Override
            public void renamed(String from, String to) {
                if (openPath != null && (openPath.equals(from) || openPath.startsWith(from + "/"))) {
                    var newPath = to + openPath.substring(from.length());
                    openPath = newPath;
                    fileTitle.setText(newPath);
                    history.show(newPath);
                }
            }

            @Override
            public void deleted(String path) {
                if (openPath != null && (openPath.equals(path) || openPath.startsWith(path + "/"))) {
                    close();
                    showNotice("The open file was deleted. Its earlier versions stay in the history of the repository.", false);
                }
            }
        });
        history = new HistoryPanel(studioId, workspace, clock, this::restore);

        save.addThemeVariants(ButtonVariant.LUMO_PRIMARY, ButtonVariant.LUMO_SMALL);
        save.setId("save");
        save.setTooltipText("Save and commit (Ctrl+S)");
        save.addClickListener(e -> saveNow());
        save.setEnabled(false);
        dirtyMark.addClassName("kiln-dirty-mark");
        dirtyMark.setTitle("Unsaved changes");
        dirtyMark.setId("dirty-mark");
        dirtyMark.setVisible(false);
        fileTitle.addClassName("kiln-file-title");
        fileTitle.setId("file-title");
        var toolbar = new Div(fileTitle, dirtyMark, save);
        toolbar.addClassName("kiln-toolbar");
        notice.addClassName("kiln-notice");
        notice.setId("editor-notice");
        notice.setVisible(false);
        emptyEditor.addClassName("kiln-empty");
        editor.setId("editor");
        editor.setVisible(false);
        editor.addDirtyChangedListener(e -> showDirty(e.isDirty()));
        editor.addSaveRequestedListener(e -> saveNow());
        var editorPane = new Div(toolbar, notice, emptyEditor, editor);
        editorPane.addClassName("kiln-pane");

        var right = new SplitLayout(editorPane, history);
        right.setSplitterPosition(78);
        right.setSizeFull();
        var split = new SplitLayout(files, right);
        split.setSplitterPosition(20);
        split.addClassName("kiln-studio-body");
        split.setWidthFull();
        return split;
    }

    private void open(String path) {
        FileContent content;
        try {
            content = workspace.read(studioId, path);
        } catch (StudioException e) {
            showNotice(e.getMessage(), true);
            return;
        }
        openPath = path;
        openVersion = content.version();
        readOnly = content.binary();
        fileTitle.setText(path);
        editor.setVisible(true);
        emptyEditor.setVisible(false);
        editor.load(content.binary() ? "" : content.text(), path, readOnly);
        showDirty(false);
        if (content.binary()) {
            showNotice("This is a binary file (" + content.size() + " bytes). It is shown read-only so it cannot be garbled.", false);
        } else {
            notice.setVisible(false);
            editor.focusEditor();
        }
        files.select(path);
        history.show(path);
    }

    private void close() {
        openPath = null;
        openVersion = null;
        readOnly = true;
        fileTitle.setText("No file open");
        editor.setVisible(false);
        editor.load("", "", true);
        emptyEditor.setVisible(true);
        showDirty(false);
        history.show(null);
    }

    private void saveNow() {
        if (openPath == null || readOnly) {
            return;
        }
        var path = openPath;
        editor.readText(text -> save(path, text, openVersion));
    }

    private void save(String path, String text, String baseVersion) {
        try {
            var saved = workspace.save(studioId, path, text, baseVersion);
            if (!path.equals(openPath)) {
                return;
            }
            openVersion = saved.version();
            editor.markSaved(text);
            showDirty(false);
            notice.setVisible(false);
            history.show(path);
            Dialogs.info("Saved " + path);
        } catch (StudioException e) {
            if (e.kind() == StudioException.Kind.CONFLICT) {
                showConflict(path, text);
            } else {
                showNotice(e.getMessage(), true);
            }
        }
    }

    /** Someone else saved first: offer to take theirs, or to save ours over it (theirs stays in the history). */
    private void showConflict(String path, String mine) {
        notice.removeAll();
        notice.getElement().setAttribute("theme", "error");
        var reload = new Button("Load their version (discard mine)", e -> open(path));
        reload.addThemeVariants(ButtonVariant.LUMO_SMALL);
        reload.setId("conflict-reload");
        var overwrite = new Button("Save mine over it", e -> {
            var latest = workspace.read(studioId, path);
            save(path, mine, latest.version());
        });
        overwrite.addThemeVariants(ButtonVariant.LUMO_SMALL, ButtonVariant.LUMO_ERROR);
        overwrite.setId("conflict-overwrite");
        notice.add(new Span(path + " changed since you opened it (saved from another tab or by another person). "
                + "Your text is still in the editor. "), reload, overwrite);
        notice.setVisible(true);
    }

    private void restore(FileRevision revision, FileContent content) {
        confirmIfDirty(() -> {
            var current = workspace.read(studioId, content.path());
            workspace.save(studioId, content.path(), content.text(), current.version());
            open(content.path());
            Dialogs.info("Restored " + content.path() + " to " + revision.shortId());
        });
    }

    private void showDirty(boolean dirty) {
        dirtyMark.setVisible(dirty);
        save.setEnabled(dirty && !readOnly);
    }

    private void showNotice(String text, boolean error) {
        notice.removeAll();
        notice.setText(text);
        if (error) {
            notice.getElement().setAttribute("theme", "error");
        } else {
            notice.getElement().removeAttribute("theme");
        }
        notice.setVisible(true);
    }

    private void confirmIfDirty(Runnable action) {
        if (!editor.isDirty()) {
            action.run();
            return;
        }
        Dialogs.confirm("Discard unsaved changes?", openPath + " has changes that are not saved.", "Discard changes", true, action);
    }

    @Override
    public void beforeLeave(BeforeLeaveEvent event) {
        if (editor.isDirty()) {
            var postponed = event.postpone();
            Dialogs.confirm("Leave with unsaved changes?", openPath + " has changes that are not saved. They will be lost.",
                    "Leave without saving", true, postponed::proceed);
        }
    }

    @Override
    public String getPageTitle() {
        return title;
    }
}
