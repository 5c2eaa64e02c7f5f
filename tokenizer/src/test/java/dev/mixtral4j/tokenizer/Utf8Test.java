package dev.mixtral4j.tokenizer;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.ByteBuffer;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * The hand-written UTF-8 decoder against the Unicode standard's own example and against the
 * JDK's decoder, which also replaces per maximal subpart except for encoded surrogates
 * ({@code ED A0..BF}), where it swallows the continuation byte (Python, like Unicode, does not).
 */
class Utf8Test {

    private static String jdk(byte[] b) throws Exception {
        return StandardCharsets.UTF_8.newDecoder()
                .onMalformedInput(CodingErrorAction.REPLACE)
                .onUnmappableCharacter(CodingErrorAction.REPLACE)
                .decode(ByteBuffer.wrap(b)).toString();
    }

    @Test
    void agreesWithTheJdkOnRandomBytes() throws Exception {
        SplittableRandom rnd = new SplittableRandom(5);
        for (int i = 0; i < 20000; i++) {
            byte[] b = new byte[rnd.nextInt(12)];
            for (int k = 0; k < b.length; k++) {
                // bias towards lead and continuation bytes so that sequences are often almost valid
                int kind = rnd.nextInt(4);
                b[k] = (byte) (kind == 0 ? rnd.nextInt(0x80) : kind == 1 ? 0x80 + rnd.nextInt(0x40)
                        : kind == 2 ? 0xC0 + rnd.nextInt(0x40) : rnd.nextInt(256));
            }
            if (hasEncodedSurrogate(b)) {
                continue;
            }
            StringBuilder sb = new StringBuilder();
            Utf8.decode(b, b.length, sb, true);
            assertEquals(jdk(b), sb.toString(), () -> java.util.HexFormat.of().formatHex(b));
        }
    }

    private static boolean hasEncodedSurrogate(byte[] b) {
        for (int k = 0; k + 1 < b.length; k++) {
            if ((b[k] & 0xFF) == 0xED && (b[k + 1] & 0xFF) >= 0xA0 && (b[k + 1] & 0xFF) <= 0xBF) {
                return true;
            }
        }
        return false;
    }

    private static String decode(String hex) {
        byte[] b = java.util.HexFormat.of().parseHex(hex);
        StringBuilder sb = new StringBuilder();
        Utf8.decode(b, b.length, sb, true);
        return sb.toString();
    }

    @Test
    void unicodeStandardExamples() {
        // The Unicode Standard, section 3.9, "U+FFFD Substitution of Maximal Subparts".
        assertEquals("a\uFFFD\uFFFD\uFFFDb\uFFFDc\uFFFD\uFFFDd", decode("61f18080e180c262806380bf64"));
        // An encoded surrogate: ED's second byte must be 80..9F, so each byte is its own subpart.
        assertEquals("\uFFFD\uFFFD\uFFFD", decode("eda080"));
        assertEquals("\uFFFD\uFFFD", decode("c0af"));
        assertEquals("\uFFFD\uFFFD\uFFFD\uFFFD", decode("f4908080"));
    }

    @Test
    void incompleteTailWaitsUnlessInputEnds() {
        byte[] b = "a🦙".getBytes(StandardCharsets.UTF_8);
        StringBuilder sb = new StringBuilder();
        assertEquals(1, Utf8.decode(b, 4, sb, false));
        assertEquals("a", sb.toString());
        sb.setLength(0);
        assertEquals(4, Utf8.decode(b, 4, sb, true));
        assertEquals("a\uFFFD", sb.toString());
        sb.setLength(0);
        assertEquals(5, Utf8.decode(b, 5, sb, false));
        assertEquals("a🦙", sb.toString());
    }

    @Test
    void encodesEveryLength() {
        byte[] out = new byte[4];
        for (int cp : new int[] {0x41, 0xE9, 0x20AC, 0x1F999, 0x10FFFF}) {
            int n = Utf8.encode(cp, out);
            assertEquals(new String(Character.toChars(cp)), new String(out, 0, n, StandardCharsets.UTF_8));
        }
    }
}
