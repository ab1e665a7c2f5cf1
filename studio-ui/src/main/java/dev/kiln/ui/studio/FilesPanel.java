package dev.kiln.ui.studio;

import com.vaadin.flow.component.AttachEvent;
import com.vaadin.flow.component.DetachEvent;
import com.vaadin.flow.component.button.Button;
import com.vaadin.flow.component.button.ButtonVariant;
import com.vaadin.flow.component.html.Anchor;
import com.vaadin.flow.component.html.Div;
import com.vaadin.flow.component.html.Span;
import com.vaadin.flow.component.icon.Icon;
import com.vaadin.flow.component.icon.VaadinIcon;
import com.vaadin.flow.component.treegrid.TreeGrid;
import com.vaadin.flow.data.provider.hierarchy.TreeData;
import com.vaadin.flow.data.provider.hierarchy.TreeDataProvider;
import com.vaadin.flow.shared.Registration;
import dev.kiln.api.files.FileEntry.Where;
import dev.kiln.api.files.FileEntry;
import dev.kiln.api.files.StudioFiles;
import dev.kiln.api.studio.StudioException;
import dev.kiln.ui.component.Dialogs;
import dev.kiln.ui.files.FileDrop;
import dev.kiln.ui.files.FileViewer;

import java.time.ZoneId;
import java.time.format.DateTimeFormatter;
import java.time.format.FormatStyle;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.Consumer;

/**
 * The studio's files as one tree: the versioned workspace (always there) and the machine's home (data, job outputs,
 * checkpoints; only while a machine runs, else it says offline), each entry with its size and age, workspace files
 * that stay on the machine marked as such. It follows the machine live: a file made, moved or deleted in the
 * terminal shows within about a second (the tree reloads when the studio's file revision moves). Files are opened
 * through the openers registered with {@link #addOpener}; the first that takes a file wins, and the viewer shows
 * the rest. Uploads (drop files or folders on the tree, or the buttons) stream from the browser; downloads are links.
 */
@com.vaadin.flow.component.dependency.StyleSheet("styles/kiln-files.css")
class FilesPanel extends Div {

    /** What the studio view must know when the tree changes files underneath the editor (workspace paths). */
    interface FileEvents {
        void renamed(String from, String to);

        void deleted(String path);
    }

    /** Opens a file picked in the tree, or declines it (false) for the next opener; the viewer takes the rest. */
    interface Opener {
        boolean open(FileEntry entry);
    }

    /**
     * A row of the tree: one of the two parts, an entry, or a line of text (offline, loading). Rows are the same row
     * when their key is (a path, or a note's place), so a reload that only changed sizes and times keeps what is open
     * and where the tree is scrolled.
     */
    record Node(Kind kind, FileEntry entry, String label, String key) {
        enum Kind { WORKSPACE, HOME, ENTRY, NOTE, LOADING }

        static Node of(FileEntry entry) {
            return new Node(Kind.ENTRY, entry, "", "entry:" + entry.path());
        }

        static Node note(String parent, String text) {
            return new Node(Kind.NOTE, null, text, "note:" + parent);
        }

        static Node loading(String folder) {
            return new Node(Kind.LOADING, null, folder, "loading:" + folder);
        }

        boolean folder() {
            return kind == Kind.WORKSPACE || kind == Kind.HOME || (kind == Kind.ENTRY && entry.directory());
        }

        @Override
        public boolean equals(Object other) {
            return other instanceof Node node && node.key.equals(key);
        }

        @Override
        public int hashCode() {
            return key.hashCode();
        }

        /** What the row shows, to tell whether a reload changed anything. */
        String shown() {
            return key + (entry == null ? "|" + label : "|" + entry.size() + "|" + entry.modified() + "|" + entry.where());
        }
    }

    /** Notices from this long before the tree opened still show: someone who just came in hears of them too. */
    private static final java.time.Duration NOTICES_FROM = java.time.Duration.ofMinutes(15);
    private static final DateTimeFormatter WHEN =
            DateTimeFormatter.ofLocalizedDateTime(FormatStyle.SHORT).withZone(ZoneId.systemDefault());

