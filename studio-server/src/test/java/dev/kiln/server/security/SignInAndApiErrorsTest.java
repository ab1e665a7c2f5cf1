package dev.kiln.server.security;

import dev.kiln.server.ServerTestSupport;
import dev.kiln.server.studio.StudioService;
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
import org.springframework.test.web.servlet.request.MockHttpServletRequestBuilder;
import org.springframework.test.web.servlet.request.RequestPostProcessor;

import static org.assertj.core.api.Assertions.assertThat;
import static org.springframework.security.test.web.servlet.request.SecurityMockMvcRequestPostProcessors.csrf;
import static org.springframework.security.test.web.servlet.request.SecurityMockMvcRequestPostProcessors.user;
import static org.springframework.test.web.servlet.request.MockMvcRequestBuilders.get;
import static org.springframework.test.web.servlet.request.MockMvcRequestBuilders.post;
import static org.springframework.test.web.servlet.request.MockMvcRequestBuilders.put;

/**
 * The sign-in form and the API's refusals as a client sees them: throttled sign-ins, login CSRF, 401 for anonymous
 * calls (writes included), and RFC 9457 problem details instead of empty 403s. Every test signs in from its own
 * client address, so one test's failures never throttle another's.
 */
@SpringBootTest
@AutoConfigureMockMvc
class SignInAndApiErrorsTest {

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

    @AfterEach
    void clear() {
        ServerTestSupport.signOut();
    }

    private static RequestPostProcessor from(String address) {
        return request -> {
            request.setRemoteAddr(address);
            return request;
        };
    }

    private MockHttpServletResponse signIn(String user, String password, String address) throws Exception {
        return mvc.perform(post("/login").param("username", user).param("password", password).with(csrf()).with(from(address)))
                .andReturn().getResponse();
    }

    private static boolean signedIn(MockHttpServletResponse response) {
        return response.getStatus() == 302 && !response.getRedirectedUrl().contains("login");
    }

    @Test
    void thirtyWrongPasswordsThenTheRightOneIsRefusedUntilTheWaitIsOver() throws Exception {
        var victim = ServerTestSupport.newUser(accounts, "Victim");
        for (int i = 0; i < 30; i++) {
            assertThat(signedIn(signIn(victim.getUsername(), "wrong-" + i, "198.51.100.1"))).isFalse();
        }
        var right = signIn(victim.getUsername(), "password-" + victim.getUsername(), "198.51.100.1");
        assertThat(signedIn(right)).as("the right password right after 30 wrong ones").isFalse();
        assertThat(right.getRedirectedUrl()).contains("/login");
        // From another address too: the account waits, wherever the attempts come from.
        assertThat(signedIn(signIn(victim.getUsername(), "password-" + victim.getUsername(), "198.51.100.2"))).isFalse();
        // Another account from a fresh address is not affected.
        var bystander = ServerTestSupport.newUser(accounts, "Bystander");
        assertThat(signedIn(signIn(bystander.getUsername(), "password-" + bystander.getUsername(), "198.51.100.3"))).isTrue();
    }

    @Test
    void aCrossSitePostToTheLoginFormSignsNobodyIn() throws Exception {
        var user = ServerTestSupport.newUser(accounts, "Csrf Target");
        var forged = mvc.perform(post("/login").param("username", user.getUsername())
                .param("password", "password-" + user.getUsername()).with(from("198.51.100.10"))).andReturn().getResponse();
        assertThat(signedIn(forged)).as("a login POST without the page's CSRF token").isFalse();
        assertThat(forged.getRedirectedUrl()).contains("/login");
    }

    @Test
    void anonymousApiCallsGet401ProblemDetailsWritesIncluded() throws Exception {
        for (MockHttpServletRequestBuilder request : java.util.List.of(
                get("/api/studios"),
                post("/api/studios").contentType(MediaType.APPLICATION_JSON).content("{\"name\":\"x\"}"),
                put("/api/studios/abc/file").param("path", "a.txt").contentType(MediaType.APPLICATION_JSON).content("{}"))) {
            var response = mvc.perform(request).andReturn().getResponse();
            assertThat(response.getStatus()).as(request.toString()).isEqualTo(401);
            assertThat(response.getContentType()).startsWith("application/problem+json");
            assertThat(response.getContentAsString()).contains("\"status\":401", "Sign in");
        }
    }

