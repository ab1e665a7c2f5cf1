package dev.kiln.server.files;

import java.time.Instant;

/** A file's bytes, read a range at a time: from the machine (through the agent) or from the server's workspace. */
interface ByteSource {
    long size();

    Instant modified();

    /** At most {@code length} bytes from {@code offset}: fewer only at the end of the file. */
    byte[] read(long offset, int length);

    /** A file held in memory (a versioned file of the workspace, which is never over the editor's limit). */
    static ByteSource of(byte[] bytes, Instant modified) {
        return new ByteSource() {
            @Override
            public long size() {
                return bytes.length;
            }

            @Override
            public Instant modified() {
                return modified;
            }

            @Override
            public byte[] read(long offset, int length) {
                int from = (int) Math.min(bytes.length, Math.max(0, offset));
                int to = (int) Math.min(bytes.length, (long) from + Math.max(0, length));
                return java.util.Arrays.copyOfRange(bytes, from, to);
            }
        };
    }
}