    private final String studioId;
    private final java.time.Clock clock;
    private final StudioFiles files;
    private final boolean canEdit;
    private final FileEvents events;
    private final Consumer<FileEntry> viewer;
    private final List<Opener> openers = new ArrayList<>();
    private final TreeGrid<Node> tree = new TreeGrid<>();
    private final FileDrop drop;
    private final Anchor download = new Anchor();
    private final Anchor downloadTgz = new Anchor();
    private final TreeData<Node> data = new TreeData<>();
    private final TreeDataProvider<Node> provider = new TreeDataProvider<>(data);
    private String shownState = "";
    private Node workspaceRoot;
    private Node homeRoot;
    /** Home folders the user opened (loaded on demand), and workspace folders the user closed. */
    private final Set<String> openHome = new HashSet<>();
    private final Set<String> closedWorkspace = new HashSet<>();
    private long shownRevision = -1;
    /** Notices of conflicts kept as two files, shown over the tree until dismissed (from a while before it opened). */
    private final Div notices = new Div();
    private final Set<Long> dismissed = new HashSet<>();
    private final java.time.Instant openedAt;
    private String shownNotices = "";
    private boolean machineOnline;
    private Registration polling;

    FilesPanel(String studioId, StudioFiles files, boolean canEdit, java.time.Clock clock, FileEvents events,
               Consumer<FileEntry> viewer) {
        this.studioId = studioId;
        this.clock = clock;
        this.files = files;
        this.canEdit = canEdit;
        this.events = events;
        this.viewer = viewer;
        this.openedAt = clock.instant();
        addClassName("kiln-pane");
        addClassName("kiln-files");

        var newFile = toolButton(VaadinIcon.FILE_ADD, "New file", "new-file", this::newFile);
        var newFolder = toolButton(VaadinIcon.FOLDER_ADD, "New folder", "new-folder", this::newFolder);
        var uploadFiles = toolButton(VaadinIcon.UPLOAD, "Upload files (or drop them on the tree)", "upload-files", () -> { });
        var uploadFolder = toolButton(VaadinIcon.FOLDER_OPEN_O, "Upload a folder", "upload-folder", () -> { });
        var rename = toolButton(VaadinIcon.EDIT, "Rename or move", "rename-file", this::renameSelected);
        var delete = toolButton(VaadinIcon.TRASH, "Delete", "delete-file", this::deleteSelected);
        var refresh = toolButton(VaadinIcon.REFRESH, "Refresh", "refresh-files", this::refresh);
        for (var action : new Button[]{newFile, newFolder, uploadFiles, uploadFolder, rename, delete}) {
            action.setVisible(canEdit);
        }
        download.add(VaadinIcon.DOWNLOAD.create());
        download.setId("download-file");
        download.getElement().setAttribute("download", true);
        download.getElement().setAttribute("title", "Download (a folder as zip)");
        download.getElement().setAttribute("aria-label", "Download");
        download.addClassName("kiln-tool-link");
        downloadTgz.setText("tar.gz");
        downloadTgz.setId("download-tgz");
        downloadTgz.getElement().setAttribute("download", true);
        downloadTgz.getElement().setAttribute("title", "Download the folder as tar.gz");
        downloadTgz.addClassName("kiln-tool-link");
        var toolbar = new Div(newFile, newFolder, uploadFiles, uploadFolder, download, downloadTgz, rename, delete, refresh);
        toolbar.addClassName("kiln-toolbar");

        // The name takes what room there is; size and age stay narrow (the full time is the cell's tooltip).
        tree.addComponentHierarchyColumn(this::row).setHeader("Name").setFlexGrow(1).setResizable(true)
                .setWidth("9rem");
        tree.addColumn(n -> n.kind() == Node.Kind.ENTRY && !n.entry().directory() ? human(n.entry().size()) : "")
                .setHeader("Size").setWidth("5.2rem").setFlexGrow(0).setPartNameGenerator(n -> "kiln-file-size");
        tree.addColumn(n -> n.kind() == Node.Kind.ENTRY ? FileAge.compact(n.entry().modified(), clock) : "")
                .setHeader("Time").setWidth("4.4rem").setFlexGrow(0).setPartNameGenerator(n -> "kiln-file-time")
                .setTooltipGenerator(n -> n.kind() == Node.Kind.ENTRY && n.entry().modified() != null
                        ? WHEN.format(n.entry().modified()) : "");
        tree.setSelectionMode(TreeGrid.SelectionMode.SINGLE);
        // A second click on the open file keeps it selected (as in any file explorer): the toolbar acts on it.
        ((com.vaadin.flow.component.grid.GridSingleSelectionModel<Node>) tree.getSelectionModel())
                .setDeselectAllowed(false);
        tree.addItemClickListener(e -> {
            var node = e.getItem();
            if (node.kind() == Node.Kind.ENTRY && !node.entry().directory()) {
                open(node.entry());
            }
        });
        tree.addSelectionListener(e -> selectionChanged());
        tree.addExpandListener(e -> e.getItems().forEach(node -> {
            if (e.isFromClient()) {
                remember(node, true);
            }
            loadIfNeeded(node);
        }));
        tree.addCollapseListener(e -> {
            if (e.isFromClient()) {
                e.getItems().forEach(node -> remember(node, false));
            }
        });
        tree.setId("file-tree");
        tree.setSizeFull();
        tree.addClassName("kiln-file-tree");
        drop = new FileDrop(studioId, files.maxUploadBytes(), "upload-files", "upload-folder");
        drop.setId("file-drop");
        drop.add(tree);
        drop.addUploadedListener(e -> refresh());
        drop.setReadOnly(!canEdit);
        var holder = new Div(drop);
        holder.addClassName("kiln-file-holder");
        notices.setId("file-notices");
        notices.addClassName("kiln-file-notices");
        notices.setVisible(false);
        add(toolbar, notices, holder);
        refresh();
        selectionChanged();
    }

