package dev.kiln.server.collab;

import dev.kiln.collab.ChangeSet;
import dev.kiln.server.KilnHttp;
import dev.kiln.server.ServerTestSupport;
import dev.kiln.server.files.MachineShell;
import dev.kiln.server.machine.MachineChannel;
import dev.kiln.server.security.KilnPrincipal;
import dev.kiln.server.security.UserAccounts;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Edits made on the studio's machine reach the people editing the same file, live: two real collaboration clients
 * have README.md open while the machine (a real agent, commands run as its terminal would) changes it with
 * {@code sed -i}. Both see the change; what one of them typed at the same moment stays; the editors' text reaches
 * the machine's file; a file deleted on the machine closes its editors; and the commit credits the machine.
 */
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT)
class MachineEditsIT {

    @DynamicPropertySource
    static void dataDirectory(DynamicPropertyRegistry registry) {
        ServerTestSupport.freshDataDirectory(registry);
    }

    @LocalServerPort
    int port;
    @Autowired
    UserAccounts accounts;
    @Autowired
    MachineChannel channel;
    @org.springframework.beans.factory.annotation.Value("${kiln.data-dir}")
    java.nio.file.Path dataDir;

    KilnHttp owner;
    KilnHttp teammate;
    String studioId;
    MachineShell shell;
    final List<CollabSocketClient> clients = new ArrayList<>();

    @BeforeEach
    void studioWithAMachineAndTwoEditors() {
        KilnPrincipal ada = ServerTestSupport.newUser(accounts, "Ada Owner");
        KilnPrincipal ben = ServerTestSupport.newUser(accounts, "Ben Teammate");
        owner = KilnHttp.signIn("http://localhost:" + port, ada.getUsername(), "password-" + ada.getUsername());
        teammate = KilnHttp.signIn(owner.base, ben.getUsername(), "password-" + ben.getUsername());
        studioId = owner.postJson("/api/studios", "{\"name\":\"Live machine\"}").path("id").asString();
        String token = owner.postJson("/api/studios/" + studioId + "/links", "{\"role\":\"editor\"}").path("token")
                .asString();
        teammate.postJson("/api/studios/joined/" + token, "{}");
        owner.startMachine(studioId, "local-1");
        shell = new MachineShell(channel, studioId);
    }

    @AfterEach
    void stop() {
        clients.forEach(CollabSocketClient::close);
        shell.close();
        owner.post("/api/studios/" + studioId + "/machine/stop", "{}");
    }

    CollabSocketClient open(KilnHttp session, String path, String clientId) {
        var client = CollabSocketClient.connect(session, studioId, path, clientId);
        clients.add(client);
        return client;
    }

    @Test
    void sedInTheTerminalShowsInEveryOpenEditorAndWhatWasTypedMeanwhileStays() {
        var a = open(owner, "README.md", "ada");
        var b = open(teammate, "README.md", "ben");
        String before = a.doc();
        assertThat(before).startsWith("# Live machine");

        // Ben types at the end while the machine rewrites the first line.
        b.edit(doc -> ChangeSet.replace(doc.length(), doc.length(), doc.length(), "typed by Ben\n"));
        shell.sh("sed -i 's/^# Live machine/# Live machine, edited with sed/' workspace/README.md");

        await().atMost(Duration.ofSeconds(15)).until(() -> a.doc().startsWith("# Live machine, edited with sed")
                && b.doc().startsWith("# Live machine, edited with sed"));
        await().atMost(Duration.ofSeconds(15)).until(() -> a.doc().equals(b.doc()) && b.pending() == 0);
        assertThat(a.doc()).endsWith("typed by Ben\n");

        // The live text, with both changes, is what the machine's file becomes.
        await().atMost(Duration.ofSeconds(20)).until(() -> shell.sh("cat workspace/README.md").equals(a.doc()));
        // Committed like any co-edit: the machine is credited beside Ben (the first to edit since the last commit).
        try (var git = org.eclipse.jgit.api.Git.open(ServerTestSupport.workspaceOf(dataDir, studioId).toFile())) {
            var credits = new ArrayList<String>();
            for (var commit : git.log().addPath("README.md").call()) {
                credits.add(commit.getAuthorIdent().getName() + "\n" + commit.getFullMessage());
            }
            assertThat(String.join("\n", credits)).contains("Studio machine");
        } catch (Exception e) {
            throw new AssertionError(e);
        }
    }

    @Test
    void whatAnEditorTypesReachesCatOnTheMachine() {
        var a = open(owner, "README.md", "ada");
        a.edit(doc -> ChangeSet.replace(doc.length(), 0, 0, "typed in the browser\n"));
        await().atMost(Duration.ofSeconds(20)).until(() -> shell.sh("cat workspace/README.md")
                .startsWith("typed in the browser\n"));
    }

    @Test
    void aFileDeletedOnTheMachineClosesItsEditorsAndLeavesTheStudio() {
        var a = open(owner, "README.md", "ada");
        shell.sh("rm workspace/README.md");
        var closed = a.awaitMessage(m -> m.path("type").asString().equals("closed"), Duration.ofSeconds(15));
        assertThat(closed.path("message").asString()).contains("deleted on the machine");
        await().atMost(Duration.ofSeconds(15)).until(() -> owner.get("/api/studios/" + studioId
                + "/file?path=README.md").statusCode() == 404);
    }
}
