package dev.kiln.machine.protocol;

import com.fasterxml.jackson.annotation.JsonInclude;

import tools.jackson.core.JacksonException;
import tools.jackson.databind.DeserializationFeature;
import tools.jackson.databind.json.JsonMapper;

/**
 * The one place the machine protocol meets JSON, for the server and the agent alike. Absent fields are left out;
 * fields a message type does not know are ignored (a newer peer may add some); an unknown type or a malformed
 * message is a {@link ProtocolException} naming what was wrong.
 */
public final class MachineCodec {
    private static final JsonMapper JSON = JsonMapper.builder()
            .disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
            .changeDefaultPropertyInclusion(i -> i.withValueInclusion(JsonInclude.Include.NON_NULL))
            .build();

    private MachineCodec() {}

    public static String encode(ToMachine message) {
        return JSON.writerFor(ToMachine.class).writeValueAsString(message);
    }

    public static String encode(FromMachine message) {
        return JSON.writerFor(FromMachine.class).writeValueAsString(message);
    }

    public static ToMachine toMachine(String text) {
        return decode(text, ToMachine.class);
    }

    public static FromMachine fromMachine(String text) {
        FromMachine message = decode(text, FromMachine.class);
        if (message instanceof FromMachine.MachineLost) {
            throw new ProtocolException("machine.lost is the server's own message; a machine may not send it");
        }
        return message;
    }

    private static <T> T decode(String text, Class<T> type) {
        try {
            return JSON.readValue(text, type);
        } catch (tools.jackson.databind.exc.InvalidTypeIdException e) {
            throw new ProtocolException(e.getOriginalMessage(), e.getTypeId() != null);
        } catch (JacksonException e) {
            throw new ProtocolException(e.getOriginalMessage(), false);
        }
    }

    /** A message that does not follow the protocol. */
    public static final class ProtocolException extends RuntimeException {
        private final boolean unknownType;

        ProtocolException(String message, boolean unknownType) {
            super(message);
            this.unknownType = unknownType;
        }

        ProtocolException(String message) {
            this(message, false);
        }

        /** Well-formed, of a type this side does not know (a newer peer's): skipped, not an error. */
        public boolean unknownType() {
            return unknownType;
        }
    }
}