    /** Registers an opener, tried after the ones registered before it and before the viewer. */
    void addOpener(Opener opener) {
        openers.add(opener);
    }

    private void open(FileEntry entry) {
        for (var opener : openers) {
            if (opener.open(entry)) {
                return;
            }
        }
        viewer.accept(entry);
    }

    private static Button toolButton(VaadinIcon icon, String label, String id, Runnable action) {
        var button = new Button(icon.create(), e -> action.run());
        button.addThemeVariants(ButtonVariant.LUMO_TERTIARY_INLINE, ButtonVariant.LUMO_ICON);
        button.setTooltipText(label);
        button.setAriaLabel(label);
        button.setId(id);
        return button;
    }

    // ---- the rows

    private Div row(Node node) {
        var row = new Div();
        // Long names wrap beside their icon (kiln-tree-name) instead of being cut off or scrolling the tree sideways.
        row.addClassNames("kiln-file-row", "kiln-tree-name");
        if (node.folder()) {
            // A click on a folder toggles it (the grid's tree toggle takes that click for itself) and selects it
            // here: uploads go into it, and the download link takes it.
            row.addClickListener(e -> tree.select(node));
        }
        switch (node.kind()) {
            case WORKSPACE -> {
                row.add(icon(VaadinIcon.ARCHIVE), new Span(" Workspace"), badge("versioned", "kiln-file-badge",
                        "In git: co-edited, every change committed, kept whatever machine runs"));
                attributes(row, node, "", "workspace");
            }
            case HOME -> {
                row.add(icon(VaadinIcon.SERVER), new Span(" Machine ~"));
                if (!machineOnline) {
                    row.add(badge("offline", "kiln-file-badge kiln-file-offline", "No machine is running"));
                }
                attributes(row, node, "~", "");
                row.setId("machine-home");
            }
            case NOTE -> {
                row.add(new Span(node.label()));
                row.addClassName("kiln-file-note");
                row.getElement().setAttribute("data-note", node.label());
            }
            case LOADING -> {
                row.add(new Span("…"));
                row.addClassName("kiln-file-note");
            }
            case ENTRY -> {
                var entry = node.entry();
                row.add(icon(entry.directory() ? VaadinIcon.FOLDER_O : iconOf(entry.name())), new Span(" " + entry.name()));
                if (entry.where() == Where.MACHINE_ONLY) {
                    row.add(badge("machine only", "kiln-file-badge kiln-file-machine-only", "Kept on the machine only "
                            + "(ignored by git, or over " + human(files.maxFileBytes()) + "): not versioned, not shared "
                            + "with other machines"));
                }
                attributes(row, node, entry.inWorkspace() ? entry.workspacePath() : "~/" + entry.path(), entry.path());
                row.getElement().setAttribute("title", "~/" + entry.path() + (entry.directory() ? ""
                        : " · " + human(entry.size())));
            }
        }
        return row;
    }

