package dev.mixtral4j.tokenizer;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.mixtral4j.Message;
import dev.mixtral4j.spi.Tokenizer.StreamingDecoder;
import java.io.IOException;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Mixtral 8x7B's real vocabulary ({@code ${mixtral4j.shared}/vocab/mistral-v1-vocab.gguf}).
 * Expected ids come from outside this code: Google's SentencePiece run on the same pieces
 * (see tokenizer/scripts/spm_reference_vectors.py) and Mistral's published examples.
 */
class MistralVocabularyTest {

    @Test
    void vocabularyFacts() {
        SpmTokenizer tok = TestVocabularies.mistral();
        assertEquals(32000, tok.vocabSize());
        assertEquals(1, tok.bosId());
        assertEquals(2, tok.eosId());
        assertEquals("<unk>", tok.piece(0));
        assertEquals("<0x0A>", tok.piece(13));
        assertTrue(tok.isEndOfGeneration(2));
        assertFalse(tok.isEndOfGeneration(1));
        assertFalse(tok.hasChatTemplate());
    }

    @Test
    void matchesSentencePieceOnReferenceTexts() throws IOException {
        SpmTokenizer tok = TestVocabularies.mistral();
        List<ReferenceLines.Line> lines = ReferenceLines.read("mistral-v1-sentencepiece.jsonl");
        assertTrue(lines.size() > 400);
        for (ReferenceLines.Line l : lines) {
            assertArrayEquals(l.ids(), tok.encode(l.text(), false, false), () -> "text '" + l.text() + "'");
        }
    }

    @Test
    void mistralsPublishedInstructExample() {
        // Mistral's own example (mistral-common README) of "[INST] What is your favourite condiment? [/INST]".
        SpmTokenizer tok = TestVocabularies.mistral();
        assertArrayEquals(new int[] {1, 733, 16289, 28793, 1824, 349, 574, 16020, 2076, 2487, 28804, 733, 28748, 16289, 28793},
                tok.encode("<s>[INST] What is your favourite condiment? [/INST]", false, true));
    }

    @Test
    void chatPromptEncodesWithControlTokensOnlyWhenParsed() {
        SpmTokenizer tok = TestVocabularies.mistral();
        String prompt = tok.applyChatTemplate(List.of(Message.user("Hi"), Message.assistant("Hello!"),
                Message.user("Bye")), true);
        assertEquals("<s>[INST] Hi [/INST] Hello!</s>[INST] Bye [/INST]", prompt);
        int[] ids = tok.encode(prompt, false, true);
        assertEquals(1, ids[0]);
        int eosCount = 0;
        for (int id : ids) {
            eosCount += id == 2 ? 1 : 0;
        }
        assertEquals(1, eosCount);
        // Same as encoding the pieces between the control tokens separately, each with its space prefix.
        int[] first = tok.encode("[INST] Hi [/INST] Hello!", false, false);
        int[] second = tok.encode("[INST] Bye [/INST]", false, false);
        int[] expected = new int[2 + first.length + second.length];
        expected[0] = 1;
        System.arraycopy(first, 0, expected, 1, first.length);
        expected[1 + first.length] = 2;
        System.arraycopy(second, 0, expected, 2 + first.length, second.length);
        assertArrayEquals(expected, ids);
        // Not parsed: the text of <s> and </s> is spelled out in ordinary pieces.
        int[] raw = tok.encode(prompt, false, false);
        for (int id : raw) {
            assertTrue(id != 1 && id != 2, "control token from plain text");
        }
        assertEquals(prompt, tok.decode(raw));
    }

    @Test
    void addsBosOnRequestOnly() {
        SpmTokenizer tok = TestVocabularies.mistral();
        assertArrayEquals(new int[] {1, 22557, 1526}, tok.encode("Hello world", true, false));
        assertArrayEquals(new int[] {22557, 1526}, tok.encode("Hello world", false, false));
        assertArrayEquals(new int[] {1, 22557, 1526}, tok.encode("Hello world"));
        assertArrayEquals(new int[0], tok.encode("", false, false));
        assertArrayEquals(new int[] {1}, tok.encode("", true, false));
    }

    @Test
    void decodesMultilingualTextAndSkipsControlTokens() throws IOException {
        SpmTokenizer tok = TestVocabularies.mistral();
        for (ReferenceLines.Line l : ReferenceLines.read("mistral-v1-sentencepiece.jsonl").subList(0, 24)) {
            if (l.text().indexOf('\u2581') < 0) {
                assertEquals(l.text(), tok.decode(l.ids()));
                int[] withControls = new int[l.ids().length + 2];
                withControls[0] = 1;
                System.arraycopy(l.ids(), 0, withControls, 1, l.ids().length);
                withControls[withControls.length - 1] = 2;
                assertEquals(l.text(), tok.decode(withControls));
            }
        }
    }

    @Test
    void streamingNeverPrintsHalfACharacter() {
        SpmTokenizer tok = TestVocabularies.mistral();
        String text = "Emoji 🦙 and 😶‍🌫️ and 我想在北京工作 ok";
        int[] ids = tok.encode(text, false, false);
        StreamingDecoder d = tok.newStreamingDecoder();
        StringBuilder sb = new StringBuilder();
        int byteTokens = 0;
        for (int id : ids) {
            byteTokens += tok.vocabulary().type(id) == TokenType.BYTE ? 1 : 0;
            String part = d.accept(id);
            for (int i = 0; i < part.length(); i++) {
                char c = part.charAt(i);
                assertFalse(c == '\uFFFD', "replacement character emitted mid-stream");
                if (Character.isHighSurrogate(c)) {
                    assertTrue(i + 1 < part.length() && Character.isLowSurrogate(part.charAt(i + 1)), "split surrogate pair");
                }
            }
            sb.append(part);
        }
        sb.append(d.flush());
        assertTrue(byteTokens >= 4, "the text should need byte fallback, used " + byteTokens);
        // The stream keeps the dummy-prefix space; decode() drops it.
        assertEquals(" " + text, sb.toString());
        assertEquals(text, tok.decode(ids));
    }
}
