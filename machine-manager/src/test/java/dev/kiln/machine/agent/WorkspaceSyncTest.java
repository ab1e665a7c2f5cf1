package dev.kiln.machine.agent;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

import dev.kiln.machine.protocol.FromMachine;
import org.eclipse.jgit.api.Git;
import org.eclipse.jgit.lib.Constants;
import org.eclipse.jgit.lib.ObjectInserter;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The machine's copy of the workspace against a real git repository standing in for the server's: commits arrive,
 * changes made on the machine are reported against what the server had and are never overwritten by a sync before
 * the server has taken them, the server's merged result comes back, and nothing is ever moved to a side branch.
 */
class WorkspaceSyncTest {
    static final long LIMIT = 1 << 20;

    @TempDir
    Path temp;
    GitRemote server;
    WorkspaceSync sync;
    Path workspace;

    @BeforeEach
    void cloned() throws Exception {
        server = GitRemote.create(temp.resolve("server"));
        server.commit("Template", "README.md", "# Studio\n", "src/Train.java", "class Train {}\n");
        workspace = temp.resolve("home/workspace");
        sync = new WorkspaceSync(workspace, server.uri(), null);
        sync.sync();
    }

    @AfterEach
    void close() {
        server.close();
    }

    @Test
    void commitsReachFilesTheMachineDidNotChange() throws Exception {
        assertThat(workspace.resolve("README.md")).hasContent("# Studio");
        String commit = server.commit("Edit", "README.md", "# Studio, edited\n", "notes/new.md", "new\n",
                "src/Train.java", null);
        assertThat(sync.sync().commit()).isEqualTo(commit);
        assertThat(workspace.resolve("README.md")).hasContent("# Studio, edited");
        assertThat(workspace.resolve("notes/new.md")).hasContent("new");
        assertThat(workspace.resolve("src/Train.java")).doesNotExist();
        assertThat(workspace.resolve("src")).as("a folder git leaves empty goes").doesNotExist();
        assertThat(changes("README.md", "notes/new.md", "src/Train.java")).as("nothing to report").isEmpty();
    }

    @Test
    void aChangeMadeOnTheMachineIsReportedAgainstWhatTheServerHadAndNeverOverwritten() throws Exception {
        String before = blob("# Studio\n");
        write("README.md", "# Studio\nfrom the terminal\n");
        // A commit of the server touching the same file arrives before the watcher reported the change.
        server.commit("Someone's edit", "README.md", "# Studio, by Ada\n");
        sync.sync();
        assertThat(workspace.resolve("README.md")).as("held: the server has not taken it yet")
                .hasContent("# Studio\nfrom the terminal");

        var reported = changes("README.md");
        assertThat(reported).singleElement().satisfies(c -> {
            assertThat(c.base()).as("the version the machine's change started from").isEqualTo(before);
            assertThat(c.blob()).isEqualTo(blob("# Studio\nfrom the terminal\n"));
            assertThat(new String(Base64.getDecoder().decode(c.data()), StandardCharsets.UTF_8))
                    .isEqualTo("# Studio\nfrom the terminal\n");
        });
        // The server merges it with Ada's edit and commits; the commit arrives while the answer is on its way.
        String merged = "# Studio, by Ada\nfrom the terminal\n";
        server.commit("Machine's edit", "README.md", merged);
        sync.sync();
        assertThat(workspace.resolve("README.md")).as("still pending").hasContent("# Studio\nfrom the terminal");
        sync.applied("README.md", reported.getFirst().blob(), blob(merged), null);
        assertThat(workspace.resolve("README.md")).hasContent(merged.strip());
        assertThat(changes("README.md")).isEmpty();
        assertNoSideBranch();
    }

    /**
     * The server takes the machine's edit as it is, then someone saves the file again, and that save's commit arrives
     * before the answer to the edit: once answered, the file follows the save instead of staying at the machine's
     * edit for good (LocalMachineIT found it under load).
     */
    @Test
    void aSaveWhoseCommitArrivesBeforeTheAnswerToTheMachinesEditReachesTheFile() throws Exception {
        write("README.md", "changed on the machine\n");
        var reported = changes("README.md");
        server.commit("Machine's edit", "README.md", "changed on the machine\n");
        server.commit("Saved in the studio", "README.md", "# Saved in the studio\n");
        sync.sync();
        assertThat(workspace.resolve("README.md")).as("held while the report is out")
                .hasContent("changed on the machine");
        var fetches = new java.util.concurrent.atomic.AtomicInteger();
        sync.onFetchNeeded(fetches::incrementAndGet);
        sync.applied("README.md", reported.getFirst().blob(), reported.getFirst().blob(), null);
        assertThat(fetches).as("a sync is asked for").hasPositiveValue();
        sync.sync();
        assertThat(workspace.resolve("README.md")).hasContent("# Saved in the studio");
        assertThat(changes("README.md")).as("nothing to report").isEmpty();
    }

    @Test
    void anAnswerBeforeItsCommitTakesTheResultWithTheNextSync() throws Exception {
        write("README.md", "machine\n");
        var reported = changes("README.md");
        String merged = "machine\nand Ada\n";
        sync.applied("README.md", reported.getFirst().blob(), blob(merged), null);
        assertThat(workspace.resolve("README.md")).as("its commit is not here yet").hasContent("machine");
        server.commit("Merged", "README.md", merged);
        sync.sync();
        assertThat(workspace.resolve("README.md")).hasContent(merged.strip());
    }

