package dev.kiln.ui.studio;

import com.vaadin.flow.component.Component;
import com.vaadin.flow.component.button.Button;
import com.vaadin.flow.component.html.Div;
import com.vaadin.flow.component.html.Span;
import com.vaadin.flow.component.textfield.TextField;
import com.vaadin.flow.component.treegrid.TreeGrid;
import dev.kiln.ui.testing.ViewTest;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.stream.IntStream;

import static org.assertj.core.api.Assertions.assertThat;

/** One studio: the file tree, the editor with its tabs, the history, and what a viewer may not do. */
class StudioViewTest extends ViewTest {

    @BeforeEach
    void workspace() {
        kiln.catalog.add("Sums", "owner");
        kiln.catalog.add("Shared", "viewer");
        kiln.workspace.file("README.md", "# Sums").file("src/main/java/example/SumRegression.java", "class X {}")
                .binaryFile("data/weights.bin", 2048);
    }

    /** The studio with a file open from the address (?file=), as after a reload. */
    private void openStudio(String id, String file) {
        com.vaadin.flow.component.UI.getCurrent().navigate("studio/" + id,
                com.vaadin.flow.router.QueryParameters.of("file", file));
    }

    private TreeGrid<?> tree() {
        return $(TreeGrid.class).id("file-tree");
    }

    /** The rows of the file tree as it shows them: their paths (data-path), in order. */
    private List<String> treeRows() {
        var tree = test(tree());
        return IntStream.range(0, tree.size())
                .mapToObj(i -> tree.getCellComponent(i, 0).getElement().getAttribute("data-path")).toList();
    }

    private void openInTree(String path) {
        test(tree()).clickRow(treeRows().indexOf(path));
    }

    private List<String> tabs() {
        return $(Div.class).id("tab-strip").getChildren()
                .map(t -> t.getElement().getAttribute("data-tab") + ("true".equals(t.getElement().getAttribute("data-active")) ? " (active)" : ""))
                .toList();
    }

    private Component tab(String path) {
        return $(Div.class).id("tab-strip").getChildren().filter(t -> path.equals(t.getElement().getAttribute("data-tab")))
                .findFirst().orElseThrow();
    }

    private String fileTitle() {
        return $(Span.class).id("file-title").getText();
    }

    @Test
    void theFileTreeShowsTheWorkspaceAndTheStoppedMachine() {
        navigate(StudioView.class, "s1");

        assertThat(treeRows()).contains("", "README.md", "data", "data/weights.bin", "src", "~");
        assertThat($(Div.class).withAttribute("data-note").all()).extracting(Component::getElement)
                .anySatisfy(note -> assertThat(note.getAttribute("data-note")).startsWith("The machine is stopped."));
        assertThat(fileTitle()).isEqualTo("No file open");
    }

    @Test
    void openingFilesGivesATabEachAndTheirHistory() {
        navigate(StudioView.class, "s1");

        openInTree("README.md");
        assertThat(fileTitle()).isEqualTo("README.md");
        assertThat($(Button.class).id("save").isEnabled()).isTrue();
        assertThat($(Div.class).id("history").getElement().getTextRecursively()).contains("Create README.md", "Ada Lovelace");

        openInTree("src/main/java/example/SumRegression.java");
        assertThat(tabs()).containsExactly("README.md", "src/main/java/example/SumRegression.java (active)");

        clickElement(tab("README.md"));
        assertThat(fileTitle()).isEqualTo("README.md");
        assertThat(tabs()).containsExactly("README.md (active)", "src/main/java/example/SumRegression.java");
    }

    @Test
    void closingTheActiveTabShowsTheOneBeforeIt() {
        navigate(StudioView.class, "s1");
        openInTree("README.md");
        openInTree("src/main/java/example/SumRegression.java");

        clickElement(tab("src/main/java/example/SumRegression.java").getChildren().toList().get(1)); // the ×

        assertThat(tabs()).containsExactly("README.md (active)");
        assertThat(fileTitle()).isEqualTo("README.md");
    }

    @Test
    void aBinaryFileOpensReadOnlyAndSaysWhy() {
        openStudio("s1", "data/weights.bin");

        assertThat($(Div.class).id("editor-notice").getText())
                .isEqualTo("This is a binary file (2048 bytes). It is shown read-only so it cannot be garbled.");
        assertThat($(Button.class).id("save").isEnabled()).isFalse();
    }

