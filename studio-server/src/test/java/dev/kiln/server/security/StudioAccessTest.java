package dev.kiln.server.security;

import dev.kiln.server.ServerTestSupport;
import dev.kiln.server.studio.StudioService;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.webmvc.test.autoconfigure.AutoConfigureMockMvc;
import org.springframework.http.MediaType;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;
import org.springframework.test.web.servlet.MockMvc;
import org.springframework.test.web.servlet.request.MockHttpServletRequestBuilder;

import java.util.List;
import java.util.function.Function;

import static org.assertj.core.api.Assertions.assertThat;
import static org.springframework.security.test.web.servlet.request.SecurityMockMvcRequestPostProcessors.csrf;
import static org.springframework.security.test.web.servlet.request.SecurityMockMvcRequestPostProcessors.httpBasic;
import static org.springframework.security.test.web.servlet.request.SecurityMockMvcRequestPostProcessors.user;
import static org.springframework.test.web.servlet.request.MockMvcRequestBuilders.delete;
import static org.springframework.test.web.servlet.request.MockMvcRequestBuilders.get;
import static org.springframework.test.web.servlet.request.MockMvcRequestBuilders.put;
import static org.springframework.test.web.servlet.request.MockMvcRequestBuilders.post;

/**
 * Every studio route, asked by an anonymous caller, by the owner and by another user. The other user must get
 * the same 404 as for a studio that does not exist, and must change nothing.
 */
@SpringBootTest
@AutoConfigureMockMvc
class StudioAccessTest {

    @DynamicPropertySource
    static void dataDirectory(DynamicPropertyRegistry registry) {
        ServerTestSupport.freshDataDirectory(registry);
    }

    @Autowired
    MockMvc mvc;
    @Autowired
    UserAccounts accounts;
    @Autowired
    StudioService studios;

    KilnPrincipal owner;
    KilnPrincipal stranger;
    String studioId;
    String commitId;

    @BeforeEach
    void ownerHasAStudio() {
        owner = ServerTestSupport.newUser(accounts, "Owner");
        stranger = ServerTestSupport.newUser(accounts, "Stranger");
        ServerTestSupport.signIn(owner);
        studioId = studios.create("Private work").id();
        commitId = studios.history(studioId, "README.md").get(0).commitId();
        ServerTestSupport.signOut();
    }

    @AfterEach
    void clear() {
        ServerTestSupport.signOut();
    }

    /** The studio's routes, each with the status the owner gets. */
    private List<Route> routes() {
        var readme = "README.md";
        return List.of(
                new Route("open", 200, id -> get("/api/studios/{id}", id)),
                new Route("file tree", 200, id -> get("/api/studios/{id}/files", id)),
                new Route("file read", 200, id -> get("/api/studios/{id}/file", id).param("path", readme)),
                new Route("file write", 200, id -> put("/api/studios/{id}/file", id).param("path", "new.txt")
                        .contentType(MediaType.APPLICATION_JSON).content("{\"text\":\"hello\",\"baseVersion\":\"\"}")),
                new Route("history", 200, id -> get("/api/studios/{id}/history", id).param("path", readme)),
                new Route("old version", 200, id -> get("/api/studios/{id}/history/{c}", id, commitId).param("path", readme)),
                // The files tree (no machine runs here: the workspace part answers, the home part says offline).
                new Route("fs workspace", 200, id -> get("/api/studios/{id}/fs/workspace", id)),
                new Route("fs list", 200, id -> get("/api/studios/{id}/fs/list", id).param("path", "")),
                new Route("fs preview", 200, id -> get("/api/studios/{id}/fs/preview", id).param("path", "workspace/" + readme)),
                new Route("fs download", 200, id -> get("/api/studios/{id}/fs/download", id).param("path", "workspace")
                        .param("format", "zip")),
                new Route("fs upload", 201, id -> put("/api/studios/{id}/fs/upload", id).param("path", "workspace/up.txt")
                        .contentType(MediaType.APPLICATION_OCTET_STREAM).content("uploaded")),
                new Route("fs folder", 201, id -> post("/api/studios/{id}/fs/folder", id)
                        .contentType(MediaType.APPLICATION_JSON).content("{\"path\":\"workspace/made\"}")),
                new Route("fs rename", 204, id -> post("/api/studios/{id}/fs/rename", id)
                        .contentType(MediaType.APPLICATION_JSON).content("{\"from\":\"workspace/up.txt\",\"to\":\"workspace/moved.txt\"}")),
                new Route("fs delete", 204, id -> delete("/api/studios/{id}/fs", id).param("path", "workspace/moved.txt")),
                new Route("delete", 204, id -> delete("/api/studios/{id}", id)));
    }

    record Route(String name, int ownerStatus, Function<String, MockHttpServletRequestBuilder> request) {
    }

    @Test
    void anonymousCallersGet401OnEveryRoute() throws Exception {
        assertThat(mvc.perform(get("/api/studios")).andReturn().getResponse().getStatus()).isEqualTo(401);
        for (var route : routes()) {
            var status = mvc.perform(route.request().apply(studioId).with(csrf())).andReturn().getResponse().getStatus();
            assertThat(status).as(route.name()).isEqualTo(401);
        }
    }

