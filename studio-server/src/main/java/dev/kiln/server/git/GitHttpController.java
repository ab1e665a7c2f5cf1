package dev.kiln.server.git;

import dev.kiln.machine.agent.AgentRegistry;
import dev.kiln.server.security.PasswordLogin;
import dev.kiln.server.studio.StudioAccess;
import dev.kiln.server.studio.Workspaces;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import org.eclipse.jgit.transport.PacketLineOut;
import org.eclipse.jgit.transport.RefAdvertiser;
import org.eclipse.jgit.transport.UploadPack;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.bind.annotation.RestController;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.zip.GZIPInputStream;

/**
 * A studio's workspace over git's smart HTTP protocol, read-only: {@code git clone https://kiln/git/<studio>.git}.
 * Machines fetch with their machine token (user {@code kiln-agent}); people with their Kiln user name and password
 * and at least view access to the studio. Pushing is refused: files change through the studio, where every edit is
 * attributed and merged live. Anyone without access gets the same 404 as for a studio that does not exist.
 */
@RestController
class GitHttpController {
    static final String AGENT_USER = "kiln-agent";

    private final Workspaces workspaces;
    private final StudioAccess access;
    private final AgentRegistry agents;
    private final PasswordLogin logins;

    GitHttpController(Workspaces workspaces, StudioAccess access, AgentRegistry agents, PasswordLogin logins) {
        this.workspaces = workspaces;
        this.access = access;
        this.agents = agents;
        this.logins = logins;
    }

    @GetMapping("/git/{studioId}.git/info/refs")
    void advertise(@PathVariable String studioId, @RequestParam(required = false) String service,
                   HttpServletRequest request, HttpServletResponse response) throws IOException {
        if (!allowed(studioId, request, response)) {
            return;
        }
        if (!"git-upload-pack".equals(service)) {
            refusePush(response);
            return;
        }
        response.setContentType("application/x-git-upload-pack-advertisement");
        response.setHeader("Cache-Control", "no-cache");
        var out = new PacketLineOut(response.getOutputStream());
        out.writeString("# service=git-upload-pack\n");
        out.end();
        var upload = new UploadPack(workspaces.get(studioId).repository());
        upload.setBiDirectionalPipe(false);
        upload.sendAdvertisedRefs(new RefAdvertiser.PacketLineOutRefAdvertiser(out));
    }

    @PostMapping("/git/{studioId}.git/git-upload-pack")
    void uploadPack(@PathVariable String studioId, HttpServletRequest request, HttpServletResponse response)
            throws IOException {
        if (!allowed(studioId, request, response)) {
            return;
        }
        response.setContentType("application/x-git-upload-pack-result");
        response.setHeader("Cache-Control", "no-cache");
        InputStream in = "gzip".equals(request.getHeader("Content-Encoding"))
                ? new GZIPInputStream(request.getInputStream()) : request.getInputStream();
        var upload = new UploadPack(workspaces.get(studioId).repository());
        upload.setBiDirectionalPipe(false);
        upload.upload(in, response.getOutputStream(), null);
    }

    @PostMapping("/git/{studioId}.git/git-receive-pack")
    void receivePack(@PathVariable String studioId, HttpServletRequest request, HttpServletResponse response)
            throws IOException {
        if (allowed(studioId, request, response)) {
            refusePush(response);
        }
    }

    private static void refusePush(HttpServletResponse response) throws IOException {
        refuse(response, HttpServletResponse.SC_FORBIDDEN, "This repository is read-only: change files in the studio, "
                + "where edits are merged live and attributed.");
    }

    /** Basic authentication: a machine token for its own studio, or a user who may view the studio. */
    private boolean allowed(String studioId, HttpServletRequest request, HttpServletResponse response)
            throws IOException {
        String header = request.getHeader("Authorization");
        if (header == null || !header.regionMatches(true, 0, "Basic ", 0, 6)) {
            return challenge(response);
        }
        String decoded;
        try {
            decoded = new String(Base64.getDecoder().decode(header.substring(6).strip()), StandardCharsets.UTF_8);
        } catch (IllegalArgumentException e) {
            return challenge(response);
        }
        int colon = decoded.indexOf(':');
        if (colon < 0) {
            return challenge(response);
        }
        String user = decoded.substring(0, colon);
        String password = decoded.substring(colon + 1);
        boolean permitted;
        if (AGENT_USER.equals(user)) {
            var identity = agents.authenticate(password);
            if (identity.isEmpty()) {
                return challenge(response);
            }
            permitted = identity.get().studioId().equals(studioId);
        } else {
            // Throttled per account and address like the sign-in form, and as slow for unknown users as known ones.
            switch (logins.attempt(user, password, request.getRemoteAddr())) {
                case PasswordLogin.SignedIn(var account) -> permitted = access.lookup(studioId, account.id()).isPresent();
                case PasswordLogin.Throttled throttled -> {
                    response.setHeader("Retry-After", Long.toString(throttled.retryAfterSeconds()));
                    refuse(response, 429, throttled.message());
                    return false;
                }
                case PasswordLogin.Refused refused -> {
                    return challenge(response);
                }
                case PasswordLogin.Disabled disabled -> {
                    return challenge(response);
                }
            }
        }
        if (!permitted) {
            refuse(response, HttpServletResponse.SC_NOT_FOUND, "No such studio");
        }
        return permitted;
    }

    private static boolean challenge(HttpServletResponse response) throws IOException {
        response.setHeader("WWW-Authenticate", "Basic realm=\"Kiln\"");
        refuse(response, HttpServletResponse.SC_UNAUTHORIZED, "Sign in with your Kiln user name and password");
        return false;
    }

    /** A plain-text answer written here (not sendError, whose error page would send a git client to the login form). */
    private static void refuse(HttpServletResponse response, int status, String message) throws IOException {
        response.setStatus(status);
        response.setContentType("text/plain;charset=UTF-8");
        response.getWriter().println(message);
    }
}
