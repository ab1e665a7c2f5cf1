package dev.kiln.server.studio;

import dev.kiln.api.files.FileContent;
import dev.kiln.api.files.FileRevision;
import dev.kiln.api.studio.ShareLink;
import dev.kiln.api.studio.StudioException;
import dev.kiln.api.studio.StudioSummary;
import dev.kiln.api.files.WorkspaceEntry;
import org.springframework.http.HttpStatus;
import org.springframework.web.bind.annotation.DeleteMapping;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.PutMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RequestMapping;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.bind.annotation.ResponseStatus;
import org.springframework.web.bind.annotation.RestController;

import java.util.List;

/**
 * The studio's REST API, over the same service (and the same access rules) as the views.
 * Refusals come back as RFC 9457 problem details whose {@code detail} is the message a person should read.
 */
@RestController
@RequestMapping("/api/studios")
class StudioApiController {

    record NewStudio(String name) {
    }

    record SaveRequest(String text, String baseVersion) {
    }

    record NewLink(String role, Long validForHours) {
    }

    private final StudioService studios;
    private final SharingService sharing;

    StudioApiController(StudioService studios, SharingService sharing) {
        this.studios = studios;
        this.sharing = sharing;
    }

    @PostMapping("/{id}/links")
    @ResponseStatus(HttpStatus.CREATED)
    ShareLink createLink(@PathVariable String id, @RequestBody NewLink request) {
        return sharing.createLink(id, request.role(), request.validForHours() == null ? null : java.time.Duration.ofHours(request.validForHours()));
    }

    @GetMapping("/{id}/links")
    List<ShareLink> links(@PathVariable String id) {
        return sharing.links(id);
    }

    @DeleteMapping("/{id}/links/{token}")
    @ResponseStatus(HttpStatus.NO_CONTENT)
    void revoke(@PathVariable String id, @PathVariable String token) {
        sharing.revoke(id, token);
    }

    /** What a share link offers the signed-in user (studio, who shared it, role, their role now); changes nothing. */
    @GetMapping("/joined/{token}")
    Invitation invitation(@PathVariable String token) {
        var offer = sharing.invitation(token);
        return new Invitation(offer.studioId(), offer.studioName(), offer.sharedBy(), offer.linkRole(), offer.expiresAt(),
                offer.currentRole(), offer.effect().name());
    }

    /** @param effect what joining would do: JOIN, UPGRADE, SAME, KEEPS_HIGHER (a lower link changes nothing), OWNER */
    record Invitation(String studioId, String studioName, String sharedBy, String linkRole, java.time.Instant expiresAt,
                      String currentRole, String effect) {
    }

    /** Joins the studio behind a share link as the signed-in user; a link never lowers the role they have. */
    @PostMapping("/joined/{token}")
    StudioSummary join(@PathVariable String token) {
        return sharing.join(token);
    }

    /** The CSRF header and token that writes must carry (API clients read it once per session). */
    @GetMapping("/csrf")
    java.util.Map<String, String> csrf(org.springframework.security.web.csrf.CsrfToken token) {
        return java.util.Map.of("headerName", token.getHeaderName(), "token", token.getToken());
    }

    @GetMapping
    List<StudioSummary> list() {
        return studios.myStudios();
    }

    @PostMapping
    @ResponseStatus(HttpStatus.CREATED)
    StudioSummary create(@RequestBody NewStudio request) {
        return studios.create(request.name());
    }

    @GetMapping("/{id}")
    StudioSummary open(@PathVariable String id) {
        return studios.open(id);
    }

    @DeleteMapping("/{id}")
    @ResponseStatus(HttpStatus.NO_CONTENT)
    void delete(@PathVariable String id) {
        studios.delete(id);
    }

    @GetMapping("/{id}/files")
    List<WorkspaceEntry> tree(@PathVariable String id) {
        return studios.tree(id);
    }

    @GetMapping("/{id}/file")
    FileContent read(@PathVariable String id, @RequestParam String path) {
        return studios.read(id, path);
    }

    @PutMapping("/{id}/file")
    FileContent save(@PathVariable String id, @RequestParam String path, @RequestBody SaveRequest request) {
        return studios.save(id, path, request.text(), request.baseVersion());
    }

    @GetMapping("/{id}/history")
    List<FileRevision> history(@PathVariable String id, @RequestParam String path) {
        return studios.history(id, path);
    }

    @GetMapping("/{id}/history/{commit}")
    FileContent readAt(@PathVariable String id, @PathVariable String commit, @RequestParam String path) {
        return studios.readAt(id, path, commit);
    }
}