    @Test
    void aFileThatIsGoneIsNamedInTheNotice() {
        openStudio("s1", "gone.txt");

        var notice = $(Div.class).id("editor-notice");
        assertThat(notice.getText()).isEqualTo("No file gone.txt in the workspace.");
        assertThat(notice.getElement().getAttribute("theme")).isEqualTo("error");
        assertThat(fileTitle()).isEqualTo("No file open");
    }

    @Test
    void commitNowCommitsTheOpenFileAndSaysSo() {
        openStudio("s1", "README.md");

        click("save");

        assertThat(kiln.workspace.commitsNow).containsExactly("README.md");
        assertThat(notifications()).containsExactly("Committed README.md");
    }

    @Test
    void aNewFileFromTheTreeIsCreatedAndOpened() {
        navigate(StudioView.class, "s1");

        click("new-file");
        test($(TextField.class).id("prompt-field")).setValue("notes.md");
        click("prompt-ok");

        assertThat(treeRows()).contains("notes.md");
        assertThat(fileTitle()).isEqualTo("notes.md");
    }

    @Test
    void aViewerSeesTheFilesButCannotChangeThemOrRunJobs() {
        openStudio("s2", "README.md");

        assertThat($(Span.class).id("studio-role").getText()).isEqualTo("shared with you · view only");
        assertThat(fileTitle()).isEqualTo("README.md");
        for (String id : List.of("save", "new-file", "new-folder", "rename-file", "delete-file", "share")) {
            assertThat($(Component.class).withId(id).exists()).as(id + " is not offered to a viewer").isFalse();
        }
        bottomTab("Jobs");
        assertThat($(Component.class).withId("jobs-panel").exists()).isTrue();
        assertThat($(Button.class).withId("job-run").exists()).as("Run is not offered to a viewer").isFalse();
        bottomTab("Data");
        assertThat($(Component.class).withId("data-panel").exists()).isTrue();
        assertThat($(Button.class).withId("data-add").exists()).as("Add S3 is not offered to a viewer").isFalse();
    }

    @Test
    void theOwnerRunsJobsAndAddsConnectionsFromTheBottomTabs() {
        navigate(StudioView.class, "s1");

        bottomTab("Jobs");
        assertThat($(Button.class).withId("job-run").exists()).isTrue();
        bottomTab("Data");
        assertThat($(Button.class).withId("data-add").exists()).isTrue();
    }

    private void bottomTab(String label) {
        test($(com.vaadin.flow.component.tabs.TabSheet.class).withClassName("kiln-bottom-tabs").single()).select(label);
    }

    @Test
    void anEditorChangesFilesButNeitherSharesNorChangesTheMachine() {
        kiln.catalog.add("Team", "editor");
        openStudio("s3", "README.md");

        assertThat($(Span.class).id("studio-role").getText()).isEqualTo("shared with you · can edit");
        assertThat($(Button.class).id("save").isEnabled()).isTrue();
        assertThat($(Button.class).withId("new-file").exists()).isTrue();
        assertThat($(Button.class).withId("share").exists()).isFalse();
        click("machine");
        assertThat($(Button.class).withId("machine-apply").exists()).isFalse();
    }

    @Test
    void theOwnerSharesFromTheHeader() {
        navigate(StudioView.class, "s1");

        click("share");

        assertThat(dialog().getHeaderTitle()).isEqualTo("Share “Sums”");
    }

    @Test
    void deletingTheOpenFileClosesItsTabAndSaysItsHistoryStays() {
        navigate(StudioView.class, "s1");
        openInTree("src/main/java/example/SumRegression.java");
        openInTree("README.md");

        click("delete-file");
        assertThat(dialog().getHeaderTitle()).isEqualTo("Delete ~/workspace/README.md?");
        click("confirm-button");

        assertThat(treeRows()).doesNotContain("README.md");
        assertThat(tabs()).containsExactly("src/main/java/example/SumRegression.java (active)");
        assertThat($(Div.class).id("editor-notice").getText())
                .isEqualTo("The open file was deleted. Its earlier versions stay in the repository's history.");
    }

