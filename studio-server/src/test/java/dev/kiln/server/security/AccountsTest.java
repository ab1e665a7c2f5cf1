package dev.kiln.server.security;

import dev.kiln.server.ServerTestSupport;
import dev.kiln.server.config.KilnProperties;
import dev.kiln.server.studio.SharingService;
import dev.kiln.server.studio.StudioService;
import dev.kiln.api.security.UserDirectory;
import dev.kiln.api.security.CurrentUser;
import dev.kiln.api.studio.ShareInvitation;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.webmvc.test.autoconfigure.AutoConfigureMockMvc;
import org.springframework.http.MediaType;
import org.springframework.mock.web.MockHttpServletResponse;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;
import org.springframework.test.web.servlet.MockMvc;
import org.springframework.test.web.servlet.request.RequestPostProcessor;

import java.nio.file.Files;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.springframework.security.test.web.servlet.request.SecurityMockMvcRequestPostProcessors.csrf;
import static org.springframework.security.test.web.servlet.request.SecurityMockMvcRequestPostProcessors.user;
import static org.springframework.test.web.servlet.request.MockMvcRequestBuilders.get;
import static org.springframework.test.web.servlet.request.MockMvcRequestBuilders.post;
import static org.springframework.test.web.servlet.request.MockMvcRequestBuilders.put;

/**
 * Accounts over their real services and routes: a user changes their password, an administrator resets, disables
 * and deletes accounts (and what becomes of the studios), and joining through a share link never lowers a role.
 * Ending sessions and sockets at once is in {@code AccountSessionsIT}, against a running server.
 */
@SpringBootTest
@AutoConfigureMockMvc
class AccountsTest {

    @DynamicPropertySource
    static void dataDirectory(DynamicPropertyRegistry registry) {
        ServerTestSupport.freshDataDirectory(registry);
    }

    @Autowired
    MockMvc mvc;
    @Autowired
    UserAccounts accounts;
    @Autowired
    UserDirectory directory;
    @Autowired
    CurrentUser currentUser;
    @Autowired
    StudioService studios;
    @Autowired
    SharingService sharing;
    @Autowired
    KilnProperties properties;
    @Autowired
    dev.kiln.server.session.PersistentSessions sessions;

    @AfterEach
    void clear() {
        ServerTestSupport.signOut();
    }

    private static String password(KilnPrincipal user) {
        return "password-" + user.getUsername();
    }

    private static RequestPostProcessor from(String address) {
        return request -> {
            request.setRemoteAddr(address);
            return request;
        };
    }

    private MockHttpServletResponse signIn(String name, String password, String address) throws Exception {
        return mvc.perform(post("/login").param("username", name).param("password", password).with(csrf()).with(from(address)))
                .andReturn().getResponse();
    }

    private boolean canSignIn(String name, String password) throws Exception {
        var response = signIn(name, password, "192.0.2." + (1 + (int) (Math.random() * 250)));
        return response.getStatus() == 302 && !response.getRedirectedUrl().contains("login");
    }

    private void asAdmin() {
        ServerTestSupport.signIn(accounts.find("admin").orElseThrow());
    }

    private MockHttpServletResponse changePassword(KilnPrincipal user, String current, String next) throws Exception {
        var body = "{\"current\":\"" + current + "\",\"password\":\"" + next + "\"}";
        return mvc.perform(put("/api/account/password").with(user(user)).with(csrf()).with(from("198.51.100.77"))
                .contentType(MediaType.APPLICATION_JSON).content(body)).andReturn().getResponse();
    }

    @Test
    void aUserChangesTheirOwnPasswordWithTheCurrentOne() throws Exception {
        var ada = ServerTestSupport.newUser(accounts, "Ada");
        var wrong = changePassword(ada, "not-my-password", "a-new-password");
        assertThat(wrong.getStatus()).isEqualTo(400);
        assertThat(wrong.getContentAsString()).contains("current password is not right");
        var weak = changePassword(ada, password(ada), "short");
        assertThat(weak.getStatus()).isEqualTo(400);
        assertThat(weak.getContentAsString()).contains("at least 8 characters");

        assertThat(changePassword(ada, password(ada), "a-new-password").getStatus()).isEqualTo(204);
        assertThat(canSignIn(ada.getUsername(), "a-new-password")).isTrue();
        assertThat(canSignIn(ada.getUsername(), password(ada))).isFalse();

        // The same through the views' CurrentUser (the account dialog).
        ServerTestSupport.signIn(accounts.find(ada.getUsername()).orElseThrow());
        assertThatThrownBy(() -> currentUser.changePassword("wrong", "another-password"))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("current password is not right");
        currentUser.changePassword("a-new-password", "another-password");
        assertThat(canSignIn(ada.getUsername(), "another-password")).isTrue();
    }