    private static void attributes(Div row, Node node, String dataPath, String home) {
        row.getElement().setAttribute("data-path", dataPath);
        row.getElement().setAttribute("data-home", home);
        row.getElement().setAttribute("data-dir", String.valueOf(node.folder()));
        if (node.entry() != null) {
            row.getElement().setAttribute("data-where", node.entry().where().name());
        }
    }

    private static Icon icon(VaadinIcon which) {
        var icon = which.create();
        icon.setSize("var(--lumo-icon-size-s)");
        return icon;
    }

    private static Span badge(String text, String classes, String title) {
        var badge = new Span(text);
        for (String c : classes.split(" ")) {
            badge.addClassName(c);
        }
        badge.getElement().setAttribute("title", title);
        return badge;
    }

    private static VaadinIcon iconOf(String name) {
        String lower = name.toLowerCase(Locale.ROOT);
        if (lower.matches(".*\\.(png|jpe?g|gif|webp|bmp|ico|svg)$")) {
            return VaadinIcon.PICTURE;
        }
        if (lower.matches(".*\\.(csv|tsv|parquet)$")) {
            return VaadinIcon.TABLE;
        }
        if (lower.endsWith(".safetensors") || lower.endsWith(".bin") || lower.endsWith(".pt")) {
            return VaadinIcon.CUBE;
        }
        return VaadinIcon.FILE_TEXT_O;
    }

    // ---- loading

    void refresh() {
        showNotices();
        var selected = selected().map(Node::entry).map(FileEntry::path).orElse(null);
        shownRevision = files.revision(studioId);
        var next = new TreeData<Node>();
        workspaceRoot = new Node(Node.Kind.WORKSPACE, new FileEntry(FileEntry.WORKSPACE, true, 0, null, Where.VERSIONED),
                "", "workspace");
        homeRoot = new Node(Node.Kind.HOME, new FileEntry("", true, 0, null, Where.HOME), "", "home");
        next.addItem(null, workspaceRoot);
        next.addItem(null, homeRoot);
        var toExpand = new ArrayList<Node>();
        toExpand.add(workspaceRoot);
        toExpand.add(homeRoot);
        StudioFiles.Listing workspace;
        try {
            workspace = files.workspace(studioId);
        } catch (StudioException e) {
            workspace = new StudioFiles.Listing(false, List.of(), false, e.getMessage());
        }
        boolean wasOnline = machineOnline;
        machineOnline = workspace.machineOnline();
        if (workspace.note() != null) {
            next.addItem(workspaceRoot, Node.note(FileEntry.WORKSPACE, workspace.note()));
        }
        addWorkspace(next, workspace.entries(), toExpand);
        if (!machineOnline) {
            next.addItem(homeRoot, Node.note("", "The machine is stopped. Start it to see its home: data, job outputs, "
                    + "checkpoints."));
        } else {
            addHome(next, homeRoot, "", toExpand);
        }
        String state = machineOnline + "\n" + describe(next, null);
        if (state.equals(shownState) && wasOnline == machineOnline) {
            return; // nothing the tree shows changed: leave it as it is (scrolled, selected)
        }
        shownState = state;
        data.clear();
        copy(next, null);
        if (tree.getDataProvider() != provider) {
            tree.setDataProvider(provider);
        } else {
            provider.refreshAll();
        }
        tree.expand(toExpand);
        if (selected != null) {
            selectHome(selected);
        }
        selectionChanged();
    }