    @Test
    void renamingTheOpenFileMovesItsTab() {
        navigate(StudioView.class, "s1");
        openInTree("README.md");

        click("rename-file");
        var field = $(TextField.class).id("prompt-field");
        assertThat(field.getValue()).isEqualTo("README.md");
        test(field).setValue("docs.md");
        click("prompt-ok");

        assertThat(tabs()).containsExactly("docs.md (active)");
        assertThat(fileTitle()).isEqualTo("docs.md");
    }

    @Test
    void ctrlPFindsAFileByLettersOfItsNameAndOpensIt() {
        navigate(StudioView.class, "s1");

        fireShortcut(com.vaadin.flow.component.Key.KEY_P, com.vaadin.flow.component.KeyModifier.CONTROL);
        assertThat(dialog().getHeaderTitle()).isEqualTo("Go to file");
        test($(TextField.class).id("quick-open-query")).setValue("sumreg");
        var first = $(Div.class).withClassName("kiln-quick-row").first();
        assertThat(first.getElement().getAttribute("data-path")).isEqualTo("src/main/java/example/SumRegression.java");
        test(first).click();

        assertThat(anyDialogOpen()).isFalse();
        assertThat(fileTitle()).isEqualTo("src/main/java/example/SumRegression.java");
    }

    @Test
    void aWrongCurrentPasswordIsShownInTheAccountDialog() {
        navigate(StudioView.class, "s1");

        click("account-button");
        test($(com.vaadin.flow.component.textfield.PasswordField.class).id("account-current-password")).setValue("guess");
        test($(com.vaadin.flow.component.textfield.PasswordField.class).id("account-new-password")).setValue("new password");
        test($(com.vaadin.flow.component.textfield.PasswordField.class).id("account-repeat-password")).setValue("new password");
        click("change-password");

        assertThat($(com.vaadin.flow.component.html.Paragraph.class).id("account-error").getText())
                .isEqualTo("The current password is wrong.");
        assertThat(kiln.user.password).isEqualTo("correct horse");
    }

    @Test
    void anEarlierVersionCanBeRestoredFromTheHistory() {
        openStudio("s1", "README.md");

        var first = $(Div.class).withClassName("kiln-history-item").first();
        test(first).click();
        assertThat(dialog().getHeaderTitle()).isEqualTo("README.md at 00000000");
        click("restore-version");

        assertThat(notifications()).containsExactly("Restored README.md to 00000000");
        assertThat($(Div.class).withClassName("kiln-history-item").first().getElement().getTextRecursively())
                .startsWith("Restore README.md");
    }

    @Test
    void aViewerMayLookAtAnEarlierVersionButNotRestoreIt() {
        openStudio("s2", "README.md");

        test($(Div.class).withClassName("kiln-history-item").first()).click();

        assertThat(dialog().getHeaderTitle()).isEqualTo("README.md at 00000000");
        assertThat($(Button.class).withId("restore-version").exists()).isFalse();
    }

    @Test
    void aConflictKeptAsTwoFilesIsAnnouncedOverTheTreeUntilDismissed() {
        navigate(StudioView.class, "s1");
        assertThat($(Div.class).withId("file-notices").exists()).isFalse();

        kiln.files.notices.add(new dev.kiln.api.files.FileNotice(1, kiln.now,
                "train.py changed on the machine and in the studio at once: the machine's version is train.machine.py."));
        kiln.files.changed();
        poll();

        var notice = $(Div.class).withClassName("kiln-file-notice").single();
        assertThat(notice.getElement().getTextRecursively()).contains("the machine's version is train.machine.py");
        test(test(notice).find(Button.class).single()).click();
        assertThat($(Div.class).withId("file-notices").exists()).isFalse();
    }

    private dev.kiln.ui.component.CodeEditor editor() {
        return $(dev.kiln.ui.component.CodeEditor.class).id("editor");
    }

    /** What the editor web component reports when typed text has not reached the server yet. */
    private void unsentChanges(boolean dirty) {
        com.vaadin.flow.component.ComponentUtil.fireEvent(editor(),
                new dev.kiln.ui.component.CodeEditor.DirtyChangedEvent(editor(), true, dirty));
    }

