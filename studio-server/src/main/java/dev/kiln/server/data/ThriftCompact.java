package dev.kiln.server.data;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;

/**
 * The little of Thrift's compact protocol that a Parquet footer and page headers need: structs with i32, i64,
 * bool, binary, list and nested struct fields. Field ids must be written in increasing order within a struct.
 */
final class ThriftCompact {
    static final int BOOL_TRUE = 1;
    static final int BOOL_FALSE = 2;
    static final int I32 = 5;
    static final int I64 = 6;
    static final int BINARY = 8;
    static final int LIST = 9;
    static final int STRUCT = 12;

    private final ByteArrayOutputStream out = new ByteArrayOutputStream();
    private final ArrayDeque<Integer> lastIds = new ArrayDeque<>();
    private int lastId;

    byte[] bytes() {
        return out.toByteArray();
    }

    ThriftCompact i32(int id, int value) {
        header(id, I32);
        varint(zigzag(value));
        return this;
    }

    ThriftCompact i64(int id, long value) {
        header(id, I64);
        varint(zigzag(value));
        return this;
    }

    ThriftCompact bool(int id, boolean value) {
        header(id, value ? BOOL_TRUE : BOOL_FALSE);
        return this;
    }

    ThriftCompact string(int id, String value) {
        header(id, BINARY);
        binary(value.getBytes(StandardCharsets.UTF_8));
        return this;
    }

    /** Opens a nested struct field; close it with {@link #end()}. */
    ThriftCompact struct(int id) {
        header(id, STRUCT);
        return begin();
    }

    /** Starts a struct that is an element of a list (no field header). */
    ThriftCompact begin() {
        lastIds.push(lastId);
        lastId = 0;
        return this;
    }

    ThriftCompact end() {
        out.write(0); // STOP
        lastId = lastIds.pop();
        return this;
    }

    ThriftCompact list(int id, int elementType, int size) {
        header(id, LIST);
        if (size < 15) {
            out.write((size << 4) | elementType);
        } else {
            out.write(0xF0 | elementType);
            varint(size);
        }
        return this;
    }

    /** List elements of type i32 / binary, written right after {@link #list}. */
    ThriftCompact element(int value) {
        varint(zigzag(value));
        return this;
    }

    ThriftCompact element(String value) {
        binary(value.getBytes(StandardCharsets.UTF_8));
        return this;
    }

    /** Bytes written by another instance (a struct built apart, such as a row group). */
    ThriftCompact appendRaw(byte[] bytes) {
        out.write(bytes, 0, bytes.length);
        return this;
    }

    private void header(int id, int type) {
        int delta = id - lastId;
        if (delta > 0 && delta <= 15) {
            out.write((delta << 4) | type);
        } else {
            out.write(type);
            varint(zigzag(id));
        }
        lastId = id;
    }

    private void binary(byte[] bytes) {
        varint(bytes.length);
        out.write(bytes, 0, bytes.length);
    }

    private void varint(long value) {
        while ((value & ~0x7FL) != 0) {
            out.write((int) ((value & 0x7F) | 0x80));
            value >>>= 7;
        }
        out.write((int) value);
    }

    private static long zigzag(long value) {
        return (value << 1) ^ (value >> 63);
    }
}
