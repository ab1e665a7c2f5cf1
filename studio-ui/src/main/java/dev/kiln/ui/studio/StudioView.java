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
import dev.kiln.api.files.FileContent;
import dev.kiln.api.files.FileRevision;
import dev.kiln.api.files.StudioWorkspace;
import dev.kiln.api.files.WorkspaceEntry;
import dev.kiln.api.studio.StudioCatalog;
import dev.kiln.api.studio.StudioException;
import dev.kiln.api.studio.StudioSharing;
import dev.kiln.api.studio.StudioSummary;
import dev.kiln.ui.component.CodeEditor;
import dev.kiln.ui.component.NotebookEditor;
import dev.kiln.ui.data.DataPanel;
import dev.kiln.api.data.StudioData;
import dev.kiln.api.files.FileEntry;
import dev.kiln.ui.files.FileViewer;
import dev.kiln.api.files.StudioFiles;
import dev.kiln.api.job.JobSummary;
import dev.kiln.ui.job.JobsPanel;
import dev.kiln.ui.job.MachineUsageBadge;
import dev.kiln.api.job.StudioJobs;
import com.vaadin.flow.component.tabs.Tab;
import com.vaadin.flow.component.tabs.TabSheet;
import dev.kiln.ui.component.Dialogs;
import dev.kiln.ui.shell.KilnHeader;
import dev.kiln.ui.machine.MachineButton;
import dev.kiln.api.machine.MachineControl;
import dev.kiln.api.security.CurrentUser;
import jakarta.annotation.security.PermitAll;

import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.time.Clock;

/**
 * One studio: its file tree, the editor and the open file's history. Text files are edited live with everyone
 * else who has them open (the editor talks to the collaboration WebSocket); binary files open read-only. Leaving
 * with changes the server has not confirmed yet asks first.
 */
@Route(value = "studio", autoLayout = false)
@PermitAll
public class StudioView extends Div implements HasUrlParameter<String>, BeforeLeaveObserver, HasDynamicTitle {

    private final StudioCatalog catalog;
    private final StudioWorkspace workspace;
    private final StudioSharing sharing;
    private final MachineControl machines;
    private final Clock clock;
    private final KilnHeader header;

    private StudioSummary studio;
    private String title = "Studio · Kiln";

    private final CodeEditor editor = new CodeEditor();
    /** .ipynb files open here instead of the text editor: cells, outputs, a kernel on the studio's machine. */
    private final NotebookEditor notebook = new NotebookEditor();
    private final Span fileTitle = new Span("No file open");
    private final Span dirtyMark = new Span("●");
    private final Button commit = new Button("Commit", VaadinIcon.CHECK.create());
    private final Div notice = new Div();
    private final Div emptyEditor = new Div("Pick a file on the left, or create one.");
    private final Span role = new Span();
    private FilesPanel files;
    private HistoryPanel history;
    /** The open files' tabs (see EditorTabs); text files share the one live editor. */
    private EditorTabs editorTabs;
    private Div codePane;
    private final StudioJobs jobs;
    private final StudioData data;
    private final StudioFiles studioFiles;
    private FileViewer viewer;

    /** The file in the editor, and whether it is edited live (text) or shown read-only (binary). */
    private String openPath;
    private boolean live;

    public StudioView(StudioCatalog catalog, StudioWorkspace workspace, StudioSharing sharing, MachineControl machines,
                      StudioJobs jobs, StudioData data, StudioFiles studioFiles, CurrentUser user, Clock clock) {
        this.studioFiles = studioFiles;
        this.machines = machines;
        this.jobs = jobs;
        this.data = data;
        this.catalog = catalog;
        this.workspace = workspace;
        this.sharing = sharing;
        this.clock = clock;
        this.header = new KilnHeader(user);
        addClassName("kiln-page");
        setSizeFull();
    }

    @Override
    public void setParameter(BeforeEvent event, String id) {
        removeAll();
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
        role.setText(studio.isOwner() ? "" : studio.canEdit() ? "shared with you · can edit" : "shared with you · view only");
        role.addClassName("kiln-muted");
        role.setId("studio-role");
        if (studio.isOwner()) {
            var share = new Button("Share", VaadinIcon.CONNECT.create(), e -> new ShareDialog(studio.id(), studio.name(), sharing, clock).open());
            share.addThemeVariants(ButtonVariant.LUMO_SMALL);
            share.setId("share");
            header.setMiddle(back, new Span("/"), name, share, new MachineButton(studio.id(), machines, true, clock,
                    this::runningJobs), new MachineUsageBadge(studio.id(), jobs));
        } else {
            header.setMiddle(back, new Span("/"), name, role, new MachineButton(studio.id(), machines, false, clock,
                    this::runningJobs), new MachineUsageBadge(studio.id(), jobs));
        }
        add(header, body());
        // The open file is in the address (?file=), so a reload (Vaadin reloads the page after a server restart)
        // opens it again, and the editor sends what it kept unsent.
        event.getLocation().getQueryParameters().getSingleParameter("file").ifPresent(this::open);
    }

