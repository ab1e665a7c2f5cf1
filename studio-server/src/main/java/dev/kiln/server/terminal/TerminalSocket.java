package dev.kiln.server.terminal;

import dev.kiln.server.security.KilnPrincipal;
import dev.kiln.server.studio.StudioAccess;
import org.springframework.context.annotation.Configuration;
import org.springframework.http.HttpStatus;
import org.springframework.http.server.ServerHttpRequest;
import org.springframework.http.server.ServerHttpResponse;
import org.springframework.security.core.Authentication;
import org.springframework.web.socket.CloseStatus;
import org.springframework.web.socket.TextMessage;
import org.springframework.web.socket.WebSocketHandler;
import org.springframework.web.socket.WebSocketSession;
import org.springframework.web.socket.config.annotation.EnableWebSocket;
import org.springframework.web.socket.config.annotation.WebSocketConfigurer;
import org.springframework.web.socket.config.annotation.WebSocketHandlerRegistry;
import org.springframework.web.socket.handler.ConcurrentWebSocketSessionDecorator;
import org.springframework.web.socket.handler.TextWebSocketHandler;
import org.springframework.web.socket.server.HandshakeInterceptor;
import org.springframework.web.util.UriComponentsBuilder;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

import java.util.Map;

/**
 * {@code /terminal/{studioId}?name=1}: a browser's view of a shared terminal. Who may connect is decided in the
 * handshake (the studio's access rules; 404 for no access); viewers receive output but their keystrokes are ignored.
 * Messages: {@code {"type":"input","data"}} and {@code {"type":"resize","cols","rows"}} in; {@code output} and
 * {@code status} out. Same-origin only (Spring's default). Access is checked again after the handshake: a revoked
 * share link closes its people's terminals at once (4403), and a sweep every few seconds closes those whose access
 * lapsed (an expired link) or lets a demoted editor only watch.
 */
@Configuration(proxyBeanMethods = false)
@EnableWebSocket
class TerminalSocket extends TextWebSocketHandler implements HandshakeInterceptor, WebSocketConfigurer {
    private static final JsonMapper JSON = JsonMapper.shared();
    private static final String STUDIO = "kiln.terminal.studio";
    private static final String NAME = "kiln.terminal.name";
    private static final String CAN_TYPE = SharedTerminals.CAN_TYPE;
    private static final String OUT = "kiln.terminal.out";
    private static final String USER = "kiln.terminal.user";
    private static final CloseStatus REVOKED = new CloseStatus(4403, "access revoked");

    /** Open sessions, for revocation and the sweep. */
    private final java.util.Set<WebSocketSession> sessions = java.util.concurrent.ConcurrentHashMap.newKeySet();

    private final StudioAccess access;
    private final SharedTerminals terminals;

    TerminalSocket(StudioAccess access, SharedTerminals terminals) {
        this.access = access;
        this.terminals = terminals;
    }

    @Override
    public void registerWebSocketHandlers(WebSocketHandlerRegistry registry) {
        registry.addHandler(this, "/terminal/*").addInterceptors(this);
    }

    @Override
    public boolean beforeHandshake(ServerHttpRequest request, ServerHttpResponse response, WebSocketHandler handler,
                                   Map<String, Object> attributes) {
        if (!(request.getPrincipal() instanceof Authentication auth)
                || !(auth.getPrincipal() instanceof KilnPrincipal user)) {
            response.setStatusCode(HttpStatus.UNAUTHORIZED);
            return false;
        }
        var uri = UriComponentsBuilder.fromUri(request.getURI()).build();
        var segments = uri.getPathSegments();
        String studioId = segments.isEmpty() ? null : segments.getLast();
        var studio = access.lookup(studioId, user.id());
        if (studio.isEmpty()) {
            response.setStatusCode(HttpStatus.NOT_FOUND);
            return false;
        }
        String name = uri.getQueryParams().getFirst("name");
        if (name == null || name.isBlank()) {
            name = "1";
        }
        if (!name.matches("[A-Za-z0-9_-]{1,32}")) {
            response.setStatusCode(HttpStatus.BAD_REQUEST);
            return false;
        }
        if (!terminals.mayJoin(studioId, name)) {
            response.setStatusCode(HttpStatus.CONFLICT); // a studio has at most SharedTerminals.MAX_PER_STUDIO
            return false;
        }
        attributes.put(STUDIO, studioId);
        attributes.put(NAME, name);
        attributes.put(CAN_TYPE, access.mayRunCode(studio.get()));
        attributes.put(USER, user.id());
        return true;
    }