    /** The recent notices not yet dismissed here, each with its close button; redrawn only when they changed. */
    private void showNotices() {
        var shown = files.notices(studioId).stream()
                .filter(n -> !dismissed.contains(n.id()) && n.at().isAfter(openedAt.minus(NOTICES_FROM)))
                .toList();
        String state = shown.stream().map(n -> String.valueOf(n.id())).reduce("", (a, b) -> a + "," + b);
        if (state.equals(shownNotices)) {
            return;
        }
        shownNotices = state;
        notices.removeAll();
        for (var notice : shown) {
            var close = new Button(VaadinIcon.CLOSE_SMALL.create(), e -> {
                dismissed.add(notice.id());
                showNotices();
            });
            close.addThemeVariants(ButtonVariant.LUMO_TERTIARY_INLINE, ButtonVariant.LUMO_ICON);
            close.setAriaLabel("Dismiss");
            close.addClassName("kiln-file-notice-close");
            var row = new Div(icon(VaadinIcon.EXCLAMATION_CIRCLE_O), new Span(notice.text()), close);
            row.addClassName("kiln-file-notice");
            row.getElement().setAttribute("role", "status");
            notices.add(row);
        }
        notices.setVisible(!shown.isEmpty());
    }

    private void copy(TreeData<Node> from, Node parent) {
        for (var child : parent == null ? from.getRootItems() : from.getChildren(parent)) {
            data.addItem(parent, child);
            copy(from, child);
        }
    }

    private static String describe(TreeData<Node> tree, Node parent) {
        var text = new StringBuilder();
        for (var child : parent == null ? tree.getRootItems() : tree.getChildren(parent)) {
            text.append(child.shown()).append('\n').append(describe(tree, child));
        }
        return text.toString();
    }

    /** The workspace's entries under its root, folders first; folders open unless the user closed them. */
    private void addWorkspace(TreeData<Node> data, List<FileEntry> entries, List<Node> toExpand) {
        Map<String, List<FileEntry>> children = new HashMap<>();
        for (var entry : entries) {
            children.computeIfAbsent(entry.parentPath(), p -> new ArrayList<>()).add(entry);
        }
        addChildren(data, workspaceRoot, FileEntry.WORKSPACE, children, toExpand);
    }

    private void addChildren(TreeData<Node> data, Node parent, String path, Map<String, List<FileEntry>> children,
                             List<Node> toExpand) {
        for (var entry : sorted(children.getOrDefault(path, List.of()))) {
            var node = Node.of(entry);
            data.addItem(parent, node);
            if (!entry.directory()) {
                continue;
            }
            boolean listed = children.containsKey(entry.path());
            if (entry.where() == Where.MACHINE_ONLY && !listed) {
                // An ignored folder: the machine did not list its insides; they load when it is opened.
                data.addItem(node, Node.loading(entry.path()));
                if (openHome.contains(entry.path())) {
                    toExpand.add(node);
                }
                continue;
            }
            addChildren(data, node, entry.path(), children, toExpand);
            if (!closedWorkspace.contains(entry.path()) && entry.where() == Where.VERSIONED) {
                toExpand.add(node);
            } else if (openHome.contains(entry.path())) {
                toExpand.add(node);
            }
        }
    }