    @Test
    void aSignedInWriteWithoutTheCsrfTokenIsA403ThatSaysWhatToDo() throws Exception {
        var owner = ServerTestSupport.newUser(accounts, "Token Forgetter");
        var response = mvc.perform(post("/api/studios").with(user(owner)).contentType(MediaType.APPLICATION_JSON)
                .content("{\"name\":\"x\"}")).andReturn().getResponse();
        assertThat(response.getStatus()).isEqualTo(403);
        assertThat(response.getContentType()).startsWith("application/problem+json");
        assertThat(response.getContentAsString()).contains("/api/studios/csrf");
    }

    @Test
    void missingOrMalformedParametersAre400ProblemDetails() throws Exception {
        var owner = ServerTestSupport.newUser(accounts, "Param Forgetter");
        ServerTestSupport.signIn(owner);
        var studioId = studios.create("Params").id();
        ServerTestSupport.signOut();

        var missingKey = mvc.perform(get("/api/studios/{id}/connections/{c}/preview", studioId, "nope").with(user(owner)))
                .andReturn().getResponse();
        assertThat(missingKey.getStatus()).isEqualTo(400);
        assertThat(missingKey.getContentType()).startsWith("application/problem+json");
        assertThat(missingKey.getContentAsString()).contains("key");

        var missingPath = mvc.perform(get("/api/studios/{id}/file", studioId).with(user(owner))).andReturn().getResponse();
        assertThat(missingPath.getStatus()).isEqualTo(400);
        assertThat(missingPath.getContentAsString()).contains("path");

        var notANumber = mvc.perform(get("/api/studios/{id}/jobs/{job}/log", studioId, "j").param("from", "ten").with(user(owner)))
                .andReturn().getResponse();
        assertThat(notANumber.getStatus()).isEqualTo(400);
        assertThat(notANumber.getContentAsString()).contains("from");

        var notJson = mvc.perform(post("/api/studios").with(user(owner)).with(csrf()).contentType(MediaType.APPLICATION_JSON)
                .content("{\"name\":")).andReturn().getResponse();
        assertThat(notJson.getStatus()).isEqualTo(400);
        assertThat(notJson.getContentType()).startsWith("application/problem+json");
        assertThat(notJson.getContentAsString()).contains("not valid JSON (line 1, column 9)");

        // Bodies of the wrong shape say which field, in words, not in Kiln's Java class names; none is a 500.
        var wrongType = mvc.perform(post("/api/studios/{id}/jobs", studioId).with(user(owner)).with(csrf())
                .contentType(MediaType.APPLICATION_JSON).content("{\"entryPoint\":\"x\",\"nodes\":\"two\"}")).andReturn().getResponse();
        assertThat(wrongType.getStatus()).isEqualTo(400);
        assertThat(wrongType.getContentAsString()).contains("The field 'nodes'").doesNotContain("dev.kiln", "Jackson", "`");
        var array = mvc.perform(post("/api/studios").with(user(owner)).with(csrf()).contentType(MediaType.APPLICATION_JSON)
                .content("[]")).andReturn().getResponse();
        assertThat(array.getStatus()).isEqualTo(400);
        assertThat(array.getContentAsString()).contains("not the JSON object this route expects").doesNotContain("dev.kiln");
        var noRole = mvc.perform(post("/api/studios/{id}/links", studioId).with(user(owner)).with(csrf())
                .contentType(MediaType.APPLICATION_JSON).content("{}")).andReturn().getResponse();
        assertThat(noRole.getStatus()).as(noRole.getContentAsString()).isEqualTo(400);
        assertThat(noRole.getContentAsString()).contains("viewer or editor");
        var noBody = mvc.perform(post("/api/studios").with(user(owner)).with(csrf()).contentType(MediaType.APPLICATION_JSON))
                .andReturn().getResponse();
        assertThat(noBody.getContentAsString()).contains("needs a JSON body");
    }
}
