package dev.kiln.server.machine;

import dev.kiln.machine.agent.AgentRegistry;
import dev.kiln.machine.agent.MachineAgent;
import org.springframework.http.HttpStatus;
import org.springframework.http.server.ServerHttpRequest;
import org.springframework.http.server.ServerHttpResponse;
import org.springframework.web.socket.CloseStatus;
import org.springframework.web.socket.TextMessage;
import org.springframework.web.socket.WebSocketHandler;
import org.springframework.web.socket.WebSocketSession;
import org.springframework.web.socket.handler.TextWebSocketHandler;
import org.springframework.web.socket.server.HandshakeInterceptor;
import tools.jackson.databind.json.JsonMapper;

import java.io.IOException;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * {@code /agent}: where machine agents dial home. The handshake needs {@code Authorization: Bearer <token>} with a
 * live per-machine token (401 otherwise, before any socket opens); a connected agent marks its machine ready, and
 * the server can tell it to stop.
 */
class AgentSocket extends TextWebSocketHandler implements HandshakeInterceptor {
    static final String IDENTITY = "kiln.agent.identity";
    private static final JsonMapper JSON = JsonMapper.shared();

    private final AgentRegistry registry;
    private final Map<AgentRegistry.Identity, WebSocketSession> sessions = new ConcurrentHashMap<>();

    AgentSocket(AgentRegistry registry) {
        this.registry = registry;
    }

    @Override
    public boolean beforeHandshake(ServerHttpRequest request, ServerHttpResponse response, WebSocketHandler handler,
                                   Map<String, Object> attributes) {
        String header = request.getHeaders().getFirst("Authorization");
        String token = header != null && header.startsWith("Bearer ") ? header.substring(7).strip() : null;
        var identity = registry.authenticate(token);
        if (identity.isEmpty()) {
            response.setStatusCode(HttpStatus.UNAUTHORIZED);
            return false;
        }
        attributes.put(IDENTITY, identity.get());
        return true;
    }

    @Override
    public void afterHandshake(ServerHttpRequest request, ServerHttpResponse response, WebSocketHandler handler,
                               Exception exception) {
    }

    @Override
    public void afterConnectionEstablished(WebSocketSession session) {
        var identity = identity(session);
        sessions.put(identity, session);
        registry.connected(identity);
    }

    @Override
    protected void handleTextMessage(WebSocketSession session, TextMessage message) throws IOException {
        // A token revoked while connected (the machine was deleted) ends the connection.
        var identity = identity(session);
        if (registry.isRevoked(identity)) {
            session.close(new CloseStatus(MachineAgent.REFUSED, "this machine was replaced"));
            return;
        }
        try {
            JSON.readTree(message.getPayload());
        } catch (RuntimeException e) {
            session.close(CloseStatus.BAD_DATA.withReason("not JSON"));
        }
    }

    @Override
    public void afterConnectionClosed(WebSocketSession session, CloseStatus status) {
        var identity = identity(session);
        sessions.remove(identity, session);
        registry.disconnected(identity);
    }

    /** Asks a machine's agent to save and stop (best effort: the backend stops the process anyway). */
    void requestStop(String studioId, long generation) {
        var session = sessions.get(new AgentRegistry.Identity(studioId, generation));
        if (session != null && session.isOpen()) {
            try {
                synchronized (session) {
                    session.sendMessage(new TextMessage("{\"type\":\"stop\"}"));
                }
            } catch (IOException ignored) {
                // the agent is going anyway
            }
        }
    }

    private static AgentRegistry.Identity identity(WebSocketSession session) {
        return (AgentRegistry.Identity) session.getAttributes().get(IDENTITY);
    }
}
