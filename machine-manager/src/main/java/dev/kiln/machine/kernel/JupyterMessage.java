package dev.kiln.machine.kernel;

import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.node.ObjectNode;

import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.List;
import java.util.UUID;

/**
 * One message of the Jupyter messaging protocol (version 5.3): header, parent header, metadata and content, plus the
 * routing identities a ROUTER socket adds and binary buffers. {@link JupyterWire} turns it into signed frames and back.
 */
public record JupyterMessage(List<byte[]> identities, ObjectNode header, ObjectNode parentHeader, ObjectNode metadata,
                             ObjectNode content, List<byte[]> buffers) {
    static final JsonMapper JSON = JsonMapper.shared();
    public static final String PROTOCOL_VERSION = "5.3";
    private static final DateTimeFormatter DATE = DateTimeFormatter.ofPattern("yyyy-MM-dd'T'HH:mm:ss.SSSSSS'Z'")
            .withZone(ZoneOffset.UTC);

    public JupyterMessage {
        identities = identities == null ? List.of() : List.copyOf(identities);
        buffers = buffers == null ? List.of() : List.copyOf(buffers);
        parentHeader = parentHeader == null ? JSON.createObjectNode() : parentHeader;
        metadata = metadata == null ? JSON.createObjectNode() : metadata;
        content = content == null ? JSON.createObjectNode() : content;
    }

    /** A new message of {@code type} in {@code session}; a reply or output names {@code parent} (may be null). */
    public static JupyterMessage create(String type, String session, ObjectNode content, JupyterMessage parent) {
        return create(UUID.randomUUID().toString(), type, session, content, parent);
    }

    public static JupyterMessage create(String id, String type, String session, ObjectNode content, JupyterMessage parent) {
        var header = JSON.createObjectNode();
        header.put("msg_id", id);
        header.put("session", session);
        header.put("username", "kiln");
        header.put("date", DATE.format(Instant.now()));
        header.put("msg_type", type);
        header.put("version", PROTOCOL_VERSION);
        return new JupyterMessage(parent == null ? List.of() : parent.identities(), header,
                parent == null ? JSON.createObjectNode() : parent.header().deepCopy(), null, content, null);
    }

    public String type() {
        return header.path("msg_type").asString("");
    }

    public String id() {
        return header.path("msg_id").asString("");
    }

    /** The msg_id of the request this answers or belongs to; null for none. */
    public String parentId() {
        var id = parentHeader.path("msg_id");
        return id.isString() ? id.asString() : null;
    }
}
