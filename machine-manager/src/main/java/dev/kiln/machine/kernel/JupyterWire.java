package dev.kiln.machine.kernel;

import tools.jackson.core.JacksonException;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.node.ObjectNode;

import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;

import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * The Jupyter wire format: {@code [identities..., "<IDS|MSG>", signature, header, parent_header, metadata, content,
 * buffers...]}, each part a ZeroMQ frame, signed with HMAC-SHA256 over the four JSON parts with the connection's key.
 * A message whose signature does not match is refused: on the loopback any local process can reach a kernel's ports,
 * and the key (readable only inside the machine) is what keeps them out.
 */
public final class JupyterWire {
    static final byte[] DELIMITER = "<IDS|MSG>".getBytes(StandardCharsets.US_ASCII);

    private final SecretKeySpec key;

    /** {@code key}: the connection file's key (an empty key means unsigned, which Kiln never makes). */
    public JupyterWire(String key) {
        this.key = key == null || key.isEmpty() ? null : new SecretKeySpec(key.getBytes(StandardCharsets.UTF_8), "HmacSHA256");
    }

    public List<byte[]> encode(JupyterMessage message) {
        byte[] header = json(message.header());
        byte[] parent = json(message.parentHeader());
        byte[] metadata = json(message.metadata());
        byte[] content = json(message.content());
        var frames = new ArrayList<byte[]>(message.identities());
        frames.add(DELIMITER);
        frames.add(sign(header, parent, metadata, content).getBytes(StandardCharsets.US_ASCII));
        frames.add(header);
        frames.add(parent);
        frames.add(metadata);
        frames.add(content);
        frames.addAll(message.buffers());
        return frames;
    }

    /** The message in {@code frames}; throws {@link InvalidMessage} when it is malformed or not signed with our key. */
    public JupyterMessage decode(List<byte[]> frames) {
        int delimiter = -1;
        for (int i = 0; i < frames.size(); i++) {
            if (Arrays.equals(frames.get(i), DELIMITER)) {
                delimiter = i;
                break;
            }
        }
        if (delimiter < 0 || frames.size() < delimiter + 6) {
            throw new InvalidMessage("not a Jupyter message (no <IDS|MSG> delimiter or too few parts)");
        }
        byte[] signature = frames.get(delimiter + 1);
        byte[] header = frames.get(delimiter + 2);
        byte[] parent = frames.get(delimiter + 3);
        byte[] metadata = frames.get(delimiter + 4);
        byte[] content = frames.get(delimiter + 5);
        if (key != null && !MessageDigest.isEqual(sign(header, parent, metadata, content).getBytes(StandardCharsets.US_ASCII),
                signature)) {
            throw new InvalidMessage("a message with a wrong signature (not from whoever holds this kernel's key)");
        }
        return new JupyterMessage(frames.subList(0, delimiter), object(header), object(parent), object(metadata),
                object(content), frames.subList(delimiter + 6, frames.size()));
    }

    private String sign(byte[]... parts) {
        if (key == null) {
            return "";
        }
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(key);
            for (byte[] part : parts) {
                mac.update(part);
            }
            return HexFormat.of().formatHex(mac.doFinal());
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("HMAC-SHA256 is not available", e);
        }
    }

    private static byte[] json(ObjectNode node) {
        return JupyterMessage.JSON.writeValueAsBytes(node);
    }

    private static ObjectNode object(byte[] bytes) {
        try {
            JsonNode node = JupyterMessage.JSON.readTree(bytes);
            return node != null && node.isObject() ? (ObjectNode) node : JupyterMessage.JSON.createObjectNode();
        } catch (JacksonException e) {
            throw new InvalidMessage("a message part that is not JSON: " + e.getOriginalMessage());
        }
    }

    /** A message that does not follow the protocol or is not signed with the key. */
    public static final class InvalidMessage extends RuntimeException {
        InvalidMessage(String message) {
            super(message);
        }
    }
}
