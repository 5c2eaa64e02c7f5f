package dev.mixtral4j.tokenizer;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

/** Each SentencePiece-BPE rule on a small vocabulary whose answer can be worked out by hand. */
class EncodingRulesTest {

    private static int[] ids(TestVocabularies.Builder b, String... pieces) {
        int[] r = new int[pieces.length];
        for (int i = 0; i < pieces.length; i++) {
            r[i] = b.id(pieces[i]);
            if (r[i] < 0) {
                throw new IllegalArgumentException("no piece " + pieces[i]);
            }
        }
        return r;
    }

    private static TestVocabularies.Builder abc() {
        return TestVocabularies.Builder.standard()
                .normal("▁", -100).normal("a", -10).normal("b", -11).normal("c", -12);
    }

    @Test
    void highestScoringPairMergesFirst() {
        TestVocabularies.Builder b = abc().normal("ab", -1).normal("bc", -2);
        assertArrayEquals(ids(b, "▁", "ab", "c"), b.tokenizer().encode("abc", false, false));
        TestVocabularies.Builder flipped = abc().normal("ab", -2).normal("bc", -1);
        assertArrayEquals(ids(flipped, "▁", "a", "bc"), flipped.tokenizer().encode("abc", false, false));
    }

    @Test
    void mergesRepeatOnTheirResults() {
        TestVocabularies.Builder b = abc().normal("ab", -1).normal("bc", -2).normal("abc", -3).normal("▁abc", -4);
        assertArrayEquals(ids(b, "▁abc"), b.tokenizer().encode("abc", false, false));
    }

    @Test
    void leftmostPairWinsOnEqualScores() {
        TestVocabularies.Builder b = abc().normal("aa", -1);
        assertArrayEquals(ids(b, "▁", "aa", "a"), b.tokenizer().encode("aaa", false, false));
        assertArrayEquals(ids(b, "▁", "aa", "aa", "a"), b.tokenizer().encode("aaaaa", false, false));
    }

    @Test
    void equalScoresOnDifferentPiecesAlsoGoLeftmost() {
        TestVocabularies.Builder b = abc().normal("ab", -1).normal("bc", -1);
        assertArrayEquals(ids(b, "▁", "ab", "c"), b.tokenizer().encode("abc", false, false));
    }

    @Test
    void spacesBecomeSpaceSymbolsWithAPrefix() {
        TestVocabularies.Builder b = abc().normal("▁a", -1).normal("▁▁", -2);
        SpmTokenizer t = b.tokenizer();
        assertArrayEquals(ids(b, "▁a", "▁a"), t.encode("a a", false, false));
        // "▁▁a": the pair "▁a" (-1) outscores "▁▁" (-2)
        assertArrayEquals(ids(b, "▁", "▁a"), t.encode(" a", false, false));
        assertArrayEquals(ids(b, "▁▁"), t.encode(" ", false, false));
    }

    @Test
    void noPrefixWhenTheVocabularySaysSo() {
        TestVocabularies.Builder b = abc().normal("▁a", -1);
        b.addSpacePrefix = false;
        assertArrayEquals(ids(b, "a", "▁a"), b.tokenizer().encode("a a", false, false));
    }

    @Test
    void unknownCharactersFallBackToUtf8Bytes() {
        TestVocabularies.Builder b = abc();
        int[] expected = {b.id("▁"), b.id("<0xC3>"), b.id("<0xA9>"), b.id("a"), b.id("<0xF0>"), b.id("<0x9F>"),
                b.id("<0xA6>"), b.id("<0x99>")};
        assertArrayEquals(expected, b.tokenizer().encode("éa🦙", false, false));
    }

    @Test
    void withoutByteTokensEachUnknownCharacterIsOneUnk() {
        TestVocabularies.Builder b = new TestVocabularies.Builder()
                .add("<unk>", 0, TokenType.UNKNOWN).add("<s>", 0, TokenType.CONTROL).add("</s>", 0, TokenType.CONTROL)
                .normal("▁", -1).normal("a", -2);
        assertArrayEquals(new int[] {3, 0, 4, 0}, b.tokenizer().encode("éa🦙", false, false));
    }

