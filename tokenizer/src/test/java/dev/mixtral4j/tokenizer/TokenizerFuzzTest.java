package dev.mixtral4j.tokenizer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.mixtral4j.spi.Tokenizer.StreamingDecoder;

/**
 * Coverage-guided fuzzing (Jazzer) of the spm tokenizer on Mixtral's real vocabulary: any
 * UTF-16 text, lone surrogates included, encodes to valid ids without an exception, and
 * decodes back to itself, with each unpaired surrogate as U+FFFD (the Tokenizer contract) and
 * U+2581, SentencePiece's space symbol, as a space. Streamed decoding gives the same text plus
 * the space the first piece stands for. Special-token parsing never fails either.
 *
 * <p>A normal build replays the seed corpus ({@code TokenizerFuzzTestInputs}) and past
 * findings; {@code -Pfuzz} runs it coverage-guided (docs/testing.md).
 */
class TokenizerFuzzTest {

    @FuzzTest(maxDuration = "5m")
    void encodeDecodeRoundTrip(FuzzedDataProvider data) {
        SpmTokenizer t = TestVocabularies.mistral();
        boolean bos = data.consumeBoolean();
        // Two bytes per UTF-16 unit, so every char value (lone surrogates too) can occur.
        byte[] raw = data.consumeRemainingAsBytes();
        char[] chars = new char[raw.length / 2];
        for (int i = 0; i < chars.length; i++) {
            chars[i] = (char) ((raw[2 * i] & 0xFF) << 8 | (raw[2 * i + 1] & 0xFF));
        }
        String text = new String(chars);

        int[] ids = t.encode(text, bos, false);
        for (int id : ids) {
            assertTrue(id >= 0 && id < t.vocabSize(), () -> "id " + id);
        }
        String expected = expectedDecoding(text);
        assertEquals(expected, t.decode(ids));

        int[] plain = bos ? java.util.Arrays.copyOfRange(ids, 1, ids.length) : ids;
        StreamingDecoder d = t.newStreamingDecoder();
        StringBuilder streamed = new StringBuilder();
        for (int id : plain) {
            streamed.append(d.accept(id));
        }
        streamed.append(d.flush());
        assertEquals(expected.isEmpty() ? "" : " " + expected, streamed.toString());

        for (int id : t.encode(text, bos, true)) {
            assertTrue(id >= 0 && id < t.vocabSize(), () -> "id " + id);
        }
    }

    private static String expectedDecoding(String text) {
        StringBuilder sb = new StringBuilder(text.length());
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            if (Character.isHighSurrogate(c) && i + 1 < text.length() && Character.isLowSurrogate(text.charAt(i + 1))) {
                sb.append(c).append(text.charAt(++i));
            } else if (Character.isSurrogate(c)) {
                sb.append('\uFFFD');
            } else {
                sb.append(c == SpmTokenizer.SPACE_SYMBOL ? ' ' : c);
            }
        }
        return sb.toString();
    }
}
