package dev.mixtral4j.tokenizer;

import dev.mixtral4j.spi.Tokenizer.StreamingDecoder;
import java.util.Arrays;

/**
 * Token-by-token decoding that holds back the bytes of a character split across tokens (an
 * emoji or CJK character made of {@code <0xXX>} byte tokens) until it is complete. Not
 * thread-safe: one per stream.
 */
final class Utf8StreamingDecoder implements StreamingDecoder {
    private final SpmTokenizer tokenizer;
    private byte[] pending = new byte[16];
    private int pendingLength;

    Utf8StreamingDecoder(SpmTokenizer tokenizer) {
        this.tokenizer = tokenizer;
    }

    @Override
    public String accept(int token) {
        byte[] s = tokenizer.surface(token);
        if (s.length == 0) {
            return "";
        }
        if (pendingLength + s.length > pending.length) {
            pending = Arrays.copyOf(pending, Math.max(pending.length * 2, pendingLength + s.length));
        }
        System.arraycopy(s, 0, pending, pendingLength, s.length);
        pendingLength += s.length;
        StringBuilder out = new StringBuilder(pendingLength);
        int used = Utf8.decode(pending, pendingLength, out, false);
        System.arraycopy(pending, used, pending, 0, pendingLength - used);
        pendingLength -= used;
        return out.toString();
    }

    @Override
    public String flush() {
        StringBuilder out = new StringBuilder();
        Utf8.decode(pending, pendingLength, out, true);
        pendingLength = 0;
        return out.toString();
    }
}