    /** A folder of the machine, listed from the machine: its subfolders load when opened. */
    private void addHome(TreeData<Node> data, Node parent, String path, List<Node> toExpand) {
        StudioFiles.Listing listing;
        try {
            listing = files.home(studioId, path);
        } catch (StudioException e) {
            data.addItem(parent, Node.note(path, e.getMessage()));
            return;
        }
        if (listing.note() != null) {
            data.addItem(parent, Node.note(path, listing.note()));
        }
        if (listing.entries().isEmpty() && listing.note() == null) {
            data.addItem(parent, Node.note(path, "(empty)"));
        }
        for (var entry : sorted(listing.entries())) {
            var node = Node.of(entry);
            data.addItem(parent, node);
            if (entry.directory()) {
                if (openHome.contains(entry.path())) {
                    addHome(data, node, entry.path(), toExpand);
                    toExpand.add(node);
                } else {
                    data.addItem(node, Node.loading(entry.path()));
                }
            }
        }
    }

    private void loadIfNeeded(Node node) {
        if (node.kind() != Node.Kind.ENTRY || !node.entry().directory() || !data.contains(node)) {
            return;
        }
        var children = List.copyOf(data.getChildren(node));
        if (children.size() != 1 || children.getFirst().kind() != Node.Kind.LOADING) {
            return;
        }
        data.removeItem(children.getFirst());
        var more = new ArrayList<Node>();
        addHome(data, node, node.entry().path(), more);
        tree.getDataProvider().refreshAll();
        tree.expand(node);
        tree.expand(more);
    }

    private void remember(Node node, boolean open) {
        if (node.kind() != Node.Kind.ENTRY) {
            return;
        }
        String path = node.entry().path();
        boolean lazy = node.entry().where() != Where.VERSIONED;
        if (lazy) {
            if (open) {
                openHome.add(path);
            } else {
                openHome.remove(path);
            }
        } else if (open) {
            closedWorkspace.remove(path);
        } else {
            closedWorkspace.add(path);
        }
    }

    private static List<FileEntry> sorted(List<FileEntry> entries) {
        return entries.stream().sorted(Comparator.comparing((FileEntry e) -> !e.directory())
                .thenComparing(e -> e.name().toLowerCase(Locale.ROOT))).toList();
    }

    @Override
    protected void onAttach(AttachEvent event) {
        var ui = event.getUI();
        if (ui.getPollInterval() < 0) {
            ui.setPollInterval(1000);
        }
        // The machine's changes (and everyone else's) show without a click: reload when the revision moved.
        polling = ui.addPollListener(e -> {
            if (files.revision(studioId) != shownRevision) {
                refresh();
            }
        });
    }

    @Override
    protected void onDetach(DetachEvent event) {
        if (polling != null) {
            polling.remove();
            polling = null;
        }
    }

    // ---- selection and actions

    /** Highlights a workspace path in the tree (after the editor opened it). */
    void select(String workspacePath) {
        selectHome(FileEntry.inWorkspace(workspacePath));
    }

    private void selectHome(String homePath) {
        find(homePath).ifPresentOrElse(tree::select, tree::deselectAll);
    }

    private Optional<Node> find(String homePath) {
        var queue = new ArrayList<>(data.getRootItems());
        while (!queue.isEmpty()) {
            var node = queue.removeFirst();
            if (node.kind() == Node.Kind.ENTRY && node.entry().path().equals(homePath)) {
                return Optional.of(node);
            }
            queue.addAll(data.getChildren(node));
        }
        return Optional.empty();
    }

    private Optional<Node> selected() {
        return tree.getSelectedItems().stream().findFirst()
                .filter(n -> n.kind() == Node.Kind.ENTRY || n.kind() == Node.Kind.WORKSPACE || n.kind() == Node.Kind.HOME);
    }

    private void selectionChanged() {
        var node = selected().orElse(null);
        String folder = targetFolder();
        drop.setTarget(folder);
        if (node == null || (node.kind() == Node.Kind.HOME && !machineOnline)) {
            download.setHref("");
            download.setEnabled(false);
            downloadTgz.setVisible(false);
            return;
        }
        var entry = node.entry();
        download.setEnabled(true);
        download.setHref(FileViewer.downloadUrl(studioId, entry.path(), entry.directory() ? "zip" : null));
        downloadTgz.setVisible(entry.directory());
        downloadTgz.setHref(FileViewer.downloadUrl(studioId, entry.path(), "tar.gz"));
    }