    @Test
    void controlUnknownUnusedAndByteTokensAreNeverMergeResults() {
        TestVocabularies.Builder b = TestVocabularies.Builder.standard()
                .normal("▁", -100).normal("<", -10).normal("s", -11).normal(">", -12).normal("<s", -1)
                .normal("u", -13).normal("n", -14).normal("k", -15).normal("<u", -2).normal("<un", -3)
                .normal("0", -16).normal("x", -17).normal("4", -18).normal("1", -19).normal("<0", -4).normal("<0x", -5)
                .normal("<0x4", -6).normal("<0x41", -7)
                .normal("z", -20).add("zz", 0, TokenType.UNUSED);
        SpmTokenizer t = b.tokenizer();
        assertArrayEquals(ids(b, "▁", "<s", ">"), t.encode("<s>", false, false));
        assertArrayEquals(ids(b, "▁", "<un", "k", ">"), t.encode("<unk>", false, false));
        assertArrayEquals(ids(b, "▁", "<0x41", ">"), t.encode("<0x41>", false, false));
        assertArrayEquals(ids(b, "▁", "z", "z"), t.encode("zz", false, false));
    }

    @Test
    void specialTokensAreParsedOnlyOnRequest() {
        TestVocabularies.Builder b = TestVocabularies.Builder.standard()
                .normal("▁", -100).normal("<", -10).normal("s", -11).normal(">", -12).normal("/", -13)
                .normal("a", -14).normal("▁a", -1);
        SpmTokenizer t = b.tokenizer();
        // Parsed: <s> is BOS; the text after a special token gets its own space prefix.
        assertArrayEquals(new int[] {1, b.id("▁a"), 2, b.id("▁a")}, t.encode("<s>a</s>a", false, true));
        assertArrayEquals(new int[] {b.id("▁a"), 2}, t.encode("a</s>", false, true));
        assertArrayEquals(new int[] {0}, t.encode("<unk>", false, true));
        // Not parsed: plain characters.
        int[] plain = t.encode("<s>a", false, false);
        assertArrayEquals(ids(b, "▁", "<", "s", ">", "a"), plain);
    }

    @Test
    void userDefinedPiecesAreAlwaysWhole() {
        TestVocabularies.Builder b = abc().normal("▁a", -1).add("<|x|>", 0, TokenType.USER_DEFINED)
                .normal("<", -20).normal("|", -21).normal("x", -22).normal(">", -23);
        SpmTokenizer t = b.tokenizer();
        int ud = b.id("<|x|>");
        assertArrayEquals(new int[] {b.id("▁a"), ud, b.id("▁a")}, t.encode("a<|x|>a", false, false));
        assertArrayEquals(new int[] {ud}, t.encode("<|x|>", false, false));
    }

    @Test
    void longestSpecialTokenWinsAtAPosition() {
        TestVocabularies.Builder b = abc().add("[A]", 0, TokenType.CONTROL).add("[A]]", 0, TokenType.CONTROL)
                .normal("]", -30);
        SpmTokenizer t = b.tokenizer();
        assertArrayEquals(new int[] {b.id("[A]]"), b.id("▁"), b.id("a")}, t.encode("[A]]a", false, true));
    }

    @Test
    void emptyTextGivesNoTokens() {
        SpmTokenizer t = abc().tokenizer();
        assertArrayEquals(new int[0], t.encode("", false, false));
        assertArrayEquals(new int[0], t.encode("", false, true));
        assertArrayEquals(new int[] {1}, t.encode("", true, false));
    }

    @Test
    void decodeDropsOnlyTheDummyPrefixSpace() {
        TestVocabularies.Builder b = abc().normal("▁a", -1).normal("▁▁", -2);
        SpmTokenizer t = b.tokenizer();
        assertEquals("a a", t.decode(ids(b, "▁a", "▁a")));
        assertEquals(" a", t.decode(ids(b, "▁▁", "a")));
        assertEquals("a", t.decode(new int[] {1, b.id("▁a")}));
        // A byte token for a space is text, never a dummy prefix.
        assertEquals(" a", t.decode(new int[] {b.id("<0x20>"), b.id("a")}));
        assertEquals("é", t.decode(new int[] {b.id("<0xC3>"), b.id("<0xA9>")}));
        assertEquals(" \u2047 ", t.decode(new int[] {b.id("a"), 0}).substring(1));
    }
}
