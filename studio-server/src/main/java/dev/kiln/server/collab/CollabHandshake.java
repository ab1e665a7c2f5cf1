package dev.kiln.server.collab;

import dev.kiln.collab.CollabRoom;
import dev.kiln.server.security.KilnPrincipal;
import dev.kiln.server.studio.StudioAccess;
import dev.kiln.server.workspace.WorkspacePaths;
import dev.kiln.api.studio.StudioException;
import org.springframework.http.HttpStatus;
import org.springframework.http.server.ServerHttpRequest;
import org.springframework.http.server.ServerHttpResponse;
import org.springframework.security.core.Authentication;
import org.springframework.stereotype.Component;
import org.springframework.web.socket.WebSocketHandler;
import org.springframework.web.socket.server.HandshakeInterceptor;
import org.springframework.web.util.UriComponentsBuilder;

import java.util.Locale;
import java.util.Map;

/**
 * Decides, before any socket opens, who is connecting to which file and with what role. No access, or no such
 * studio: 404 (the same answer, so ids leak nothing). A bad path: 400.
 */
@Component
class CollabHandshake implements HandshakeInterceptor {

    static final String STUDIO = "kiln.collab.studio";
    static final String PATH = "kiln.collab.path";
    static final String PARTICIPANT = "kiln.collab.participant";

    private static final String[] COLOURS = {"#e91e63", "#3f51b5", "#009688", "#ff9800", "#9c27b0", "#4caf50", "#795548", "#00bcd4"};

    private final StudioAccess access;

    CollabHandshake(StudioAccess access) {
        this.access = access;
    }

    @Override
    public boolean beforeHandshake(ServerHttpRequest request, ServerHttpResponse response, WebSocketHandler handler, Map<String, Object> attributes) {
        if (!(request.getPrincipal() instanceof Authentication auth) || !(auth.getPrincipal() instanceof KilnPrincipal user)) {
            response.setStatusCode(HttpStatus.UNAUTHORIZED);
            return false;
        }
        var uri = UriComponentsBuilder.fromUri(request.getURI()).build();
        var segments = uri.getPathSegments();
        var studioId = segments.isEmpty() ? null : segments.get(segments.size() - 1);
        var studio = access.lookup(studioId, user.id());
        if (studio.isEmpty()) {
            response.setStatusCode(HttpStatus.NOT_FOUND);
            return false;
        }
        String path;
        try {
            var raw = uri.getQueryParams().getFirst("path");
            path = WorkspacePaths.check(raw == null ? null : java.net.URLDecoder.decode(raw, java.nio.charset.StandardCharsets.UTF_8));
        } catch (StudioException e) {
            response.setStatusCode(HttpStatus.BAD_REQUEST);
            return false;
        }
        var role = CollabRoom.Role.valueOf(studio.get().role().toUpperCase(Locale.ROOT));
        attributes.put(STUDIO, studioId);
        attributes.put(PATH, path);
        attributes.put(PARTICIPANT, new CollabRoom.Participant(user.id(), user.displayName(), user.asAuthor().getEmailAddress(),
                COLOURS[(int) (Math.abs(user.id()) % COLOURS.length)], role));
        return true;
    }

    @Override
    public void afterHandshake(ServerHttpRequest request, ServerHttpResponse response, WebSocketHandler handler, Exception exception) {
    }
}