    @Test
    void guessingTheCurrentPasswordIsThrottledLikeASignIn() throws Exception {
        var bob = ServerTestSupport.newUser(accounts, "Bob");
        for (int i = 0; i < 10; i++) {
            changePassword(bob, "guess-" + i, "a-new-password");
        }
        var right = changePassword(bob, password(bob), "a-new-password");
        assertThat(right.getStatus()).isEqualTo(429);
        assertThat(right.getHeader("Retry-After")).isNotNull();
        assertThat(right.getContentAsString()).contains("Too many failed sign-ins");
    }

    @Test
    void anAdministratorResetsAPassword() throws Exception {
        var cy = ServerTestSupport.newUser(accounts, "Cy");
        asAdmin();
        assertThatThrownBy(() -> directory.resetPassword(cy.getUsername(), "short")).hasMessageContaining("at least 8");
        directory.resetPassword(cy.getUsername(), "reset-by-admin");
        assertThat(canSignIn(cy.getUsername(), password(cy))).isFalse();
        assertThat(canSignIn(cy.getUsername(), "reset-by-admin")).isTrue();
    }

    @Test
    void aDisabledAccountCannotSignInUntilEnabledAgainAndIsToldWhy() throws Exception {
        var dee = ServerTestSupport.newUser(accounts, "Dee");
        asAdmin();
        directory.setDisabled(dee.getUsername(), true);
        assertThat(directory.users()).filteredOn(u -> u.username().equals(dee.getUsername()))
                .singleElement().satisfies(u -> assertThat(u.disabled()).isTrue());
        var refused = mvc.perform(post("/login").param("username", dee.getUsername()).param("password", password(dee))
                .with(csrf()).with(from("192.0.2.200"))).andReturn();
        assertThat(refused.getResponse().getRedirectedUrl()).endsWith("/login?error");
        // What the login page shows next is kept in the person's session, named by the cookie the refusal set.
        var sessionId = new String(java.util.Base64.getDecoder().decode(refused.getResponse().getCookie("SESSION").getValue()));
        assertThat(sessions.findById(sessionId).<Object>getAttribute(dev.kiln.ui.security.LoginView.MESSAGE_ATTRIBUTE))
                .asString().contains("disabled");
        asAdmin();
        directory.setDisabled(dee.getUsername(), false);
        assertThat(canSignIn(dee.getUsername(), password(dee))).isTrue();
    }

    @Test
    void deletingAnAccountTrashesItsStudiosRemovesItsMembershipsAndFreesTheName() throws Exception {
        var eve = ServerTestSupport.newUser(accounts, "Eve");
        var owner = ServerTestSupport.newUser(accounts, "Other Owner");
        ServerTestSupport.signIn(eve);
        var own = studios.create("Eve's work").id();
        var link = sharing.createLink(own, "editor", null).token();
        ServerTestSupport.signIn(owner);
        var shared = studios.create("Shared with Eve").id();
        var editorLink = sharing.createLink(shared, "editor", null).token();
        sharing.join(link); // the other owner is a member of Eve's studio
        ServerTestSupport.signIn(eve);
        sharing.join(editorLink);

        asAdmin();
        assertThat(directory.studiosOwnedBy(eve.getUsername())).containsExactly("Eve's work");
        directory.delete(eve.getUsername());

        assertThat(directory.users()).noneMatch(u -> u.username().equals(eve.getUsername()));
        assertThat(canSignIn(eve.getUsername(), password(eve))).isFalse();
        assertThat(Files.exists(properties.workspacesDir().resolve(own))).as("workspace moved away").isFalse();
        try (var trash = Files.list(properties.trashDir())) {
            assertThat(trash.map(p -> p.getFileName().toString())).anyMatch(name -> name.startsWith(own + "-"));
        }
        ServerTestSupport.signIn(owner);
        assertThat(studios.myStudios()).extracting(s -> s.id()).contains(shared).doesNotContain(own);
        assertThat(sharing.links(shared)).singleElement().satisfies(l -> assertThat(l.joined()).isEmpty());
        // The name is free again.
        asAdmin();
        directory.create(eve.getUsername(), "A new Eve", "password-new-eve", false);
        assertThat(canSignIn(eve.getUsername(), "password-new-eve")).isTrue();
    }