    @Test
    void unsentChangesAreMarkedAndLeavingThemAsksFirst() {
        navigate(StudioView.class, "s1");
        openInTree("src/main/java/example/SumRegression.java");
        openInTree("README.md");

        unsentChanges(true);
        assertThat($(Span.class).id("dirty-mark").isVisible()).isTrue();
        assertThat(tab("README.md").getElement().getAttribute("data-dirty")).isEqualTo("true");

        clickElement(tab("src/main/java/example/SumRegression.java"));
        assertThat(dialog().getHeaderTitle()).isEqualTo("Leave with unsent changes?");
        assertThat(fileTitle()).isEqualTo("README.md"); // nothing happens before the answer
        click("confirm-button");
        assertThat(fileTitle()).isEqualTo("src/main/java/example/SumRegression.java");
    }

    @Test
    void revokedAccessIsShownInTheEditorAndStopsCommits() {
        openStudio("s1", "README.md");

        com.vaadin.flow.component.ComponentUtil.fireEvent(editor(), new dev.kiln.ui.component.CodeEditor.CollabStatusEvent(
                editor(), true, "revoked", 0, "The owner revoked your access to this studio."));

        var notice = $(Div.class).id("editor-notice");
        assertThat(notice.getText()).isEqualTo("The owner revoked your access to this studio.");
        assertThat(notice.getElement().getAttribute("theme")).isEqualTo("error");
        assertThat($(Button.class).id("save").isEnabled()).isFalse();
    }

    @Test
    void ctrlSInTheEditorCommits() {
        openStudio("s1", "README.md");

        com.vaadin.flow.component.ComponentUtil.fireEvent(editor(),
                new dev.kiln.ui.component.CodeEditor.SaveRequestedEvent(editor(), true));

        assertThat(kiln.workspace.commitsNow).containsExactly("README.md");
    }

    @Test
    void aCheckpointOpensInTheViewerWithItsTensors() {
        kiln.workspace.binaryFile("model.safetensors", 4_136);
        kiln.files.previews.put("workspace/model.safetensors", new dev.kiln.api.files.FilePreview(
                "workspace/model.safetensors", "safetensors", 4_136, kiln.now, dev.kiln.api.files.FileEntry.Where.VERSIONED,
                null, null, List.of(new dev.kiln.api.files.FilePreview.Tensor("fc.weight", "F32", List.of(32L, 32L), 4_096),
                new dev.kiln.api.files.FilePreview.Tensor("fc.bias", "F32", List.of(10L), 40)), null, false, null));
        navigate(StudioView.class, "s1");

        openInTree("model.safetensors");

        assertThat($(com.vaadin.flow.component.html.Paragraph.class).id("file-preview-summary").getText())
                .startsWith("2 tensors · 1,034 parameters");
        var tensors = test($(com.vaadin.flow.component.grid.Grid.class).id("file-preview-tensors"));
        assertThat(tensors.getCellText(0, 0)).isEqualTo("fc.weight");
        assertThat(tensors.getCellText(0, 2)).isEqualTo("[32 × 32]");
        assertThat(tabs()).isEmpty(); // the viewer, not an editor tab
    }

    @Test
    void ctrlShiftFSearchesEveryFileAndOpensAMatchAtItsLine() {
        navigate(StudioView.class, "s1");

        fireShortcut(com.vaadin.flow.component.Key.KEY_F, com.vaadin.flow.component.KeyModifier.CONTROL,
                com.vaadin.flow.component.KeyModifier.SHIFT);
        test($(TextField.class).id("search-files-query")).setValue("class");
        click("search-files-run");

        assertThat($(Span.class).id("search-files-summary").getText()).startsWith("1 match in ");
        var row = $(Div.class).withClassName("kiln-search-row").single();
        assertThat(row.getElement().getAttribute("data-path")).isEqualTo("src/main/java/example/SumRegression.java");
        test(row).click();
        assertThat(fileTitle()).isEqualTo("src/main/java/example/SumRegression.java");
    }

    @Test
    void theHeaderShowsTheMachinesUsageWhileItRuns() {
        navigate(StudioView.class, "s1");
        assertThat($(Span.class).id("machine-usage").getText()).isEmpty();

        kiln.jobs.usage = new dev.kiln.api.job.StudioJobs.MachineUsage(0.5, 2, 1L << 30, 4L << 30, List.of(
                new dev.kiln.api.job.StudioJobs.MachineUsage.Gpu(0, "A100", 0.9, 20L << 30, 80L << 30, 61, 250)));
        poll();

        assertThat($(Span.class).id("machine-usage").getText())
                .isEqualTo("CPU 50% of 2 cores · RAM 1.0/4 GiB · GPU0 90% 20/80 GiB 61°C");
    }
}
