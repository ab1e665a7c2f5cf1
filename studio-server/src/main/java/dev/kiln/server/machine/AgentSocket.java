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
import dev.kiln.machine.protocol.FromMachine;
import dev.kiln.machine.protocol.MachineCodec;

import java.io.IOException;
import java.util.Map;

/**
 * {@code /agent}: where machine agents dial home. The handshake needs {@code Authorization: Bearer <token>} with a
 * live per-machine token (401 otherwise, before any socket opens). Messages go to the {@link MachineChannel}; a
 * message that is not JSON closes the connection (the agent reconnects).
 */
class AgentSocket extends TextWebSocketHandler implements HandshakeInterceptor {
    static final String IDENTITY = "kiln.agent.identity";

    private final AgentRegistry registry;
    private final MachineChannel channel;

    AgentSocket(AgentRegistry registry, MachineChannel channel) {
        this.registry = registry;
        this.channel = channel;
    }

    @Override
    public boolean beforeHandshake(ServerHttpRequest request, ServerHttpResponse response, WebSocketHandler handler,
                                   Map<String, Object> attributes) {
        String header = request.getHeaders().getFirst("Authorization");
        String token = header != null && header.startsWith("Bearer ") ? header.substring(7).strip() : null;
        var identity = registry.authenticate(token).filter(AgentRegistry.Identity::isMachine);
        if (identity.isEmpty()) {
            response.setStatusCode(HttpStatus.UNAUTHORIZED);
            return false;
        }
        if (channel.isConnected(identity.get())) {
            refusedSecond(identity.get(), request.getRemoteAddress());
            response.setStatusCode(HttpStatus.CONFLICT);
            return false;
        }
        attributes.put(IDENTITY, identity.get());
        return true;
    }

    /**
     * The token's machine is connected: a second connection with it is someone else (or a reconnect before the
     * server noticed the old one is gone, which the agent retries). The first stays.
     */
    private static void refusedSecond(AgentRegistry.Identity identity, Object from) {
        log.warn("Refused a second connection with the token of studio {}'s machine (generation {}) from {}",
                identity.studioId(), identity.generation(), from);
    }

    @Override
    public void afterHandshake(ServerHttpRequest request, ServerHttpResponse response, WebSocketHandler handler,
                               Exception exception) {
    }

    private static final org.slf4j.Logger log = org.slf4j.LoggerFactory.getLogger(AgentSocket.class);

    /** Agents send output in chunks of up to 16 K characters, which JSON escaping can double. */
    static final int MAX_MESSAGE = 1 << 20;

    @Override
    public void afterConnectionEstablished(WebSocketSession session) throws IOException {
        session.setTextMessageSizeLimit(MAX_MESSAGE);
        if (!channel.opened(identity(session), session)) {
            // Two handshakes with one token raced past the check: the later one goes.
            refusedSecond(identity(session), session.getRemoteAddress());
            session.close(new CloseStatus(MachineAgent.DUPLICATE, "this machine is already connected"));
        }
    }

    @Override
    protected void handleTextMessage(WebSocketSession session, TextMessage message) throws IOException {
        // A token revoked while connected (the machine was deleted) ends the connection.
        var identity = identity(session);
        if (registry.isRevoked(identity)) {
            session.close(new CloseStatus(MachineAgent.REFUSED, "this machine was replaced"));
            return;
        }
        FromMachine decoded;
        try {
            decoded = MachineCodec.fromMachine(message.getPayload());
        } catch (MachineCodec.ProtocolException e) {
            if (e.unknownType()) {
                // A newer agent may say more than this server knows: skip that message, keep the machine.
                log.debug("Ignored a message of studio {}'s machine: {}", identity.studioId(),
                        dev.kiln.server.config.LogText.clean(e.getMessage()));
                return;
            }
            log.warn("Closed the connection of studio {}'s machine, which broke the protocol: {}",
                    identity.studioId(), dev.kiln.server.config.LogText.clean(e.getMessage()));
            session.close(CloseStatus.BAD_DATA.withReason("not a message of the machine protocol"));
            return;
        }
        channel.received(identity, decoded);
    }

    @Override
    public void afterConnectionClosed(WebSocketSession session, CloseStatus status) {
        if (status.getCode() == MachineAgent.STOPPED) {
            registry.stoppedCleanly(identity(session));
        }
        channel.closed(identity(session), session);
    }


    private static AgentRegistry.Identity identity(WebSocketSession session) {
        return (AgentRegistry.Identity) session.getAttributes().get(IDENTITY);
    }
}