    @Test
    void administratorsDoNotLockThemselvesOutAndOthersManageNothing() {
        asAdmin();
        assertThatThrownBy(() -> directory.setDisabled("admin", true)).hasMessageContaining("your own account");
        assertThatThrownBy(() -> directory.delete("admin")).hasMessageContaining("your own account");
        assertThatThrownBy(() -> directory.resetPassword("admin", "a-new-password")).hasMessageContaining("account menu");
        assertThatThrownBy(() -> directory.delete("no-such-user")).hasMessageContaining("no user called");

        var fay = ServerTestSupport.newUser(accounts, "Fay");
        var gus = ServerTestSupport.newUser(accounts, "Gus");
        ServerTestSupport.signIn(fay);
        assertThatThrownBy(() -> directory.setDisabled(gus.getUsername(), true)).isInstanceOf(SecurityException.class);
        assertThatThrownBy(() -> directory.delete(gus.getUsername())).isInstanceOf(SecurityException.class);
        assertThatThrownBy(() -> directory.resetPassword(gus.getUsername(), "a-new-password")).isInstanceOf(SecurityException.class);
        assertThatThrownBy(() -> directory.studiosOwnedBy(gus.getUsername())).isInstanceOf(SecurityException.class);
    }

    @Test
    void openingALinkChangesNothingUntilJoinAndNeverLowersARole() throws Exception {
        var owner = ServerTestSupport.newUser(accounts, "Link Owner");
        var teammate = ServerTestSupport.newUser(accounts, "Teammate");
        ServerTestSupport.signIn(owner);
        var studioId = studios.create("Team studio").id();
        var viewerLink = sharing.createLink(studioId, "viewer", null).token();
        var editorLink = sharing.createLink(studioId, "editor", null).token();

        // The owner opening their own link is told so, and stays the owner.
        var own = sharing.invitation(editorLink);
        assertThat(own.effect()).isEqualTo(ShareInvitation.Effect.OWNER);
        assertThat(sharing.join(editorLink).role()).isEqualTo("owner");

        // The confirmation page's question changes nothing.
        ServerTestSupport.signIn(teammate);
        var offer = sharing.invitation(editorLink);
        assertThat(offer).isEqualTo(new ShareInvitation(studioId, "Team studio", "Link Owner", "editor", null, null));
        assertThat(offer.effect()).isEqualTo(ShareInvitation.Effect.JOIN);
        assertThat(studios.myStudios()).noneMatch(s -> s.id().equals(studioId));
        var viaApi = mvc.perform(get("/api/studios/joined/{t}", editorLink).with(user(teammate))).andReturn().getResponse();
        assertThat(viaApi.getContentAsString()).contains("\"effect\":\"JOIN\"", "\"sharedBy\":\"Link Owner\"");
        ServerTestSupport.signIn(teammate);
        assertThat(studios.myStudios()).noneMatch(s -> s.id().equals(studioId));

        // Joining is the POST.
        var joined = mvc.perform(post("/api/studios/joined/{t}", editorLink).with(user(teammate)).with(csrf()))
                .andReturn().getResponse();
        assertThat(joined.getContentAsString()).contains("\"role\":\"editor\"");
        ServerTestSupport.signIn(teammate);

        // An editor opening a viewer link stays an editor, and is told so.
        var lower = sharing.invitation(viewerLink);
        assertThat(lower.effect()).isEqualTo(ShareInvitation.Effect.KEEPS_HIGHER);
        assertThat(sharing.join(viewerLink).role()).isEqualTo("editor");
        assertThat(studios.open(studioId).role()).isEqualTo("editor");

        // A viewer opening an editor link is raised to editor.
        var viewer = ServerTestSupport.newUser(accounts, "Viewer");
        ServerTestSupport.signIn(viewer);
        sharing.join(viewerLink);
        assertThat(sharing.invitation(editorLink).effect()).isEqualTo(ShareInvitation.Effect.UPGRADE);
        assertThat(sharing.join(editorLink).role()).isEqualTo("editor");
    }
}
