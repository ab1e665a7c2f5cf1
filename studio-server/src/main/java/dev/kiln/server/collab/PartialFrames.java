package dev.kiln.server.collab;

import org.springframework.web.socket.CloseStatus;
import org.springframework.web.socket.TextMessage;
import org.springframework.web.socket.WebSocketSession;

import java.io.IOException;

/**
 * Puts text frames together from the parts a small receive buffer delivers them in. Tomcat allocates a socket's
 * whole text-message limit as its receive buffer, so sockets that accept large frames keep the buffer small
 * ({@link #RECEIVE_BUFFER_CHARS}), say they support partial messages, and assemble here up to their own limit.
 */
public final class PartialFrames {
    public static final int RECEIVE_BUFFER_CHARS = 64 * 1024;
    private static final String PENDING = "kiln.partial-frame";

    private PartialFrames() {
    }

    /** The whole frame once its last part has come, else null. A frame over {@code limit} closes with 1009. */
    public static String assemble(WebSocketSession session, TextMessage part, long limit) {
        var pending = (StringBuilder) session.getAttributes().get(PENDING);
        if (pending == null && part.isLast()) {
            return part.getPayload();
        }
        if (pending == null) {
            pending = new StringBuilder();
            session.getAttributes().put(PENDING, pending);
        }
        if ((long) pending.length() + part.getPayloadLength() > limit) {
            session.getAttributes().remove(PENDING);
            try {
                session.close(CloseStatus.TOO_BIG_TO_PROCESS.withReason("Frame over " + limit + " characters"));
            } catch (IOException ignored) {
                // already gone
            }
            return null;
        }
        pending.append(part.getPayload());
        if (!part.isLast()) {
            return null;
        }
        session.getAttributes().remove(PENDING);
        return pending.toString();
    }
}
