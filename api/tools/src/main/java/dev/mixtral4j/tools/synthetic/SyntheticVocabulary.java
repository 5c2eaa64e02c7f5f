package dev.mixtral4j.tools.synthetic;

import java.util.LinkedHashSet;
import java.util.Set;

/**
 * A made-up SentencePiece vocabulary in the layout of Llama/Mistral's: {@code <unk>}, {@code <s>},
 * {@code </s>}, the 256 byte-fallback tokens {@code <0x00>..<0xFF>}, then generated pieces
 * ({@code ▁}, letters, {@code ▁}+letters, letter pairs, ...) up to the requested size. It is
 * enough for llama.cpp's SPM tokenizer to load and to tokenize any text (through byte fallback).
 */
final class SyntheticVocabulary {
    static final int UNK = 0;
    static final int BOS = 1;
    static final int EOS = 2;
    /** Tokens before the generated pieces. */
    static final int RESERVED = 3 + 256;

    /** llama.cpp's token types. */
    static final int TYPE_NORMAL = 1;
    static final int TYPE_UNKNOWN = 2;
    static final int TYPE_CONTROL = 3;
    static final int TYPE_BYTE = 6;

    final String[] tokens;
    final float[] scores;
    final int[] types;

    SyntheticVocabulary(int size) {
        if (size < RESERVED + 1) {
            throw new IllegalArgumentException("vocabulary size " + size + " is below the minimum " + (RESERVED + 1)
                    + " (3 control tokens, 256 byte tokens and at least one piece)");
        }
        tokens = new String[size];
        scores = new float[size];
        types = new int[size];
        tokens[UNK] = "<unk>";
        tokens[BOS] = "<s>";
        tokens[EOS] = "</s>";
        types[UNK] = TYPE_UNKNOWN;
        types[BOS] = TYPE_CONTROL;
        types[EOS] = TYPE_CONTROL;
        for (int b = 0; b < 256; b++) {
            tokens[3 + b] = String.format("<0x%02X>", b);
            types[3 + b] = TYPE_BYTE;
        }
        Set<String> pieces = new LinkedHashSet<>();
        String letters = "etaoinshrdlucmfwypvbgkjqxz";
        pieces.add("\u2581");
        int need = size - RESERVED;
        for (int len = 1; pieces.size() < need; len++) {
            generate(letters, len, "", pieces, need);
        }
        int id = RESERVED;
        for (String p : pieces) {
            if (id == size) {
                break;
            }
            tokens[id] = p;
            types[id] = TYPE_NORMAL;
            // Earlier (shorter, more frequent) pieces score higher, as in a trained vocabulary.
            scores[id] = -(id - RESERVED);
            id++;
        }
    }

    /** Adds pieces of {@code len} letters, each alone and with a leading word marker. */
    private static void generate(String letters, int len, String prefix, Set<String> out, int need) {
        if (out.size() >= need) {
            return;
        }
        if (prefix.length() == len) {
            out.add("\u2581" + prefix);
            out.add(prefix);
            return;
        }
        for (int i = 0; i < letters.length() && out.size() < need; i++) {
            generate(letters, len, prefix + letters.charAt(i), out, need);
        }
    }
}
