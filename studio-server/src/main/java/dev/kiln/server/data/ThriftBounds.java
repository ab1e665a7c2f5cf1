package dev.kiln.server.data;

import java.nio.ByteBuffer;

/**
 * Walks Thrift compact-protocol bytes (a Parquet footer, a page header) without building anything, checking that
 * every length and count fits in the bytes that are there. Parquet readers allocate what a file claims (a string of
 * 2 GB, a list of a billion entries) before they notice it is not there; a file that passes this walk claims nothing
 * bigger than itself. Also reads the few page-header numbers a preview must bound.
 */
final class ThriftBounds {
    private static final int MAX_DEPTH = 32;

    /** Something in the bytes is not what it claims. */
    static final class Malformed extends RuntimeException {
        Malformed(String message) {
            super(message);
        }
    }

    private final ByteBuffer in;

    private ThriftBounds(ByteBuffer in) {
        this.in = in;
    }

    /** Checks one whole struct (a footer's FileMetaData) from the buffer's position; the position moves past it. */
    static void checkStruct(ByteBuffer bytes) {
        new ThriftBounds(bytes).struct(0, null);
    }

    /** A Parquet page header: its sizes and its value count (of whichever kind of page it is). */
    record PageHeader(long uncompressedSize, long compressedSize, long values) {}

    /** Reads a page header from the buffer's position; the position moves to the page's data. */
    static PageHeader pageHeader(ByteBuffer bytes) {
        long[] found = new long[3];
        new ThriftBounds(bytes).struct(0, (path, value) -> {
            switch (path) {
                case 2 -> found[0] = value;          // uncompressed_page_size
                case 3 -> found[1] = value;          // compressed_page_size
                case 5_1, 7_1, 8_1 -> found[2] = value; // num_values of a data, dictionary or v2 data page
                default -> { }
            }
        });
        return new PageHeader(found[0], found[1], found[2]);
    }

    /** Integer fields seen: {@code path} is the field id, or {@code parent * 10 + id} one struct down. */
    private interface Integers {
        void seen(int path, long value);
    }

    private void struct(int depth, Integers integers) {
        struct(depth, 0, integers);
    }

    private void struct(int depth, int parent, Integers integers) {
        if (depth > MAX_DEPTH) {
            throw new Malformed("structures nested deeper than " + MAX_DEPTH);
        }
        int lastId = 0;
        while (true) {
            int header = u8();
            if (header == 0) {
                return;
            }
            int type = header & 0x0F;
            int delta = header >>> 4;
            int id = delta == 0 ? (int) unzigzag(varint()) : lastId + delta;
            lastId = id;
            int path = parent == 0 ? id : parent * 10 + id;
            if (integers != null && (type == 5 || type == 6 || type == 4)) {
                integers.seen(path, unzigzag(varint()));
            } else {
                value(type, depth, depth == 0 && integers != null && id < 10 ? id : -1, integers);
            }
        }
    }

    private void value(int type, int depth, int structId, Integers integers) {
        switch (type) {
            case 1, 2 -> { } // a boolean field carries its value in the type
            case 3 -> need(1);
            case 4, 5, 6 -> varint();
            case 7 -> need(8);
            case 8 -> need(length());
            case 9, 10 -> {
                int head = u8();
                long size = head >>> 4;
                if (size == 15) {
                    size = length();
                }
                int elementType = head & 0x0F;
                if (size > in.remaining()) {
                    throw new Malformed("a list claims " + size + " entries in " + in.remaining() + " bytes");
                }
                for (long i = 0; i < size; i++) {
                    element(elementType, depth + 1);
                }
            }
            case 11 -> {
                long size = length();
                if (size > in.remaining()) {
                    throw new Malformed("a map claims " + size + " entries in " + in.remaining() + " bytes");
                }
                if (size > 0) {
                    int types = u8();
                    for (long i = 0; i < size; i++) {
                        element(types >>> 4, depth + 1);
                        element(types & 0x0F, depth + 1);
                    }
                }
            }
            case 12 -> struct(depth + 1, structId > 0 ? structId : 0, structId > 0 ? integers : null);
            default -> throw new Malformed("unknown Thrift type " + type);
        }
    }

    private void element(int type, int depth) {
        if (type == 1 || type == 2) {
            need(1); // booleans in a list take a byte each
        } else {
            value(type, depth, -1, null);
        }
    }

    private long length() {
        long length = varint();
        if (length < 0 || length > in.remaining()) {
            throw new Malformed("a value claims " + length + " bytes where " + in.remaining() + " remain");
        }
        return length;
    }

    private void need(long bytes) {
        if (bytes > in.remaining()) {
            throw new Malformed("the structure ends early");
        }
        in.position(in.position() + (int) bytes);
    }

    private int u8() {
        if (!in.hasRemaining()) {
            throw new Malformed("the structure ends early");
        }
        return in.get() & 0xFF;
    }

    private long varint() {
        long result = 0;
        for (int shift = 0; shift < 64; shift += 7) {
            int b = u8();
            result |= (long) (b & 0x7F) << shift;
            if ((b & 0x80) == 0) {
                return result;
            }
        }
        throw new Malformed("a number runs on for more than 10 bytes");
    }

    private static long unzigzag(long n) {
        return (n >>> 1) ^ -(n & 1);
    }
}
