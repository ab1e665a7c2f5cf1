package dev.kiln.server.machine;

import dev.kiln.server.KilnHttp;
import dev.kiln.server.ServerTestSupport;
import dev.kiln.server.security.KilnPrincipal;
import dev.kiln.server.security.UserAccounts;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

import java.time.Duration;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * With {@code kiln.machine.local.sandbox=off} (or no sandbox to be had), a machine's shell would act as the server:
 * the machine says so, and only the studio's owner may run code on it; an editor's keystrokes and jobs are refused.
 */
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT)
class UnsandboxedMachineIT {

    @DynamicPropertySource
    static void unsandboxed(DynamicPropertyRegistry registry) {
        ServerTestSupport.freshDataDirectory(registry);
        registry.add("kiln.machine.local.sandbox", () -> "off");
    }

    @LocalServerPort
    int port;
    @Autowired
    UserAccounts accounts;

    @Test
    void onlyTheOwnerRunsCodeOnAnUnsandboxedMachineAndTheMachineSaysWhy() throws Exception {
        String base = "http://localhost:" + port;
        KilnPrincipal user = ServerTestSupport.newUser(accounts, "Uma Owner");
        var owner = KilnHttp.signIn(base, user.getUsername(), "password-" + user.getUsername());
        String studioId = owner.postJson("/api/studios", "{\"name\":\"Single user\"}").path("id").asString();
        String token = owner.postJson("/api/studios/" + studioId + "/links", "{\"role\":\"editor\"}").path("token")
                .asString();
        var mate = ServerTestSupport.newUser(accounts, "Eli Editor");
        var editor = KilnHttp.signIn(base, mate.getUsername(), "password-" + mate.getUsername());
        editor.postJson("/api/studios/joined/" + token, "{}");

        var state = KilnHttp.JSON.readTree(editor.get("/api/studios/" + studioId + "/machine").body());
        assertThat(state.path("unsandboxedReason").asString()).contains("not sandboxed")
                .contains("only a studio's owner may use its terminal and jobs");
        owner.startMachine(studioId, "local-1");

        var job = editor.post("/api/studios/" + studioId + "/jobs",
                "{\"entryPoint\":\"example.SumRegression\",\"nodes\":1,\"devices\":1}");
        assertThat(job.statusCode()).isEqualTo(403);
        assertThat(job.body()).contains("Only the studio's owner can run code on its machine here");

        var theirs = LocalMachineIT.TerminalClient.open(port, editor, studioId);
        theirs.send("{\"type\":\"resize\",\"cols\":80,\"rows\":24}");
        theirs.send("{\"type\":\"input\",\"data\":\"echo editor-$((3*3))\\r\"}");
        var mine = LocalMachineIT.TerminalClient.open(port, owner, studioId);
        mine.send("{\"type\":\"input\",\"data\":\"echo owner-$((2*2))\\r\"}");
        await().atMost(Duration.ofSeconds(15)).until(() -> mine.screen().contains("owner-4"));
        assertThat(mine.screen()).doesNotContain("editor-9");
        assertThat(theirs.screen()).as("the editor still watches").contains("owner-4");
        theirs.close();
        mine.close();
    }
}
