package dev.kiln.server.notebook;

import dev.kiln.collab.CollabRoom;
import dev.kiln.server.security.KilnPrincipal;
import dev.kiln.server.studio.StudioAccess;
import dev.kiln.server.studio.StudioActivity;
import dev.kiln.server.workspace.WorkspacePaths;
import dev.kiln.api.studio.StudioException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
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

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.Locale;
import java.util.Map;

/**
 * {@code WS /notebook/{studioId}?path=analysis.ipynb}: one browser's live notebook (notebook PROTOCOL.md). The
 * handshake decides who is asking and with what role, as for files: no access or no such studio is 404 (the same
 * answer), a path that is not an {@code .ipynb} file 400. Same-origin only (Spring's default).
 */
@Configuration(proxyBeanMethods = false)
@EnableWebSocket
class NotebookSocket extends TextWebSocketHandler implements HandshakeInterceptor, WebSocketConfigurer {
    private static final Logger log = LoggerFactory.getLogger(NotebookSocket.class);
    private static final String STUDIO = "kiln.notebook.studio";
    private static final String PATH = "kiln.notebook.path";
    private static final String PARTICIPANT = "kiln.notebook.participant";
    private static final String MAY_RUN = "kiln.notebook.mayRun";
    private static final String CONNECTION = "kiln.notebook.connection";
    /** The container's receive buffer: Tomcat allocates it whole for every connection, so it stays small. */
    /** Frames up to 4 MiB from a browser: a big paste into a cell fits. */
    static final int MAX_FRAME = 4 << 20;
    /** A browser that falls this far behind (outputs of a flood) is dropped; it reconnects and gets the notebook anew. */
    private static final int SEND_BUFFER_BYTES = 64 << 20;
    private static final String[] COLOURS = {"#e91e63", "#3f51b5", "#009688", "#ff9800", "#9c27b0", "#4caf50", "#795548", "#00bcd4"};

    private final StudioAccess access;
    private final NotebookDocuments documents;
    private final StudioActivity activity;

    NotebookSocket(StudioAccess access, NotebookDocuments documents, StudioActivity activity) {
        this.access = access;
        this.documents = documents;
        this.activity = activity;
    }

    @Override
    public void registerWebSocketHandlers(WebSocketHandlerRegistry registry) {
        registry.addHandler(this, "/notebook/*").addInterceptors(this);
    }

    @Override
    public boolean beforeHandshake(ServerHttpRequest request, ServerHttpResponse response, WebSocketHandler handler,
                                   Map<String, Object> attributes) {
        if (!(request.getPrincipal() instanceof Authentication auth) || !(auth.getPrincipal() instanceof KilnPrincipal user)) {
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
        String path;
        try {
            var raw = uri.getQueryParams().getFirst("path");
            path = WorkspacePaths.check(raw == null ? null : java.net.URLDecoder.decode(raw, StandardCharsets.UTF_8));
        } catch (StudioException e) {
            response.setStatusCode(HttpStatus.BAD_REQUEST);
            return false;
        }
        if (!path.toLowerCase(Locale.ROOT).endsWith(".ipynb")) {
            response.setStatusCode(HttpStatus.BAD_REQUEST);
            return false;
        }
        var role = CollabRoom.Role.valueOf(studio.get().role().toUpperCase(Locale.ROOT));
        attributes.put(STUDIO, studioId);
        attributes.put(PATH, path);
        attributes.put(MAY_RUN, access.mayRunCode(studio.get()));
        attributes.put(PARTICIPANT, new CollabRoom.Participant(user.id(), user.displayName(), user.asAuthor().getEmailAddress(),
                COLOURS[(int) (Math.abs(user.id()) % COLOURS.length)], role));
        return true;
    }

    @Override
    public void afterHandshake(ServerHttpRequest request, ServerHttpResponse response, WebSocketHandler handler,
                               Exception exception) {
    }

    @Override
    public void afterConnectionEstablished(WebSocketSession session) {
        // Frames up to MAX_FRAME arrive in parts of the small buffer and are put together below (as for files).
        session.setTextMessageSizeLimit(dev.kiln.server.collab.PartialFrames.RECEIVE_BUFFER_CHARS);
        var safe = new ConcurrentWebSocketSessionDecorator(session, 30_000, SEND_BUFFER_BYTES);
        var outbox = new CollabRoom.Outbox() {
            @Override
            public void send(String json) {
                try {
                    safe.sendMessage(new TextMessage(json));
                } catch (IOException | IllegalStateException e) {
                    log.debug("Dropping a message to a closed or overflowing notebook connection", e);
                }
            }

            @Override
            public void close(int code, String reason) {
                try {
                    safe.close(new CloseStatus(code, reason.length() > 100 ? reason.substring(0, 100) : reason));
                } catch (IOException ignored) {
                    // already gone
                }
            }
        };
        var attributes = session.getAttributes();
        try {
            var connection = documents.join((String) attributes.get(STUDIO), (String) attributes.get(PATH),
                    (CollabRoom.Participant) attributes.get(PARTICIPANT), Boolean.TRUE.equals(attributes.get(MAY_RUN)),
                    outbox);
            attributes.put(CONNECTION, connection);
        } catch (RuntimeException e) {
            String message = e instanceof StudioException && e.getMessage() != null ? e.getMessage()
                    : "Could not open the notebook.";
            if (!(e instanceof StudioException)) {
                log.warn("Could not open notebook {}", dev.kiln.server.config.LogText.clean((String) attributes.get(PATH)), e);
            }
            var node = Notebook.JSON.createObjectNode();
            node.put("type", "closed");
            node.put("message", message);
            outbox.send(node.toString());
            outbox.close(4404, message);
        }
    }

    /** Frames larger than the receive buffer are delivered in parts (see {@link dev.kiln.server.collab.PartialFrames}). */
    @Override
    public boolean supportsPartialMessages() {
        return true;
    }

    @Override
    protected void handleTextMessage(WebSocketSession session, TextMessage message) {
        String payload = dev.kiln.server.collab.PartialFrames.assemble(session, message, MAX_FRAME);
        if (payload == null) {
            return;
        }
        var connection = (NotebookConnection) session.getAttributes().get(CONNECTION);
        if (connection != null) {
            connection.onMessage(payload);
            if (payload.contains("\"push\"") || payload.startsWith("{\"type\":\"structure\"")
                    || payload.startsWith("{\"type\":\"run\"")) {
                activity.touch((String) session.getAttributes().get(STUDIO));
            }
        }
    }


    @Override
    public void afterConnectionClosed(WebSocketSession session, CloseStatus status) {
        var connection = (NotebookConnection) session.getAttributes().remove(CONNECTION);
        if (connection != null) {
            documents.left(connection);
        }
    }

    @Override
    public void handleTransportError(WebSocketSession session, Throwable exception) {
        log.debug("Notebook connection failed", exception);
    }
}