    @Test
    void anotherUserGetsNotFoundOnEveryRouteAndChangesNothing() throws Exception {
        for (var route : routes()) {
            var response = mvc.perform(route.request().apply(studioId).with(user(stranger)).with(csrf())).andReturn().getResponse();
            assertThat(response.getStatus()).as(route.name()).isEqualTo(404);
            assertThat(response.getContentAsString()).as(route.name()).contains("Studio not found, or you have no access to it.");
        }
        // Same answer as for an id that does not exist: nothing tells the two apart.
        var missing = mvc.perform(get("/api/studios/{id}", "00000000-0000-0000-0000-000000000000").with(user(stranger)))
                .andReturn().getResponse();
        assertThat(missing.getStatus()).isEqualTo(404);
        assertThat(missing.getContentAsString()).contains("Studio not found, or you have no access to it.");

        var list = mvc.perform(get("/api/studios").with(user(stranger))).andReturn().getResponse().getContentAsString();
        assertThat(list).doesNotContain(studioId);
        ServerTestSupport.signIn(owner);
        assertThat(studios.open(studioId).name()).isEqualTo("Private work");
        assertThat(studios.tree(studioId)).noneMatch(e -> e.path().equals("new.txt"));
    }

    @Test
    void theOwnerCanUseEveryRoute() throws Exception {
        var list = mvc.perform(get("/api/studios").with(user(owner))).andReturn().getResponse();
        assertThat(list.getStatus()).isEqualTo(200);
        assertThat(list.getContentAsString()).contains(studioId);
        for (var route : routes()) {
            var response = mvc.perform(route.request().apply(studioId).with(user(owner)).with(csrf())).andReturn().getResponse();
            assertThat(response.getStatus()).as(route.name() + ": " + response.getContentAsString()).isEqualTo(route.ownerStatus());
        }
    }

    @Test
    void writesWithoutACsrfTokenAreRefused() throws Exception {
        var response = mvc.perform(put("/api/studios/{id}/file", studioId).param("path", "x.txt").with(user(owner))
                .contentType(MediaType.APPLICATION_JSON).content("{\"text\":\"x\",\"baseVersion\":\"\"}")).andReturn().getResponse();
        assertThat(response.getStatus()).isEqualTo(403);
        ServerTestSupport.signIn(owner);
        assertThat(studios.tree(studioId)).noneMatch(e -> e.path().equals("x.txt"));
    }

    @Test
    void apiClientsWriteWithTheTokenTheCsrfRouteHandsOut() throws Exception {
        // The session lives in the database (Spring Session): the second request names it by its cookie, as a client does.
        var first = mvc.perform(get("/api/studios/csrf").with(user(owner))).andReturn().getResponse();
        var session = first.getCookie("SESSION");
        var body = first.getContentAsString();
        var header = body.replaceAll(".*\"headerName\":\"([^\"]+)\".*", "$1");
        var token = body.replaceAll(".*\"token\":\"([^\"]+)\".*", "$1");

        var response = mvc.perform(put("/api/studios/{id}/file", studioId).param("path", "api.txt").cookie(session)
                .with(user(owner)).header(header, token)
                .contentType(MediaType.APPLICATION_JSON).content("{\"text\":\"via api\",\"baseVersion\":\"\"}")).andReturn().getResponse();
        assertThat(response.getStatus()).as(response.getContentAsString()).isEqualTo(200);
        ServerTestSupport.signIn(owner);
        assertThat(studios.read(studioId, "api.txt").text()).isEqualTo("via api");
    }

    @Test
    void badPathsAndStaleSavesGetClearErrors() throws Exception {
        var evil = mvc.perform(put("/api/studios/{id}/file", studioId).param("path", "../../etc/passwd").with(user(owner)).with(csrf())
                .contentType(MediaType.APPLICATION_JSON).content("{\"text\":\"x\",\"baseVersion\":\"\"}")).andReturn().getResponse();
        assertThat(evil.getStatus()).isEqualTo(400);
        assertThat(evil.getContentAsString()).contains("only be written inside the workspace");

        var stale = mvc.perform(put("/api/studios/{id}/file", studioId).param("path", "README.md").with(user(owner)).with(csrf())
                .contentType(MediaType.APPLICATION_JSON).content("{\"text\":\"x\",\"baseVersion\":\"\"}")).andReturn().getResponse();
        assertThat(stale.getStatus()).isEqualTo(409);
        assertThat(stale.getContentAsString()).contains("changed since you opened it");
    }

    @Test
    void studioPagesSendAnonymousUsersToTheLoginPage() throws Exception {
        for (var page : List.of("/", "/studio/" + studioId)) {
            var response = mvc.perform(get(page)).andReturn().getResponse();
            assertThat(response.getStatus()).as(page).isEqualTo(302);
            assertThat(response.getRedirectedUrl()).as(page).endsWith("/login");
        }
    }

    @Autowired
    dev.kiln.server.studio.SharingService sharing;

