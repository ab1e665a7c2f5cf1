package dev.kiln.ui.studio;

import com.vaadin.flow.component.button.Button;
import com.vaadin.flow.component.button.ButtonVariant;
import com.vaadin.flow.component.html.Div;
import com.vaadin.flow.component.icon.VaadinIcon;
import com.vaadin.flow.component.treegrid.TreeGrid;
import com.vaadin.flow.data.provider.hierarchy.TreeData;
import com.vaadin.flow.data.provider.hierarchy.TreeDataProvider;
import dev.kiln.ui.component.Dialogs;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Consumer;

/** The workspace's file tree with create, rename and delete. Opening a file is delegated to the studio view. */
class FilesPanel extends Div {

    private final String studioId;
    private final StudioWorkspace workspace;
    private final TreeGrid<WorkspaceEntry> tree = new TreeGrid<>();
    private final Consumer<WorkspaceEntry> onOpen;
    private final FileEvents events;

    /** What the studio view must know when the tree changes files underneath the editor. */
    interface FileEvents {
        void renamed(String from, String to);

        void deleted(String path);
    }

    FilesPanel(String studioId, StudioWorkspace workspace, boolean canEdit, Consumer<WorkspaceEntry> onOpen, FileEvents events) {
        this.studioId = studioId;
        this.workspace = workspace;
        this.onOpen = onOpen;
        this.events = events;
        addClassName("kiln-pane");

        var newFile = toolButton(VaadinIcon.FILE_ADD, "New file", "new-file", this::newFile);
        var newFolder = toolButton(VaadinIcon.FOLDER_ADD, "New folder", "new-folder", this::newFolder);
        var rename = toolButton(VaadinIcon.EDIT, "Rename or move", "rename-file", this::renameSelected);
        var delete = toolButton(VaadinIcon.TRASH, "Delete", "delete-file", this::deleteSelected);
        var refresh = toolButton(VaadinIcon.REFRESH, "Refresh", "refresh-files", this::refresh);
        for (var action : new Button[]{newFile, newFolder, rename, delete}) {
            action.setVisible(canEdit);
        }
        var toolbar = new Div(newFile, newFolder, rename, delete, refresh);
        toolbar.addClassName("kiln-toolbar");

        tree.addComponentHierarchyColumn(entry -> {
            var icon = (entry.directory() ? VaadinIcon.FOLDER_O : VaadinIcon.FILE_TEXT_O).create();
            icon.setSize("var(--lumo-icon-size-s)");
            var row = new Div(icon, new com.vaadin.flow.component.html.Span(" " + entry.name()));
            row.getElement().setAttribute("data-path", entry.path());
            row.getElement().setAttribute("title", entry.path());
            row.addClassName("kiln-tree-name");
            return row;
            // No auto width: the column is as wide as the pane (drag the splitter to widen it) and a long name wraps
            // onto a second line instead of being cut or scrolling the tree sideways.
        }).setFlexGrow(1);
        tree.setSelectionMode(TreeGrid.SelectionMode.SINGLE);
        tree.addItemClickListener(e -> {
            if (!e.getItem().directory()) {
                onOpen.accept(e.getItem());
            }
        });
        tree.setId("file-tree");
        tree.setSizeFull();
        var holder = new Div(tree);
        holder.getStyle().set("flex", "1").set("min-height", "0");
        add(toolbar, holder);
        refresh();
    }

    private static Button toolButton(VaadinIcon icon, String label, String id, Runnable action) {
        var button = new Button(icon.create(), e -> action.run());
        button.addThemeVariants(ButtonVariant.LUMO_TERTIARY_INLINE, ButtonVariant.LUMO_ICON);
        button.setTooltipText(label);
        button.setAriaLabel(label);
        button.setId(id);
        return button;
    }

    void refresh() {
        var entries = workspace.tree(studioId);
        var data = new TreeData<WorkspaceEntry>();
        Map<String, WorkspaceEntry> folders = new HashMap<>();
        for (var entry : entries) {
            var parent = folders.get(entry.parentPath());
            data.addItem(parent, entry);
            if (entry.directory()) {
                folders.put(entry.path(), entry);
            }
        }
        var selected = selected().map(WorkspaceEntry::path).orElse(null);
        tree.setDataProvider(new TreeDataProvider<>(data));
        tree.expand(folders.values());
        if (selected != null) {
            select(selected);
        }
    }

    /** Highlights a path in the tree (after the editor opened it). */
    void select(String path) {
        findEntry(path).ifPresentOrElse(tree::select, tree::deselectAll);
    }

    private Optional<WorkspaceEntry> findEntry(String path) {
        return allEntries(tree.getTreeData().getRootItems()).stream().filter(e -> e.path().equals(path)).findFirst();
    }

    private List<WorkspaceEntry> allEntries(List<WorkspaceEntry> level) {
        var all = new java.util.ArrayList<WorkspaceEntry>();
        for (var entry : level) {
            all.add(entry);
            all.addAll(allEntries(tree.getTreeData().getChildren(entry)));
        }
        return all;
    }

    private Optional<WorkspaceEntry> selected() {
        return tree.getSelectedItems().stream().findFirst();
    }

    /** The folder new files go into: the selected folder, or the selected file's folder. */
    private String targetFolderPrefix() {
        return selected().map(e -> e.directory() ? e.path() : e.parentPath())
                .filter(p -> !p.isEmpty()).map(p -> p + "/").orElse("");
    }

    private void newFile() {
        Dialogs.prompt("New file", "Path in the workspace", targetFolderPrefix(), "Create", path -> {
            workspace.createFile(studioId, path);
            refresh();
            findEntry(path).ifPresent(onOpen);
        });
    }

    private void newFolder() {
        Dialogs.prompt("New folder", "Path in the workspace", targetFolderPrefix(), "Create", path -> {
            workspace.createFolder(studioId, path);
            refresh();
            select(path);
        });
    }

    private void renameSelected() {
        selected().ifPresentOrElse(entry -> Dialogs.prompt("Rename or move", "New path", entry.path(), "Rename", to -> {
            workspace.rename(studioId, entry.path(), to);
            events.renamed(entry.path(), to);
            refresh();
            select(to);
        }), () -> Dialogs.error("Select a file or folder to rename first."));
    }

    private void deleteSelected() {
        selected().ifPresentOrElse(entry -> Dialogs.confirm("Delete " + entry.path() + "?",
                entry.directory()
                        ? "The folder and everything in it are deleted in a commit; earlier versions stay in the history."
                        : "The file is deleted in a commit; earlier versions stay in the history.",
                "Delete", true, () -> {
                    workspace.delete(studioId, entry.path());
                    events.deleted(entry.path());
                    refresh();
                }), () -> Dialogs.error("Select a file or folder to delete first."));
    }
}