    /** The home-relative folder new files go into: the selected folder, or the selected file's folder. */
    private String targetFolder() {
        return selected().map(n -> n.folder() ? n.entry().path() : n.entry().parentPath()).orElse(FileEntry.WORKSPACE);
    }

    /**
     * A path as the person types it, to a home-relative one: "~/..." is in the home; anything else is relative to
     * the part the action started in (the workspace, or the home).
     */
    private static String typed(String text, boolean inWorkspace) {
        String path = text.strip();
        if (path.startsWith("~/")) {
            return path.substring(2);
        }
        return inWorkspace ? FileEntry.inWorkspace(path) : path;
    }

    /** The form of a home-relative path a person edits: workspace-relative inside the workspace, else "~/...". */
    private static String shown(String homePath) {
        if (homePath.equals(FileEntry.WORKSPACE)) {
            return "";
        }
        return homePath.startsWith(FileEntry.WORKSPACE + "/") ? homePath.substring(FileEntry.WORKSPACE.length() + 1)
                : "~/" + homePath;
    }

    private static String prefix(String folder) {
        String shown = shown(folder);
        return shown.isEmpty() || shown.equals("~/") ? shown : shown + "/";
    }

    private static boolean inWorkspace(String homePath) {
        return homePath.equals(FileEntry.WORKSPACE) || homePath.startsWith(FileEntry.WORKSPACE + "/");
    }

    private void newFile() {
        String folder = targetFolder();
        Dialogs.prompt("New file", inWorkspace(folder) ? "Path in the workspace" : "Path in the machine's home",
                prefix(folder), "Create", text -> {
                    String path = typed(text, inWorkspace(folder));
                    files.createFile(studioId, path);
                    refresh();
                    find(path).ifPresent(node -> {
                        tree.select(node);
                        open(node.entry());
                    });
                });
    }

    private void newFolder() {
        String folder = targetFolder();
        Dialogs.prompt("New folder", inWorkspace(folder) ? "Path in the workspace" : "Path in the machine's home",
                prefix(folder), "Create", text -> {
                    String path = typed(text, inWorkspace(folder));
                    files.createFolder(studioId, path);
                    refresh();
                    selectHome(path);
                });
    }

    private void renameSelected() {
        selected().filter(n -> n.kind() == Node.Kind.ENTRY).ifPresentOrElse(node -> {
            var entry = node.entry();
            Dialogs.prompt("Rename or move", "New path (~/… for the machine's home)", shown(entry.path()), "Rename", text -> {
                String to = typed(text, entry.inWorkspace());
                files.rename(studioId, entry.path(), to);
                if (entry.inWorkspace() && inWorkspace(to)) {
                    events.renamed(entry.workspacePath(), new FileEntry(to, false, 0, null, Where.VERSIONED).workspacePath());
                } else if (entry.inWorkspace()) {
                    events.deleted(entry.workspacePath());
                }
                refresh();
                selectHome(to);
            });
        }, () -> Dialogs.error("Select a file or folder to rename first."));
    }

    private void deleteSelected() {
        selected().filter(n -> n.kind() == Node.Kind.ENTRY).ifPresentOrElse(node -> {
            var entry = node.entry();
            String what = entry.directory() ? "The folder and everything in it" : "The file";
            String text = entry.where() == Where.VERSIONED
                    ? what + (entry.directory() ? " are" : " is") + " deleted in a commit; earlier versions stay in the history."
                    : what + (entry.directory() ? " are" : " is") + " deleted from the machine. This can't be undone.";
            Dialogs.confirm("Delete ~/" + entry.path() + "?", text, "Delete", true, () -> {
                try {
                    files.delete(studioId, entry.path());
                } catch (StudioException e) {
                    Dialogs.error("Not deleted: " + e.getMessage()); // the machine stopped meanwhile, for example
                    refresh();
                    return;
                }
                if (entry.inWorkspace()) {
                    events.deleted(entry.workspacePath());
                }
                refresh();
            });
        }, () -> Dialogs.error("Select a file or folder to delete first."));
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