    @Test
    void shareLinkRolesAreEnforcedOnEveryRoute() throws Exception {
        ServerTestSupport.signIn(owner);
        var viewerLink = sharing.createLink(studioId, "viewer", null).token();
        var editorLink = sharing.createLink(studioId, "editor", null).token();
        var viewer = ServerTestSupport.newUser(accounts, "Viewer");
        var editor = ServerTestSupport.newUser(accounts, "Editor");
        ServerTestSupport.signIn(viewer);
        sharing.join(viewerLink);
        ServerTestSupport.signIn(editor);
        sharing.join(editorLink);
        ServerTestSupport.signOut();

        for (var route : routes()) {
            int expectedForViewer = switch (route.name()) {
                case "file write", "delete", "fs upload", "fs folder", "fs rename", "fs delete" -> 403;
                default -> route.ownerStatus();
            };
            if (route.name().equals("delete")) {
                continue; // checked below, so the studio stays for the other routes
            }
            var response = mvc.perform(route.request().apply(studioId).with(user(viewer)).with(csrf())).andReturn().getResponse();
            assertThat(response.getStatus()).as("viewer: " + route.name()).isEqualTo(expectedForViewer);
        }
        var write = put("/api/studios/{id}/file", studioId).param("path", "team.txt").contentType(MediaType.APPLICATION_JSON)
                .content("{\"text\":\"from the editor\",\"baseVersion\":\"\"}");
        var refused = mvc.perform(put("/api/studios/{id}/file", studioId).param("path", "team.txt").with(user(viewer)).with(csrf())
                .contentType(MediaType.APPLICATION_JSON).content("{\"text\":\"x\",\"baseVersion\":\"\"}")).andReturn().getResponse();
        assertThat(refused.getContentAsString()).contains("view this studio but not change it");
        assertThat(mvc.perform(write.with(user(editor)).with(csrf())).andReturn().getResponse().getStatus()).isEqualTo(200);
        // Editors change files, not the studio: deleting it or managing links is the owner's.
        assertThat(mvc.perform(delete("/api/studios/{id}", studioId).with(user(editor)).with(csrf())).andReturn().getResponse().getStatus()).isEqualTo(403);
        assertThat(mvc.perform(delete("/api/studios/{id}", studioId).with(user(viewer)).with(csrf())).andReturn().getResponse().getStatus()).isEqualTo(403);
        assertThat(mvc.perform(get("/api/studios/{id}/links", studioId).with(user(editor))).andReturn().getResponse().getStatus()).isEqualTo(403);
        // Both see the studio in their list, with their role.
        assertThat(mvc.perform(get("/api/studios").with(user(viewer))).andReturn().getResponse().getContentAsString())
                .contains(studioId, "\"role\":\"viewer\"");

        // Revoked: back to "not found", like a stranger.
        ServerTestSupport.signIn(owner);
        sharing.revoke(studioId, viewerLink);
        assertThat(mvc.perform(get("/api/studios/{id}", studioId).with(user(viewer))).andReturn().getResponse().getStatus()).isEqualTo(404);
        assertThat(mvc.perform(get("/api/studios/{id}", studioId).with(user(editor))).andReturn().getResponse().getStatus()).isEqualTo(200);
    }

    @Autowired
    dev.kiln.api.security.UserDirectory directory;

    @Test
    void onlyAdministratorsManageUsers() throws Exception {
        ServerTestSupport.signIn(owner);
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> directory.users()).isInstanceOf(SecurityException.class);
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> directory.create("sneaky", "Sneaky", "password-123", true))
                .isInstanceOf(SecurityException.class);
        ServerTestSupport.signIn(accounts.find("admin").orElseThrow());
        directory.create("newbie", "New Bie", "password-123", false);
        assertThat(directory.users()).extracting(u -> u.username()).contains("newbie").doesNotContain("sneaky");
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> directory.create("newbie", "Again", "password-123", false))
                .hasMessageContaining("already a user called newbie");
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> directory.create("x", "Short", "short", false))
                .hasMessageContaining("at least 8");
    }

    @Test
    void metricsAreForAdminsOnly() throws Exception {
        assertThat(mvc.perform(get("/actuator/prometheus")).andReturn().getResponse().getStatus()).isEqualTo(401);
        assertThat(mvc.perform(get("/actuator/health")).andReturn().getResponse().getStatus()).isEqualTo(401);
        assertThat(mvc.perform(get("/actuator/prometheus").with(user(owner))).andReturn().getResponse().getStatus()).isEqualTo(403);

        var scrape = mvc.perform(get("/actuator/prometheus").with(httpBasic("admin", "admin-password-for-tests"))).andReturn().getResponse();
        assertThat(scrape.getStatus()).isEqualTo(200);
        assertThat(scrape.getContentAsString()).contains("jvm_memory_used_bytes");
        var health = mvc.perform(get("/actuator/health").with(httpBasic("admin", "admin-password-for-tests"))).andReturn().getResponse();
        assertThat(health.getContentAsString()).contains("\"status\":\"UP\"");
        assertThat(mvc.perform(get("/actuator/health").with(httpBasic("admin", "wrong"))).andReturn().getResponse().getStatus()).isEqualTo(401);
    }
}
