package dev.kiln.machine.kernel;

import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.function.Consumer;

/** Bytes written as UTF-8 (a PrintStream's), handed on as text; a character cut between two writes waits for its rest. */
final class Utf8Stream extends OutputStream {
    private final Consumer<String> out;
    private final CharsetDecoder decoder = StandardCharsets.UTF_8.newDecoder()
            .onMalformedInput(CodingErrorAction.REPLACE).onUnmappableCharacter(CodingErrorAction.REPLACE);
    private ByteBuffer pending = ByteBuffer.allocate(0);

    Utf8Stream(Consumer<String> out) {
        this.out = out;
    }

    @Override
    public void write(int b) {
        write(new byte[]{(byte) b}, 0, 1);
    }

    @Override
    public synchronized void write(byte[] bytes, int offset, int length) {
        var input = ByteBuffer.allocate(pending.remaining() + length);
        input.put(pending).put(bytes, offset, length).flip();
        var chars = CharBuffer.allocate(input.remaining() + 1);
        decoder.decode(input, chars, false);
        pending = input.slice();
        chars.flip();
        if (chars.hasRemaining()) {
            out.accept(chars.toString());
        }
    }
}
