package dev.kiln.server.collab;

import dev.kiln.server.studio.StudioActivity;

import dev.kiln.collab.CollabRoom;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.stereotype.Component;
import org.springframework.web.socket.CloseStatus;
import org.springframework.web.socket.TextMessage;
import org.springframework.web.socket.WebSocketSession;
import org.springframework.web.socket.handler.ConcurrentWebSocketSessionDecorator;
import org.springframework.web.socket.handler.TextWebSocketHandler;

import java.io.IOException;

/**
 * The WebSocket side of collaborative editing: the handshake ({@link CollabHandshake}) has already checked who is
 * asking and for which file; this joins the connection to the document's room and passes frames through.
 */
@Component
class CollabSocketHandler extends TextWebSocketHandler {

    private static final Logger log = LoggerFactory.getLogger(CollabSocketHandler.class);
    static final String JOINED = "kiln.collab.joined";
    /**
     * A slow client gets this much queued before it is disconnected (it reconnects and catches up): at least two of
     * the largest frames, so one big paste does not disconnect everyone else.
     */
    private static final int MIN_SEND_BUFFER_BYTES = 16 << 20;

    private final CollabDocuments documents;
    private final StudioActivity activity;

    CollabSocketHandler(CollabDocuments documents, StudioActivity activity) {
        this.documents = documents;
        this.activity = activity;
    }

    @Override
    public void afterConnectionEstablished(WebSocketSession session) {
        int frameLimit = documents.frameLimit();
        // The container's receive buffer stays small: Tomcat allocates it whole for every connection (a 21 MB limit
        // cost 44 MB of heap per open editor). Larger frames arrive in parts and are put together below, up to
        // the frame limit.
        session.setTextMessageSizeLimit(dev.kiln.server.collab.PartialFrames.RECEIVE_BUFFER_CHARS);
        var safe = new ConcurrentWebSocketSessionDecorator(session, 10_000,
                (int) Math.min(Integer.MAX_VALUE, Math.max(MIN_SEND_BUFFER_BYTES, 2L * frameLimit)));
        var outbox = new CollabRoom.Outbox() {
            @Override
            public void send(String json) {
                try {
                    safe.sendMessage(new TextMessage(json));
                } catch (IOException | IllegalStateException e) {
                    log.debug("Dropping a message to a closed or overflowing connection", e);
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
            var joined = documents.join((String) attributes.get(CollabHandshake.STUDIO), (String) attributes.get(CollabHandshake.PATH),
                    (CollabRoom.Participant) attributes.get(CollabHandshake.PARTICIPANT), outbox);
            attributes.put(JOINED, joined);
        } catch (RuntimeException e) {
            var message = e.getMessage() == null ? "Could not open the document." : e.getMessage();
            var node = tools.jackson.databind.json.JsonMapper.shared().createObjectNode();
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
        String payload = PartialFrames.assemble(session, message, documents.frameLimit());
        if (payload == null) {
            return;
        }
        var joined = (CollabDocuments.Joined) session.getAttributes().get(JOINED);
        if (joined != null) {
            joined.connection().onMessage(payload);
            documents.identify(joined);
            if (payload.contains("\"type\":\"push\"")) {
                // Typing is activity; an editor that is merely open (pulling, presence) is not.
                activity.touch((String) session.getAttributes().get(CollabHandshake.STUDIO));
            }
        }
    }


    @Override
    public void afterConnectionClosed(WebSocketSession session, CloseStatus status) {
        var joined = (CollabDocuments.Joined) session.getAttributes().remove(JOINED);
        if (joined != null) {
            documents.left(joined);
        }
    }

    @Override
    public void handleTransportError(WebSocketSession session, Throwable exception) {
        log.debug("Collaboration connection failed", exception);
    }
}