    @Override
    public void afterHandshake(ServerHttpRequest request, ServerHttpResponse response, WebSocketHandler handler,
                               Exception exception) {
    }

    @Override
    public void afterConnectionEstablished(WebSocketSession session) {
        // Output fans out from the machine's thread: a slow browser must not hold up the others (it is dropped and
        // reconnects, replaying the scrollback).
        session.setTextMessageSizeLimit(64 * 1024); // a large paste
        var out = new ConcurrentWebSocketSessionDecorator(session, 5_000, 1 << 20);
        session.getAttributes().put(OUT, out);
        sessions.add(session);
        terminals.join(studio(session), name(session), out);
    }

    /**
     * A share link was revoked: its people's terminals close now, keystrokes in flight included, and the shells they
     * typed into end (with what they started from them), so nothing they left behind keeps running.
     */
    @org.springframework.context.event.EventListener
    void revoked(dev.kiln.server.studio.AccessRevoked event) {
        for (WebSocketSession session : sessions) {
            if (event.studioId().equals(studio(session)) && event.userIds().contains(user(session))) {
                session.getAttributes().put(CAN_TYPE, false);
                closeQuietly(session, REVOKED);
            }
        }
        terminals.endShellsOf(event.studioId(), event.userIds(), "the access of someone who typed in it was revoked");
    }

    /**
     * A user's sessions were ended (account disabled, deleted, password reset): their terminals close now, and
     * the shells they typed in end.
     */
    @org.springframework.context.event.EventListener
    void sessionsEnded(dev.kiln.server.security.SessionsEnded event) {
        for (WebSocketSession session : sessions) {
            if (user(session) == event.userId()) {
                session.getAttributes().put(CAN_TYPE, false);
                closeQuietly(session, REVOKED);
            }
        }
        terminals.studios().forEach(studioId -> terminals.endShellsOf(studioId, java.util.List.of(event.userId()),
                "the account of someone who typed in it was closed"));
    }

    /**
     * Every few seconds: close terminals whose access ended (an expired link), follow a changed role, and end the
     * shells of people who may no longer run code on the machine (connected or not).
     */
    @org.springframework.scheduling.annotation.Scheduled(fixedDelay = 5000)
    void sweep() {
        for (WebSocketSession session : sessions) {
            var studio = access.lookup(studio(session), user(session));
            if (studio.isEmpty()) {
                session.getAttributes().put(CAN_TYPE, false);
                closeQuietly(session, REVOKED);
            } else {
                session.getAttributes().put(CAN_TYPE, access.mayRunCode(studio.get()));
            }
        }
        for (String studioId : terminals.studios()) {
            var lapsed = terminals.typists(studioId).values().stream().flatMap(java.util.Set::stream).distinct()
                    .filter(user -> access.lookup(studioId, user).map(access::mayRunCode).orElse(false) == false)
                    .toList();
            if (!lapsed.isEmpty()) {
                terminals.endShellsOf(studioId, lapsed, "someone who typed in it may no longer use this machine");
            }
        }
    }

    private static void closeQuietly(WebSocketSession session, CloseStatus status) {
        try {
            session.close(status);
        } catch (java.io.IOException | IllegalStateException ignored) {
            // already closing
        }
    }

    @Override
    protected void handleTextMessage(WebSocketSession session, TextMessage message) throws Exception {
        JsonNode json;
        try {
            json = JSON.readTree(message.getPayload());
        } catch (RuntimeException e) {
            session.close(CloseStatus.BAD_DATA.withReason("not JSON"));
            return;
        }
        switch (json.path("type").asString()) {
            case "input" -> {
                if (Boolean.TRUE.equals(session.getAttributes().get(CAN_TYPE))) {
                    terminals.input(studio(session), name(session), user(session), json.path("data").asString());
                }
            }
            case "resize" -> terminals.resize(studio(session), name(session), json.path("cols").asInt(),
                    json.path("rows").asInt(), Boolean.TRUE.equals(session.getAttributes().get(CAN_TYPE)));
            default -> session.close(CloseStatus.BAD_DATA.withReason("unknown message type"));
        }
    }

    @Override
    public void afterConnectionClosed(WebSocketSession session, CloseStatus status) {
        sessions.remove(session);
        if (session.getAttributes().get(OUT) instanceof WebSocketSession out) {
            terminals.leave(studio(session), name(session), out);
        }
    }

    private static String studio(WebSocketSession session) {
        return (String) session.getAttributes().get(STUDIO);
    }

    private static long user(WebSocketSession session) {
        return (Long) session.getAttributes().get(USER);
    }

    private static String name(WebSocketSession session) {
        return (String) session.getAttributes().get(NAME);
    }
}