    @Test
    void anEditMadeWhileTheReportWasAnsweredStaysAndIsReportedFromTheReportedVersion() throws Exception {
        write("README.md", "one\n");
        var first = changes("README.md").getFirst();
        write("README.md", "one\ntwo\n");
        var second = changes("README.md").getFirst();
        assertThat(second.base()).as("chained on the first report").isEqualTo(first.blob());
        sync.applied("README.md", first.blob(), blob("one\nmerged\n"), null);
        assertThat(workspace.resolve("README.md")).as("the later edit wins until it is answered").hasContent("one\ntwo");
        sync.applied("README.md", second.blob(), second.blob(), null);
        assertThat(workspace.resolve("README.md")).hasContent("one\ntwo");
    }

    @Test
    void newFilesAreReportedUnlessGitIgnoresThemOrTheyAreTooLargeAndDeletionsCarryTheirBase() throws Exception {
        write(".gitignore", "*.log\nout/\n");
        server.commit("Ignore", ".gitignore", "*.log\nout/\n");
        sync.sync();
        write("train.log", "step 1\n");
        write("out/model.bin", "weights");
        write("data.csv", "a,b\n1,2\n");
        Files.write(workspace.resolve("big.bin"), new byte[(int) LIMIT + 1]);
        Files.delete(workspace.resolve("src/Train.java"));
        var reported = changes("train.log", "out/model.bin", "data.csv", "big.bin", "src/Train.java");
        assertThat(reported.stream().map(FromMachine.FsChange::path)).containsExactly("data.csv", "src/Train.java");
        assertThat(reported.get(0).base()).isNull();
        assertThat(reported.get(1).blob()).isNull();
        assertThat(reported.get(1).base()).isEqualTo(blob("class Train {}\n"));
        assertThat(sync.isKnown("data.csv")).isTrue();
        assertThat(sync.isKnown("train.log")).isFalse();
    }

    @Test
    void largeContentsStayOnTheMachineForTheServerToFetch() throws Exception {
        byte[] content = new byte[300_000];
        java.util.Arrays.fill(content, (byte) 'x');
        Files.write(workspace.resolve("wide.txt"), content);
        var change = changes("wide.txt").getFirst();
        assertThat(change.data()).isNull();
        assertThat(change.size()).isEqualTo(300_000);
        assertThat(sync.object(change.blob())).isEqualTo(content);
    }

    @Test
    void reportsNeverAnsweredAreMadeAgainFromTheSameBase() throws Exception {
        String base = blob("# Studio\n");
        write("README.md", "lost\n");
        changes("README.md");
        assertThat(sync.forgetUnanswered()).containsExactly("README.md");
        write("README.md", "lost, then more\n");
        assertThat(changes("README.md")).singleElement().satisfies(c -> assertThat(c.base()).isEqualTo(base));
    }

    @Test
    void aDeletionTheServerOverruledBringsTheFileBack() throws Exception {
        Files.delete(workspace.resolve("README.md"));
        var deletion = changes("README.md").getFirst();
        String kept = "# Studio, edited by Ada meanwhile\n";
        server.commit("Ada", "README.md", kept);
        sync.sync();
        sync.applied("README.md", deletion.blob(), blob(kept), null);
        assertThat(workspace.resolve("README.md")).hasContent(kept.strip());
    }

    @Test
    void aRestartedAgentReportsWhatChangedWhileItWasAway() throws Exception {
        write("README.md", "edited while the agent was down\n");
        var restarted = new WorkspaceSync(workspace, server.uri(), null);
        server.commit("Other file", "NOTES.md", "n\n");
        restarted.sync();
        assertThat(workspace.resolve("README.md")).hasContent("edited while the agent was down");
        assertThat(workspace.resolve("NOTES.md")).hasContent("n");
        var change = restarted.changes(List.of("README.md", "NOTES.md"), LIMIT, 1000);
        assertThat(change).singleElement().satisfies(c -> assertThat(c.base()).isEqualTo(blob("# Studio\n")));
    }

    private List<FromMachine.FsChange> changes(String... paths) throws Exception {
        return sync.changes(List.of(paths), LIMIT, 192 * 1024);
    }

    private void write(String path, String text) throws Exception {
        Path file = workspace.resolve(path);
        Files.createDirectories(file.getParent());
        Files.writeString(file, text);
    }

    private void assertNoSideBranch() throws Exception {
        try (var git = Git.open(workspace.toFile())) {
            Map<String, String> refs = git.getRepository().getRefDatabase().getRefs().stream()
                    .collect(Collectors.toMap(r -> r.getName(), r -> r.getObjectId().name()));
            assertThat(refs.keySet()).noneMatch(name -> name.contains("machine/"));
        }
    }

    static String blob(String text) {
        try (var formatter = new ObjectInserter.Formatter()) {
            return formatter.idFor(Constants.OBJ_BLOB, text.getBytes(StandardCharsets.UTF_8)).name();
        }
    }
}