    private int runningJobs() {
        return (int) jobs.jobs(studio.id()).stream().filter(j -> !j.status().ended()).count();
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
        files = new FilesPanel(studio.id(), studioFiles, studio.canEdit(), clock, new FilesPanel.FileEvents() {
                    @Override
                    public void renamed(String from, String to) {
                        editorTabs.rename(from, to);
                        if (openPath != null && (openPath.equals(from) || openPath.startsWith(from + "/"))) {
                            open(to + openPath.substring(from.length()));
                        }
                    }

                    @Override
                    public void deleted(String path) {
                        editorTabs.paths().stream().filter(p -> p.equals(path) || p.startsWith(path + "/"))
                                .filter(p -> !p.equals(openPath)).forEach(editorTabs::remove);
                        if (openPath != null && (openPath.equals(path) || openPath.startsWith(path + "/"))) {
                            // Another open tab takes its place, if there is one.
                            editorTabs.remove(openPath).ifPresentOrElse(StudioView.this::open, StudioView.this::close);
                            showNotice("The open file was deleted. Its earlier versions stay in the repository's history.", false);
                        }
                    }
                }, this::preview);
        // Versioned text opens in the live editor; images, checkpoints, Parquet and the machine's files in the viewer.
        files.addOpener(entry -> {
            if (entry.where() != FileEntry.Where.VERSIONED || FileViewer.previews(entry.name())) {
                return false;
            }
            confirmIfUnsent(() -> open(entry.workspacePath()));
            return true;
        });
        viewer = new FileViewer(studioFiles, studio.id(), studio.canEdit());
        viewer.setVisible(false);
        history = new HistoryPanel(studio.id(), workspace, clock, studio.canEdit(), this::restore);

        commit.addThemeVariants(ButtonVariant.LUMO_PRIMARY, ButtonVariant.LUMO_SMALL);
        commit.setId("save");
        commit.setTooltipText("Commit the file now (Ctrl+S). Edits are also committed by themselves a moment after you stop typing.");
        commit.addClickListener(e -> commitNow());
        commit.setEnabled(false);
        commit.setVisible(studio.canEdit());
        dirtyMark.addClassName("kiln-dirty-mark");
        dirtyMark.setTitle("Changes the server has not confirmed yet");
        dirtyMark.setId("dirty-mark");
        dirtyMark.setVisible(false);
        fileTitle.addClassName("kiln-file-title");
        fileTitle.setId("file-title");
        var toolbar = new Div(fileTitle, dirtyMark, editorTools(), commit);
        toolbar.addClassName("kiln-toolbar");
        notice.addClassName("kiln-notice");
        notice.setId("editor-notice");
        notice.setVisible(false);
        emptyEditor.addClassName("kiln-empty");
        editor.setId("editor");
        editor.setVisible(false);
        editor.addDirtyChangedListener(e -> {
            dirtyMark.setVisible(e.isDirty());
            if (openPath != null) {
                editorTabs.setDirty(openPath, e.isDirty());
            }
        });
        editor.addSaveRequestedListener(e -> commitNow());
        editor.addCollabStatusListener(e -> {
            if ("revoked".equals(e.status()) || "closed".equals(e.status())) {
                showNotice(e.message(), true);
                commit.setEnabled(false);
            }
            if ("revoked".equals(e.status())) {
                role.setText("access revoked");
            }
        });
        notebook.setId("notebook");
        notebook.setVisible(false);
        notebook.addClassName("kiln-notebook-pane");
        codePane = new Div(toolbar, notice, emptyEditor, editor, viewer, notebook);
        codePane.addClassName("kiln-pane");
        editorTabs = new EditorTabs(codePane, new EditorTabs.Listener() {
            @Override
            public void selected(String path) {
                if (!path.equals(openPath)) {
                    confirmIfUnsent(() -> open(path));
                }
            }

            @Override
            public void closed(String path) {
                if (!path.equals(openPath)) {
                    editorTabs.remove(path);
                    return;
                }
                confirmIfUnsent(() -> editorTabs.remove(path).ifPresentOrElse(StudioView.this::open, StudioView.this::close));
            }
        });
        var editorPane = new Div(editorTabs);
        editorPane.addClassName("kiln-pane");
        shortcuts();

        var terminalHint = new Span(studio.canEdit() ? "each shared with everyone in this studio"
                : "view only: you see what others type");
        terminalHint.addClassName("kiln-muted");
        var terminals = new dev.kiln.ui.component.TerminalTabs(studio.id(), studio.canEdit(),
                () -> machines.terminals(studio.id()));
        terminals.setId("terminal");
        var terminalBar = new Div(terminalHint);
        terminalBar.addClassName("kiln-toolbar");
        var terminalPane = new Div(terminalBar, terminals);
        terminalPane.addClassName("kiln-bottom-pane");
        var jobsPanel = new JobsPanel(studio.id(), jobs, studio.canEdit(), clock, this::openDiagnostic);
        var bottom = new TabSheet();
        bottom.addClassName("kiln-bottom-tabs");
        bottom.add(tab("Terminal", "tab-terminal"), terminalPane);
        bottom.add(tab("Jobs", "tab-jobs"), jobsPanel);
        bottom.add(tab("Data", "tab-data"), new DataPanel(studio.id(), data, studio.canEdit()));
        bottom.setSizeFull();
        var center = new SplitLayout(editorPane, bottom);
        center.setOrientation(SplitLayout.Orientation.VERTICAL);
        center.setSplitterPosition(55);
        center.setSizeFull();
        bottom.setSuffixComponent(maximizeToggle(center));

        var right = new SplitLayout(center, history);
        right.setSplitterPosition(78);
        right.setSizeFull();
        var split = new SplitLayout(files, right);
        split.setSplitterPosition(26);
        split.addClassName("kiln-studio-body");
        split.setWidthFull();
        return split;
    }

