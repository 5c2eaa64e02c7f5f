package dev.mixtral4j.tokenizer;

/**
 * UTF-8 encoding of one code point and decoding of byte runs that may end inside a character.
 * Malformed input is replaced with U+FFFD per maximal subpart (the Unicode recommendation, also
 * what the JDK does), written by hand so that batch and streaming decoding agree byte for byte.
 */
final class Utf8 {
    static final char REPLACEMENT = '\uFFFD';

    private Utf8() {
    }

    /** Writes the UTF-8 encoding of {@code cp} into {@code out}; returns the byte count (1..4). */
    static int encode(int cp, byte[] out) {
        if (cp < 0x80) {
            out[0] = (byte) cp;
            return 1;
        }
        if (cp < 0x800) {
            out[0] = (byte) (0xC0 | (cp >> 6));
            out[1] = (byte) (0x80 | (cp & 0x3F));
            return 2;
        }
        if (cp < 0x10000) {
            out[0] = (byte) (0xE0 | (cp >> 12));
            out[1] = (byte) (0x80 | ((cp >> 6) & 0x3F));
            out[2] = (byte) (0x80 | (cp & 0x3F));
            return 3;
        }
        out[0] = (byte) (0xF0 | (cp >> 18));
        out[1] = (byte) (0x80 | ((cp >> 12) & 0x3F));
        out[2] = (byte) (0x80 | ((cp >> 6) & 0x3F));
        out[3] = (byte) (0x80 | (cp & 0x3F));
        return 4;
    }

    /**
     * Decodes {@code bytes[0, length)} into {@code out}. When {@code endOfInput} is false a
     * well-formed but incomplete character at the end is left undecoded; the return value is
     * the number of bytes consumed (the caller keeps the rest for later).
     */
    static int decode(byte[] bytes, int length, StringBuilder out, boolean endOfInput) {
        int i = 0;
        while (i < length) {
            int b0 = bytes[i] & 0xFF;
            if (b0 < 0x80) {
                out.append((char) b0);
                i++;
                continue;
            }
            int need;
            int lo = 0x80;
            int hi = 0xBF;
            if (b0 >= 0xC2 && b0 <= 0xDF) {
                need = 1;
            } else if (b0 >= 0xE0 && b0 <= 0xEF) {
                need = 2;
                if (b0 == 0xE0) {
                    lo = 0xA0;
                } else if (b0 == 0xED) {
                    hi = 0x9F; // no surrogates
                }
            } else if (b0 >= 0xF0 && b0 <= 0xF4) {
                need = 3;
                if (b0 == 0xF0) {
                    lo = 0x90;
                } else if (b0 == 0xF4) {
                    hi = 0x8F;
                }
            } else {
                out.append(REPLACEMENT);
                i++;
                continue;
            }
            int cp = b0 & (0x3F >> need);
            int j = 1;
            boolean bad = false;
            while (j <= need) {
                if (i + j >= length) {
                    if (!endOfInput) {
                        return i; // incomplete but well-formed so far: wait for more bytes
                    }
                    bad = true;
                    break;
                }
                int b = bytes[i + j] & 0xFF;
                if (b < lo || b > hi) {
                    bad = true;
                    break;
                }
                cp = (cp << 6) | (b & 0x3F);
                lo = 0x80;
                hi = 0xBF;
                j++;
            }
            if (bad) {
                out.append(REPLACEMENT);
                i += j; // the maximal well-formed prefix becomes one U+FFFD
            } else {
                out.appendCodePoint(cp);
                i += need + 1;
            }
        }
        return length;
    }
}
