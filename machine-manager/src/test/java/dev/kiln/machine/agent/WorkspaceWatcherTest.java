package dev.kiln.machine.agent;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.List;
import java.util.Objects;

import dev.kiln.machine.protocol.FromMachine;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * The watcher on a real file system (inotify): what a terminal does to the workspace becomes one report per file
 * with its base, temporary files of {@code sed -i} never travel, ignored and large files stay on the machine, and
 * anything created or deleted in the home is announced for the file tree.
 */
class WorkspaceWatcherTest {
    @TempDir
    Path temp;
    GitRemote server;
    Path home;
    Path workspace;
    WorkspaceSync sync;
    Outbox outbox;
    CapturedSocket socket;
    WorkspaceWatcher watcher;

    @BeforeEach
    void watching() throws Exception {
        server = GitRemote.create(temp.resolve("server"));
        server.commit("Template", "README.md", "# Studio\n", ".gitignore", "out/\n*.log\n");
        home = temp.resolve("home");
        workspace = home.resolve("workspace");
        sync = new WorkspaceSync(workspace, server.uri(), null);
        sync.sync();
        outbox = new Outbox();
        socket = new CapturedSocket();
        outbox.attach(socket);
        watcher = new WorkspaceWatcher(home, sync, outbox);
        watcher.start(1 << 20);
    }

    @AfterEach
    void stop() {
        watcher.close();
        outbox.close();
        server.close();
    }

    @Test
    void aNewFileAnEditInPlaceAndADeletionAreEachReportedOnce() throws Exception {
        Files.writeString(workspace.resolve("hello.txt"), "hi from echo\n");
        var created = await("hello.txt").blob();
        assertThat(change("hello.txt").base()).isNull();

        // sed -i: a temporary file in the same folder, renamed over the original.
        Path temporary = workspace.resolve("sedAbC123");
        Files.writeString(temporary, "hi from sed\n");
        Files.move(temporary, workspace.resolve("hello.txt"), StandardCopyOption.REPLACE_EXISTING,
                StandardCopyOption.ATOMIC_MOVE);
        var edited = awaitChange(c -> c.path().equals("hello.txt") && created.equals(c.base()));
        assertThat(edited.blob()).isNotNull();

        Files.delete(workspace.resolve("README.md"));
        var deleted = awaitChange(c -> c.path().equals("README.md"));
        assertThat(deleted.blob()).isNull();
        assertThat(deleted.base()).isEqualTo(WorkspaceSyncTest.blob("# Studio\n"));
        assertThat(changes()).as("the temporary file of sed never travelled").noneMatch(c -> c.path().startsWith("sed"));
    }

    @Test
    void aRenameIsADeletionAndACreationAndNewFoldersAreWatchedAtOnce() throws Exception {
        Files.move(workspace.resolve("README.md"), workspace.resolve("GUIDE.md"));
        awaitChange(c -> c.path().equals("README.md") && c.blob() == null);
        awaitChange(c -> c.path().equals("GUIDE.md") && c.base() == null);
        Files.createDirectories(workspace.resolve("a/b"));
        Files.writeString(workspace.resolve("a/b/deep.txt"), "deep\n");
        await("a/b/deep.txt");
        Files.writeString(workspace.resolve("a/b/later.txt"), "later\n");
        await("a/b/later.txt");
    }

    @Test
    void ignoredAndLargeFilesStayOnTheMachineButTheTreeHearsOfThem() throws Exception {
        Files.createDirectories(workspace.resolve("out"));
        Files.writeString(workspace.resolve("out/model.bin"), "weights");
        Files.writeString(workspace.resolve("train.log"), "step 1\n");
        Files.write(workspace.resolve("big.bin"), new byte[(1 << 20) + 1]);
        Files.createDirectories(home.resolve("data"));
        Files.writeString(home.resolve("data/sums.csv"), "a,b\n");
        Files.writeString(workspace.resolve("marker.txt"), "after the others\n");
        await("marker.txt");
        assertThat(changes()).extracting(FromMachine.FsChange::path).containsExactly("marker.txt");
        org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> socket.sent(FromMachine.FsEvents.class)
                .stream().flatMap(e -> e.dirs().stream()).toList().containsAll(List.of("", "data", "workspace")));
    }

    @Test
    void hiddenFoldersOfTheHomeAreNotWatched() throws Exception {
        Files.createDirectories(home.resolve(".cache/pip"));
        Files.writeString(home.resolve(".cache/pip/x"), "x");
        Files.writeString(workspace.resolve("marker.txt"), "m\n");
        await("marker.txt");
        assertThat(socket.sent(FromMachine.FsEvents.class).stream().flatMap(e -> e.dirs().stream()))
                .noneMatch(d -> d.startsWith(".cache/"));
    }

    private FromMachine.FsChange await(String path) {
        return awaitChange(c -> c.path().equals(path));
    }

    private FromMachine.FsChange awaitChange(java.util.function.Predicate<FromMachine.FsChange> which) {
        org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> changes().stream().anyMatch(which));
        return changes().stream().filter(which).findFirst().orElseThrow();
    }

    private FromMachine.FsChange change(String path) {
        return changes().stream().filter(c -> c.path().equals(path)).findFirst().orElseThrow();
    }

    private List<FromMachine.FsChange> changes() {
        return socket.sent(FromMachine.FsChanges.class).stream().flatMap(c -> c.changes().stream())
                .filter(Objects::nonNull).toList();
    }
}