    /** Gives the terminal, jobs and data tabs most of the height, and back (jobs and their charts want room). */
    private static Button maximizeToggle(SplitLayout center) {
        var toggle = new Button(VaadinIcon.EXPAND_SQUARE.create());
        toggle.setId("bottom-maximize");
        toggle.addThemeVariants(ButtonVariant.LUMO_TERTIARY, ButtonVariant.LUMO_ICON, ButtonVariant.LUMO_SMALL);
        toggle.setAriaLabel("Make the panel taller");
        toggle.setTooltipText("Make the panel taller, or give the editor its room back");
        toggle.addClickListener(e -> {
            boolean tall = "true".equals(toggle.getElement().getAttribute("data-tall"));
            center.setSplitterPosition(tall ? 55 : 12);
            toggle.getElement().setAttribute("data-tall", String.valueOf(!tall));
            toggle.setIcon((tall ? VaadinIcon.EXPAND_SQUARE : VaadinIcon.COMPRESS_SQUARE).create());
        });
        return toggle;
    }

    private static Tab tab(String label, String id) {
        var tab = new Tab(label);
        tab.setId(id);
        return tab;
    }

    /** A compile error from a job: open the file at its line, marked. */
    private void openDiagnostic(JobSummary.Diagnostic diagnostic) {
        if (diagnostic.path() == null) {
            return;
        }
        confirmIfUnsent(() -> {
            if (!diagnostic.path().equals(openPath)) {
                open(diagnostic.path());
            }
            editor.goTo(diagnostic.line(), diagnostic.column(), diagnostic.message());
        });
    }

    private void open(String path) {
        FileContent content;
        try {
            content = workspace.read(studio.id(), path);
        } catch (StudioException e) {
            showNotice(e.getMessage(), true);
            return;
        }
        openPath = path;
        fileTitle.setText(path);
        viewer.setVisible(false);
        editor.setVisible(true);
        emptyEditor.setVisible(false);
        dirtyMark.setVisible(false);
        notice.setVisible(false);
        live = !content.binary();
        if (live && isNotebook(path)) {
            editor.setVisible(false);
            editor.load("", "", true);
            notebook.setVisible(true);
            notebook.open(studio.id(), path);
        } else if (live) {
            notebook.setVisible(false);
            notebook.close();
            editor.connect("/collab/" + studio.id() + "?path=" + URLEncoder.encode(path, StandardCharsets.UTF_8), path);
            editor.focusEditor();
        } else {
            notebook.setVisible(false);
            notebook.close();
            editor.load("", path, true);
            showNotice("This is a binary file (" + content.size() + " bytes). It is shown read-only so it cannot be garbled.", false);
        }
        commit.setEnabled(live && studio.canEdit());
        files.select(path);
        history.show(path);
        editorTabs.open(path, codePane);
        getUI().ifPresent(ui -> ui.getPage().getHistory().replaceState(null,
                new com.vaadin.flow.router.Location("studio/" + studio.id(),
                        com.vaadin.flow.router.QueryParameters.of("file", path))));
    }

    /** Shows a file in the viewer (read-only: the machine's files, images, checkpoints, tables). */
    private void preview(FileEntry entry) {
        confirmIfUnsent(() -> {
            close();
            emptyEditor.setVisible(false);
            notice.setVisible(false);
            fileTitle.setText("");
            viewer.setVisible(true);
            viewer.show(entry.path());
            if (entry.where() == FileEntry.Where.VERSIONED) {
                history.show(entry.workspacePath());
            }
        });
    }

