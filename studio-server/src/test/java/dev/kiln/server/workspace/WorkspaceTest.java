package dev.kiln.server.workspace;

import dev.kiln.api.studio.StudioException;
import dev.kiln.api.studio.StudioException.Kind;
import dev.kiln.api.files.WorkspaceEntry;
import org.eclipse.jgit.api.Git;
import org.eclipse.jgit.lib.PersonIdent;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class WorkspaceTest {

    private static final PersonIdent ADA = new PersonIdent("Ada Lovelace", "ada@example.org");
    private static final PersonIdent ALAN = new PersonIdent("Alan Turing", "alan@example.org");

    @TempDir
    Path temp;
    private Workspace workspace;

    @BeforeEach
    void create() {
        workspace = Workspace.create(temp.resolve("studio"), 1024);
    }

    @AfterEach
    void close() {
        workspace.close();
    }

    @Test
    void savingCommitsTheFileWithTheUserAsAuthor() throws Exception {
        var saved = workspace.save("src/Train.java", "class Train {}", "", ADA);

        assertThat(Files.readString(workspace.root().resolve("src/Train.java"))).isEqualTo("class Train {}");
        assertThat(workspace.read("src/Train.java").text()).isEqualTo("class Train {}");
        assertThat(workspace.read("src/Train.java").version()).isEqualTo(saved.version());
        try (var git = Git.open(workspace.root().toFile())) {
            var head = git.log().call().iterator().next();
            assertThat(head.getAuthorIdent().getName()).isEqualTo("Ada Lovelace");
            assertThat(head.getAuthorIdent().getEmailAddress()).isEqualTo("ada@example.org");
            assertThat(head.getFullMessage()).isEqualTo("Create src/Train.java");
            assertThat(git.status().call().isClean()).isTrue();
        }
    }

    @Test
    void historyListsEachSaveNewestFirstAndShowsEarlierContent() {
        var v1 = workspace.save("notes.md", "one", "", ADA);
        var v2 = workspace.save("notes.md", "two", v1.version(), ALAN);
        workspace.save("other.md", "unrelated", "", ADA);

        var history = workspace.history("notes.md");

        assertThat(history).extracting(r -> r.authorName() + ": " + r.message())
                .containsExactly("Alan Turing: Update notes.md", "Ada Lovelace: Create notes.md");
        assertThat(workspace.readAt("notes.md", history.get(1).commitId()).text()).isEqualTo("one");
        assertThat(workspace.readAt("notes.md", history.get(0).commitId()).version()).isEqualTo(v2.version());
    }

    @Test
    void aSecondSaveFromAStaleCopyIsRefusedAndWritesNothing() throws Exception {
        var loaded = workspace.save("a.txt", "base", "", ADA);
        workspace.save("a.txt", "first tab", loaded.version(), ADA);

        assertThatThrownBy(() -> workspace.save("a.txt", "second tab", loaded.version(), ALAN))
                .isInstanceOfSatisfying(StudioException.class, e -> assertThat(e.kind()).isEqualTo(Kind.CONFLICT))
                .hasMessageContaining("changed since you opened it");
        assertThat(Files.readString(workspace.root().resolve("a.txt"))).isEqualTo("first tab");
        assertThat(workspace.history("a.txt")).hasSize(2);
    }

    @Test
    void creatingAFileThatAlreadyExistsThroughSaveIsAConflict() {
        workspace.save("a.txt", "mine", "", ADA);
        assertThatThrownBy(() -> workspace.save("a.txt", "theirs", "", ALAN))
                .isInstanceOfSatisfying(StudioException.class, e -> assertThat(e.kind()).isEqualTo(Kind.CONFLICT));
    }

    @Test
    void savingUnchangedTextMakesNoCommit() {
        var v1 = workspace.save("a.txt", "same", "", ADA);
        workspace.save("a.txt", "same", v1.version(), ADA);
        assertThat(workspace.history("a.txt")).hasSize(1);
    }

    @Test
    void filesOverTheLimitAreRefusedOnSaveAndOnOpen() throws Exception {
        var big = "x".repeat(1025);
        assertThatThrownBy(() -> workspace.save("big.txt", big, "", ADA))
                .isInstanceOfSatisfying(StudioException.class, e -> assertThat(e.kind()).isEqualTo(Kind.TOO_LARGE))
                .hasMessageContaining("1.0 KiB");
        assertThat(workspace.root().resolve("big.txt")).doesNotExist();

        Files.writeString(workspace.root().resolve("copied-in.txt"), big);
        assertThatThrownBy(() -> workspace.read("copied-in.txt"))
                .isInstanceOfSatisfying(StudioException.class, e -> assertThat(e.kind()).isEqualTo(Kind.TOO_LARGE));
    }

    @Test
    void binaryFilesAreFlaggedSoTheEditorOpensThemReadOnly() throws Exception {
        Files.write(workspace.root().resolve("model.bin"), new byte[]{1, 2, 0, 4});
        Files.write(workspace.root().resolve("latin1.txt"), "caf\u00e9".getBytes(StandardCharsets.ISO_8859_1));

        assertThat(workspace.read("model.bin").binary()).isTrue();
        assertThat(workspace.read("model.bin").text()).isEmpty();
        assertThat(workspace.read("latin1.txt").binary()).isTrue();
        assertThat(workspace.read("model.bin").size()).isEqualTo(4);
    }

    @Test
    void renameAndDeleteAreCommitsAndEarlierVersionsStayReadable() {
        workspace.save("src/a.txt", "hello", "", ADA);
        workspace.rename("src", "lib", ALAN);
        assertThat(workspace.read("lib/a.txt").text()).isEqualTo("hello");
        assertThat(workspace.history("lib/a.txt")).extracting(r -> r.message()).containsExactly("Rename src to lib");

        workspace.delete("lib/a.txt", ADA);
        assertThat(workspace.root().resolve("lib/a.txt")).doesNotExist();
        var history = workspace.history("src/a.txt");
        assertThat(workspace.readAt("src/a.txt", history.get(history.size() - 1).commitId()).text()).isEqualTo("hello");
        assertThat(workspace.history("lib/a.txt")).extracting(r -> r.message()).containsExactly("Delete lib/a.txt", "Rename src to lib");
    }

    @Test
    void treeListsFoldersFirstAndHidesGit() {
        workspace.save("b.txt", "", "", ADA);
        workspace.save("A.txt", "", "", ADA);
        workspace.save("src/main/Train.java", "", "", ADA);
        workspace.createFolder("empty");

        assertThat(workspace.tree()).extracting(WorkspaceEntry::path)
                .containsExactly("empty", "src", "src/main", "src/main/Train.java", "A.txt", "b.txt");
    }

    @Test
    void nothingIsEverWrittenOutsideTheWorkspace() throws Exception {
        for (var evil : new String[]{"../escape.txt", "/tmp/escape.txt", "a/../../escape.txt", ".git/hooks/pre-commit"}) {
            assertThatThrownBy(() -> workspace.save(evil, "x", "", ADA)).isInstanceOf(StudioException.class);
            assertThatThrownBy(() -> workspace.createFile(evil, ADA)).isInstanceOf(StudioException.class);
            assertThatThrownBy(() -> workspace.rename("x", evil, ADA)).isInstanceOf(StudioException.class);
        }
        try (Stream<Path> files = Files.list(temp)) {
            assertThat(files).extracting(p -> p.getFileName().toString()).containsExactly("studio");
        }
        assertThat(workspace.root().resolve(".git/hooks/pre-commit")).doesNotExist();
    }

    @Test
    void unknownCommitsAndPathsAreNotFound() {
        var v1 = workspace.save("a.txt", "x", "", ADA);
        var commit = workspace.history("a.txt").get(0).commitId();
        assertThatThrownBy(() -> workspace.readAt("missing.txt", commit))
                .isInstanceOfSatisfying(StudioException.class, e -> assertThat(e.kind()).isEqualTo(Kind.NOT_FOUND));
        assertThatThrownBy(() -> workspace.readAt("a.txt", "0".repeat(40)))
                .isInstanceOfSatisfying(StudioException.class, e -> assertThat(e.kind()).isEqualTo(Kind.NOT_FOUND));
        assertThatThrownBy(() -> workspace.readAt("a.txt", "HEAD~1"))
                .isInstanceOfSatisfying(StudioException.class, e -> assertThat(e.kind()).isEqualTo(Kind.INVALID));
        assertThat(v1.binary()).isFalse();
    }

    @Test
    void aServerKilledMidCommitLeavesNothingThatBlocksTheNextOne() throws Exception {
        workspace.save("a.txt", "one", "", ADA);
        // What a kill -9 during a commit leaves behind.
        java.nio.file.Files.writeString(temp.resolve("studio/.git/index.lock"), "");
        java.nio.file.Files.writeString(temp.resolve("studio/.git/HEAD.lock"), "");
        var reopened = Workspace.open(temp.resolve("studio"), 1024);
        var saved = reopened.save("a.txt", "two", reopened.read("a.txt").version(), ALAN);
        assertThat(saved.text()).isEqualTo("two");
        assertThat(reopened.history("a.txt")).hasSize(2);
    }

    @Test
    void textWrittenButNeverCommittedIsCommittedNextTime() throws Exception {
        workspace.save("a.txt", "one", "", ADA);
        // A crash between writing the file and committing it.
        java.nio.file.Files.writeString(temp.resolve("studio/a.txt"), "two");
        workspace.writeBack("a.txt", "two", java.util.List.of(ALAN));
        assertThat(workspace.history("a.txt")).hasSize(2);
        assertThat(workspace.readAt("a.txt", workspace.history("a.txt").get(0).commitId()).text()).isEqualTo("two");
    }
}
