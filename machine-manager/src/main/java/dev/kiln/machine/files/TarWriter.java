package dev.kiln.machine.files;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;

/**
 * A POSIX tar stream (ustar, with a pax extended header for names over 100 bytes or files of 8 GiB and more), the
 * format GNU tar, bsdtar and Python's tarfile read. Written by hand: the format is a 512-byte header per entry and
 * the agent needs nothing more of a tar library.
 */
final class TarWriter implements AutoCloseable {
    private static final int BLOCK = 512;
    private static final long MAX_USTAR_SIZE = 077777777777L;

    private final OutputStream out;
    private final byte[] buffer = new byte[256 * 1024];
    private long written;

    TarWriter(OutputStream out) {
        this.out = out;
    }

    void directory(String name, long modifiedMillis) throws IOException {
        header(name.endsWith("/") ? name : name + "/", 0, modifiedMillis, '5', 0755);
    }

    /** A file of exactly {@code size} bytes from {@code content}; fewer is an error (the file shrank while read). */
    void file(String name, long size, long modifiedMillis, boolean executable, InputStream content) throws IOException {
        header(name, size, modifiedMillis, '0', executable ? 0755 : 0644);
        long left = size;
        while (left > 0) {
            int n = content.read(buffer, 0, (int) Math.min(buffer.length, left));
            if (n < 0) {
                throw new IOException(name + " became shorter while it was archived");
            }
            out.write(buffer, 0, n);
            left -= n;
        }
        pad(size);
        written += size;
    }

    long bytesWritten() {
        return written;
    }

    private void header(String name, long size, long modifiedMillis, char type, int mode) throws IOException {
        byte[] nameBytes = name.getBytes(StandardCharsets.UTF_8);
        if (nameBytes.length > 100 || size > MAX_USTAR_SIZE || !isAscii(nameBytes)) {
            var pax = new StringBuilder();
            pax.append(record("path", name));
            if (size > MAX_USTAR_SIZE) {
                pax.append(record("size", Long.toString(size)));
            }
            byte[] data = pax.toString().getBytes(StandardCharsets.UTF_8);
            out.write(block("PaxHeaders/" + shortName(nameBytes), data.length, modifiedMillis, 'x', 0644));
            out.write(data);
            pad(data.length);
        }
        out.write(block(shortName(nameBytes), Math.min(size, MAX_USTAR_SIZE), modifiedMillis, type, mode));
    }

    private static boolean isAscii(byte[] bytes) {
        for (byte b : bytes) {
            if (b < 0x20) {
                return false;
            }
        }
        return true;
    }

    private static String shortName(byte[] nameBytes) {
        // The ustar name field: the first 100 bytes, cut where a UTF-8 character starts (readers use the pax path).
        int length = Math.min(100, nameBytes.length);
        while (length > 0 && length < nameBytes.length && (nameBytes[length] & 0xC0) == 0x80) {
            length--;
        }
        return new String(nameBytes, 0, length, StandardCharsets.UTF_8);
    }

    /** One pax record: its decimal length (which counts itself), a space, key=value and a newline. */
    static String record(String key, String value) {
        int body = key.getBytes(StandardCharsets.UTF_8).length + value.getBytes(StandardCharsets.UTF_8).length + 3;
        int length = body + Integer.toString(body).length();
        if (Integer.toString(length).length() != Integer.toString(body).length()) {
            length++;
        }
        return length + " " + key + "=" + value + "\n";
    }

    private static byte[] block(String name, long size, long modifiedMillis, char type, int mode) {
        byte[] header = new byte[BLOCK];
        put(header, 0, 100, name.getBytes(StandardCharsets.UTF_8));
        octal(header, 100, 8, mode);
        octal(header, 108, 8, 0);
        octal(header, 116, 8, 0);
        octal(header, 124, 12, size);
        octal(header, 136, 12, Math.max(0, modifiedMillis / 1000));
        for (int i = 148; i < 156; i++) {
            header[i] = ' ';
        }
        header[156] = (byte) type;
        put(header, 257, 6, "ustar\0".getBytes(StandardCharsets.US_ASCII));
        put(header, 263, 2, "00".getBytes(StandardCharsets.US_ASCII));
        put(header, 265, 32, "kiln".getBytes(StandardCharsets.US_ASCII));
        put(header, 297, 32, "kiln".getBytes(StandardCharsets.US_ASCII));
        long sum = 0;
        for (byte b : header) {
            sum += b & 0xff;
        }
        octal(header, 148, 7, sum);
        return header;
    }

    private static void put(byte[] header, int offset, int length, byte[] value) {
        System.arraycopy(value, 0, header, offset, Math.min(length, value.length));
    }

    /** A zero-padded octal number filling {@code length - 1} characters, then NUL. */
    private static void octal(byte[] header, int offset, int length, long value) {
        String digits = Long.toOctalString(value);
        int width = length - 1;
        String padded = "0".repeat(Math.max(0, width - digits.length())) + digits;
        put(header, offset, width, padded.getBytes(StandardCharsets.US_ASCII));
        header[offset + width] = 0;
    }

    private void pad(long size) throws IOException {
        int rest = (int) (size % BLOCK);
        if (rest != 0) {
            out.write(new byte[BLOCK - rest]);
        }
    }

    /** Ends the archive (two empty blocks) without closing the stream underneath. */
    void finish() throws IOException {
        out.write(new byte[2 * BLOCK]);
        out.flush();
    }

    @Override
    public void close() throws IOException {
        finish();
    }
}