    /** Go to file, search in files, wrap: buttons in the editor's toolbar (and Ctrl+P, Ctrl+Shift+F). */
    private Div editorTools() {
        var quick = new Button(VaadinIcon.FILE_SEARCH.create(), e -> quickOpen());
        quick.setId("quick-open-button");
        quick.setTooltipText("Go to file (Ctrl+P)");
        quick.setAriaLabel("Go to file");
        var search = new Button(VaadinIcon.SEARCH.create(), e -> searchFiles());
        search.setId("search-files-button");
        search.setTooltipText("Search in files (Ctrl+Shift+F)");
        search.setAriaLabel("Search in files");
        var wrap = new Button(VaadinIcon.TEXT_LABEL.create());
        wrap.setId("wrap-toggle");
        wrap.setTooltipText("Wrap long lines");
        wrap.setAriaLabel("Wrap long lines");
        wrap.getElement().setAttribute("aria-pressed", "false");
        wrap.addClickListener(e -> {
            boolean on = !"true".equals(wrap.getElement().getAttribute("aria-pressed"));
            wrap.getElement().setAttribute("aria-pressed", String.valueOf(on));
            editor.setWrap(on);
        });
        for (var button : java.util.List.of(quick, search, wrap)) {
            button.addThemeVariants(ButtonVariant.LUMO_TERTIARY, ButtonVariant.LUMO_ICON, ButtonVariant.LUMO_SMALL);
        }
        var tools = new Div(quick, search, wrap);
        tools.addClassName("kiln-editor-tools");
        return tools;
    }

    private void shortcuts() {
        com.vaadin.flow.component.Shortcuts.addShortcutListener(this, this::quickOpen,
                com.vaadin.flow.component.Key.KEY_P, com.vaadin.flow.component.KeyModifier.CONTROL);
        com.vaadin.flow.component.Shortcuts.addShortcutListener(this, this::searchFiles,
                com.vaadin.flow.component.Key.KEY_F, com.vaadin.flow.component.KeyModifier.CONTROL,
                com.vaadin.flow.component.KeyModifier.SHIFT);
    }

    private void quickOpen() {
        var paths = workspace.tree(studio.id()).stream().filter(e -> !e.directory()).map(WorkspaceEntry::path).toList();
        new QuickOpen(paths, path -> confirmIfUnsent(() -> open(path))).open();
    }

    private void searchFiles() {
        new SearchFilesDialog(studio.id(), workspace, null, (path, line, column) -> confirmIfUnsent(() -> {
            if (!path.equals(openPath)) {
                open(path);
            }
            editor.goTo(line, column, null);
        })).open();
    }

    private static boolean isNotebook(String path) {
        return path.toLowerCase(java.util.Locale.ROOT).endsWith(".ipynb");
    }

    private void close() {
        openPath = null;
        if (viewer != null) {
            viewer.setVisible(false);
        }
        live = false;
        notebook.setVisible(false);
        notebook.close();
        getUI().ifPresent(ui -> ui.getPage().getHistory().replaceState(null, "studio/" + studio.id()));
        fileTitle.setText("No file open");
        editor.setVisible(false);
        editor.load("", "", true);
        emptyEditor.setVisible(true);
        dirtyMark.setVisible(false);
        commit.setEnabled(false);
        history.show(null);
    }

    /** Everything typed is already saved on the server; this commits it to git now rather than in a moment. */
    private void commitNow() {
        if (openPath == null || !live || !studio.canEdit()) {
            return;
        }
        workspace.commitNow(studio.id(), openPath);
        history.show(openPath);
        Dialogs.info("Committed " + openPath);
    }

    private void restore(FileRevision revision, FileContent content) {
        workspace.restore(studio.id(), content.path(), revision.commitId());
        if (!content.path().equals(openPath)) {
            open(content.path());
        }
        history.show(content.path());
        Dialogs.info("Restored " + content.path() + " to " + revision.shortId());
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

    private void confirmIfUnsent(Runnable action) {
        if (!editor.isDirty()) {
            action.run();
            return;
        }
        Dialogs.confirm("Leave with unsent changes?", openPath + " has changes the server has not confirmed yet (the connection may be down). "
                + "They are lost if you leave now.", "Leave anyway", true, action);
    }

    @Override
    public void beforeLeave(BeforeLeaveEvent event) {
        if (editor.isDirty()) {
            var postponed = event.postpone();
            Dialogs.confirm("Leave with unsent changes?", openPath + " has changes the server has not confirmed yet. They are lost if you leave now.",
                    "Leave without saving", true, postponed::proceed);
        }
    }

    @Override
    public String getPageTitle() {
        return title;
    }
}
