package dev.mixtral4j.tokenizer;

import dev.mixtral4j.spi.Tokenizer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * SentencePiece-BPE tokenizer of Llama/Mistral/Mixtral vocabularies, with the semantics of
 * SentencePiece (and llama.cpp's {@code llama_tokenize}) for GGUF {@code tokenizer.ggml.model = "llama"}:
 *
 * <ul>
 * <li>the text is cut at special tokens first: user-defined pieces always, control and unknown
 * pieces only with {@code parseSpecial};</li>
 * <li>each text fragment gets a leading space when {@code add_space_prefix} is set and it starts
 * the text or follows a special token, and every space becomes U+2581;</li>
 * <li>pairs of adjacent symbols merge by highest piece score, leftmost on ties; only NORMAL and
 * USER_DEFINED pieces are merge results, so control, unknown, unused and byte tokens never come
 * out of a merge;</li>
 * <li>what is left unmatched falls back to {@code <0xXX>} byte tokens of its UTF-8 bytes.</li>
 * </ul>
 *
 * <p>Strings that are not valid UTF-16 (an unpaired surrogate) are encoded as if each unpaired
 * surrogate were U+FFFD. Thread-safe and immutable.
 */
public final class SpmTokenizer implements Tokenizer {
    static final char SPACE_SYMBOL = '\u2581';
    /** What SentencePiece prints for the unknown token. */
    static final String UNKNOWN_SURFACE = " \u2047 ";

    private final Vocabulary vocab;
    private final PieceTable mergeable;
    private final int[] byteTokens = new int[256];
    private final SpecialTokenMatcher alwaysSpecial;
    private final SpecialTokenMatcher allSpecial;
    private final byte[][] surfaces;
    private final ChatFormatter chat;

    public SpmTokenizer(Vocabulary vocab) {
        this.vocab = Objects.requireNonNull(vocab, "vocab");
        int n = vocab.size();
        String[] pieces = vocab.pieces();
        TokenType[] types = vocab.types();
        boolean[] canMerge = new boolean[n];
        List<Integer> userDefined = new ArrayList<>();
        List<Integer> special = new ArrayList<>();
        for (int id = 0; id < n; id++) {
            TokenType t = types[id];
            canMerge[id] = t == TokenType.NORMAL || t == TokenType.USER_DEFINED;
            if (t == TokenType.USER_DEFINED) {
                userDefined.add(id);
                special.add(id);
            } else if (t == TokenType.CONTROL || t == TokenType.UNKNOWN) {
                special.add(id);
            }
        }
        this.mergeable = new PieceTable(pieces, canMerge);
        for (int b = 0; b < 256; b++) {
            byteTokens[b] = vocab.byteToken(b);
        }
        this.alwaysSpecial = new SpecialTokenMatcher(pieces, userDefined);
        this.allSpecial = new SpecialTokenMatcher(pieces, special);
        this.surfaces = new byte[n][];
        for (int id = 0; id < n; id++) {
            surfaces[id] = switch (types[id]) {
                case CONTROL -> new byte[0];
                case BYTE -> new byte[] {(byte) Vocabulary.parseByteToken(pieces[id])};
                case UNKNOWN -> UNKNOWN_SURFACE.getBytes(StandardCharsets.UTF_8);
                case NORMAL, USER_DEFINED, UNUSED -> pieces[id].replace(SPACE_SYMBOL, ' ').getBytes(StandardCharsets.UTF_8);
            };
        }
        this.chat = ChatFormatter.forVocabulary(vocab);
    }

    public Vocabulary vocabulary() {
        return vocab;
    }

    @Override
    public int vocabSize() {
        return vocab.size();
    }

    @Override
    public int bosId() {
        return vocab.bosId();
    }

    @Override
    public int eosId() {
        return vocab.eosId();
    }

    @Override
    public boolean isEndOfGeneration(int token) {
        return vocab.isEndOfGeneration(token);
    }

    /** Encodes with the file's own {@code add_bos_token} and no special-token parsing. */
    public int[] encode(String text) {
        return encode(text, vocab.addBos(), false);
    }

    @Override
    public int[] encode(String text, boolean addBos, boolean parseSpecial) {
        Objects.requireNonNull(text, "text");
        IntList out = new IntList(text.length() / 3 + 2);
        if (addBos) {
            if (vocab.bosId() < 0) {
                throw new IllegalStateException("the vocabulary has no BOS token");
            }
            out.add(vocab.bosId());
        }
        SpecialTokenMatcher specials = parseSpecial ? allSpecial : alwaysSpecial;
        BpeMerger merger = new BpeMerger(mergeable, vocab.scores(), byteTokens, vocab.unkId());
        boolean afterSpecial = true;
        int fragmentStart = 0;
        int length = text.length();
        if (!specials.isEmpty()) {
            for (int i = 0; i < length; ) {
                int id = specials.matchAt(text, i);
                if (id < 0) {
                    i++;
                    continue;
                }
                if (i > fragmentStart) {
                    encodeFragment(text, fragmentStart, i, afterSpecial, merger, out);
                }
                out.add(id);
                afterSpecial = true;
                i += vocab.piece(id).length();
                fragmentStart = i;
            }
        }
        if (length > fragmentStart) {
            encodeFragment(text, fragmentStart, length, afterSpecial, merger, out);
        }
        return out.toArray();
    }

    private void encodeFragment(String text, int from, int to, boolean afterSpecial, BpeMerger merger, IntList out) {
        boolean prefix = afterSpecial && vocab.addSpacePrefix();
        char[] buf = new char[to - from + (prefix ? 1 : 0)];
        int k = 0;
        if (prefix) {
            buf[k++] = SPACE_SYMBOL;
        }
        for (int i = from; i < to; i++) {
            char c = text.charAt(i);
            if (c == ' ') {
                c = SPACE_SYMBOL;
            } else if (Character.isHighSurrogate(c)) {
                if (i + 1 < to && Character.isLowSurrogate(text.charAt(i + 1))) {
                    buf[k++] = c;
                    c = text.charAt(++i);
                } else {
                    c = Utf8.REPLACEMENT;
                }
            } else if (Character.isLowSurrogate(c)) {
                c = Utf8.REPLACEMENT;
            }
            buf[k++] = c;
        }
        merger.encode(buf, k, out);
    }

    @Override
    public String decode(int[] tokens) {
        Objects.requireNonNull(tokens, "tokens");
        int total = 0;
        for (int t : tokens) {
            total += surfaces[vocab.checkId(t)].length;
        }
        byte[] bytes = new byte[total];
        int at = 0;
        boolean first = true;
        for (int t : tokens) {
            byte[] s = surfaces[t];
            int skip = 0;
            if (first && s.length > 0) {
                // SentencePiece drops the space its dummy prefix put before the first word.
                if (vocab.addSpacePrefix() && s[0] == ' ' && vocab.type(t) != TokenType.BYTE) {
                    skip = 1;
                }
                first = false;
            }
            System.arraycopy(s, skip, bytes, at, s.length - skip);
            at += s.length - skip;
        }
        StringBuilder sb = new StringBuilder(at);
        Utf8.decode(bytes, at, sb, true);
        return sb.toString();
    }

    /** The bytes a token stands for when decoded (empty for control tokens). */
    byte[] surface(int token) {
        return surfaces[vocab.checkId(token)];
    }

    @Override
    public String piece(int token) {
        return vocab.piece(token);
    }

    /**
     * A decoder for tokens that continue text (generation): it keeps every space, including
     * the one a first {@code ▁word} stands for, so its output appended to the prompt reads right.
     */
    @Override
    public StreamingDecoder newStreamingDecoder() {
        return new Utf8StreamingDecoder(this);
    }

    @Override
    public String applyChatTemplate(List<? extends dev.mixtral4j.spi.ChatMessage> messages, boolean addGenerationPrompt) {
        return chat.render(messages, addGenerationPrompt);
    }

    /** Whether the chat format comes from the file's {@code tokenizer.chat_template}. */
    public boolean hasChatTemplate() {
        return vocab.chatTemplate().isPresent();
    }

    @Override
    public String toString() {
        return "SpmTokenizer[" + vocab.size() + " pieces]";
    }
}
