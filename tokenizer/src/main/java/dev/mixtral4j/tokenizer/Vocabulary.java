package dev.mixtral4j.tokenizer;

import dev.mixtral4j.gguf.GgufMetadata;
import dev.mixtral4j.gguf.ModelFormatException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;

/**
 * A SentencePiece vocabulary read from GGUF metadata ({@code tokenizer.ggml.*}), validated once
 * so that encoding and decoding never meet an inconsistent table.
 *
 * <p>Missing optional arrays get the defaults llama.cpp uses (scores 0, every token NORMAL);
 * arrays present with the wrong length or type, ids out of range, unknown token types, NaN
 * scores and malformed byte-token names are rejected with a {@link ModelFormatException}
 * naming the key and the index.
 */
public final class Vocabulary {
    public static final String KEY_MODEL = "tokenizer.ggml.model";
    public static final String KEY_TOKENS = "tokenizer.ggml.tokens";
    public static final String KEY_SCORES = "tokenizer.ggml.scores";
    public static final String KEY_TYPES = "tokenizer.ggml.token_type";
    public static final String KEY_CHAT_TEMPLATE = "tokenizer.chat_template";
    /** The value of {@link #KEY_MODEL} for SentencePiece-BPE vocabularies (Llama, Mistral, Mixtral). */
    public static final String SPM_MODEL = "llama";

    /** Texts of control tokens that end a turn in common chat formats. */
    private static final List<String> END_OF_TURN_TEXTS = List.of("<|end|>", "<|endoftext|>", "<|eot_id|>", "<|im_end|>");

    private final String source;
    private final String[] pieces;
    private final float[] scores;
    private final TokenType[] types;
    private final int bosId;
    private final int eosId;
    private final int unkId;
    private final boolean addBos;
    private final boolean addSpacePrefix;
    private final String chatTemplate;
    private final int[] byteTokens = new int[256];
    private final boolean[] endOfGeneration;

    private Vocabulary(String source, String[] pieces, float[] scores, TokenType[] types, int bosId, int eosId,
            int unkId, boolean addBos, boolean addSpacePrefix, String chatTemplate, int[] extraEog) {
        this.source = source;
        this.pieces = pieces;
        this.scores = scores;
        this.types = types;
        this.bosId = bosId;
        this.eosId = eosId;
        this.unkId = unkId;
        this.addBos = addBos;
        this.addSpacePrefix = addSpacePrefix;
        this.chatTemplate = chatTemplate;
        Arrays.fill(byteTokens, -1);
        for (int id = 0; id < pieces.length; id++) {
            if (types[id] == TokenType.BYTE) {
                int b = parseByteToken(pieces[id]);
                if (b < 0) {
                    throw new ModelFormatException(where() + KEY_TOKENS + "[" + id + "] = '" + pieces[id]
                            + "' is of type BYTE but is not named <0xXX>");
                }
                if (byteTokens[b] < 0) {
                    byteTokens[b] = id;
                }
            }
        }
        this.endOfGeneration = new boolean[pieces.length];
        if (eosId >= 0) {
            endOfGeneration[eosId] = true;
        }
        for (int id : extraEog) {
            endOfGeneration[id] = true;
        }
        for (int id = 0; id < pieces.length; id++) {
            if (types[id] == TokenType.CONTROL && END_OF_TURN_TEXTS.contains(pieces[id])) {
                endOfGeneration[id] = true;
            }
        }
    }

    /** Reads and validates the vocabulary of a GGUF file's metadata. */
    public static Vocabulary fromMetadata(GgufMetadata metadata) {
        return fromMetadata(metadata, null);
    }

    /**
     * Reads and validates the vocabulary of a GGUF file's metadata; {@code file} (may be null)
     * names the file in error messages.
     */
    public static Vocabulary fromMetadata(GgufMetadata metadata, String file) {
        String source = file == null || file.isEmpty() ? "" : file + ": ";
        String model = metadata.findString(KEY_MODEL).orElseThrow(
                () -> new ModelFormatException(source + "metadata key '" + KEY_MODEL + "' is missing: the file has no tokenizer"));
        if (!SPM_MODEL.equals(model)) {
            throw new ModelFormatException(source + KEY_MODEL + " is '" + model
                    + "'; this tokenizer reads only SentencePiece-BPE vocabularies ('" + SPM_MODEL + "')");
        }
        String[] pieces = metadata.findStringArray(KEY_TOKENS).orElseThrow(
                () -> new ModelFormatException(source + "metadata key '" + KEY_TOKENS + "' is missing"));
        int n = pieces.length;
        if (n == 0) {
            throw new ModelFormatException(source + KEY_TOKENS + " is empty");
        }
        for (int i = 0; i < n; i++) {
            if (pieces[i] == null) {
                throw new ModelFormatException(source + KEY_TOKENS + "[" + i + "] is null");
            }
        }
        float[] scores = metadata.findFloatArray(KEY_SCORES).orElseGet(() -> new float[n]);
        if (scores.length != n) {
            throw new ModelFormatException(source + KEY_SCORES + " has " + scores.length + " entries but "
                    + KEY_TOKENS + " has " + n);
        }
        for (int i = 0; i < n; i++) {
            if (Float.isNaN(scores[i])) {
                throw new ModelFormatException(source + KEY_SCORES + "[" + i + "] is NaN");
            }
        }
        TokenType[] types = new TokenType[n];
        Optional<int[]> typeIds = metadata.findIntArray(KEY_TYPES);
        if (typeIds.isPresent()) {
            int[] t = typeIds.get();
            if (t.length != n) {
                throw new ModelFormatException(source + KEY_TYPES + " has " + t.length + " entries but "
                        + KEY_TOKENS + " has " + n);
            }
            for (int i = 0; i < n; i++) {
                types[i] = TokenType.byId(t[i]);
                if (types[i] == null) {
                    throw new ModelFormatException(source + KEY_TYPES + "[" + i + "] = " + t[i]
                            + " is not a token type (1..6)");
                }
            }
        } else {
            Arrays.fill(types, TokenType.NORMAL);
        }
        // llama.cpp's defaults for SentencePiece vocabularies when the ids are absent.
        int bos = tokenId(metadata, "tokenizer.ggml.bos_token_id", 1, n, source);
        int eos = tokenId(metadata, "tokenizer.ggml.eos_token_id", 2, n, source);
        int unk = tokenId(metadata, "tokenizer.ggml.unknown_token_id", 0, n, source);
        List<Integer> extra = new ArrayList<>();
        for (String key : List.of("tokenizer.ggml.eot_token_id", "tokenizer.ggml.eom_token_id")) {
            int id = tokenId(metadata, key, -1, n, source);
            if (id >= 0) {
                extra.add(id);
            }
        }
        boolean addBos = metadata.findBool("tokenizer.ggml.add_bos_token").orElse(true);
        boolean addSpacePrefix = metadata.findBool("tokenizer.ggml.add_space_prefix").orElse(true);
        String template = metadata.findString(KEY_CHAT_TEMPLATE).orElse(null);
        return new Vocabulary(source, pieces.clone(), scores.clone(), types, bos, eos, unk, addBos, addSpacePrefix,
                template, extra.stream().mapToInt(Integer::intValue).toArray());
    }

    /**
     * Builds a vocabulary from arrays (tests, synthetic vocabularies). Arrays are copied;
     * {@code unkId} may be -1 when the vocabulary has no unknown token.
     */
    public static Vocabulary of(String[] pieces, float[] scores, TokenType[] types, int bosId, int eosId, int unkId,
            boolean addBos, boolean addSpacePrefix, String chatTemplate) {
        int n = pieces.length;
        if (n == 0 || scores.length != n || types.length != n) {
            throw new IllegalArgumentException("pieces, scores and types must be non-empty and of equal length: "
                    + n + ", " + scores.length + ", " + types.length);
        }
        for (int i = 0; i < n; i++) {
            if (pieces[i] == null || types[i] == null || Float.isNaN(scores[i])) {
                throw new IllegalArgumentException("entry " + i + " has a null piece, a null type or a NaN score");
            }
        }
        for (int id : new int[] {bosId, eosId, unkId}) {
            if (id < -1 || id >= n) {
                throw new IllegalArgumentException("special token id " + id + " is outside the vocabulary of " + n);
            }
        }
        return new Vocabulary("", pieces.clone(), scores.clone(), types.clone(), bosId, eosId, unkId, addBos,
                addSpacePrefix, chatTemplate, new int[0]);
    }

    private static int tokenId(GgufMetadata m, String key, int dflt, int n, String source) {
        OptionalLong v = m.findLong(key);
        if (v.isEmpty()) {
            return dflt < n ? dflt : -1;
        }
        long id = v.getAsLong();
        // -1 (or UINT32 0xFFFFFFFF) is how converters write "no such token".
        if (id == -1 || id == 0xFFFF_FFFFL) {
            return -1;
        }
        if (id < 0 || id >= n) {
            throw new ModelFormatException(source + key + " = " + id + " is outside the vocabulary of " + n + " tokens");
        }
        return (int) id;
    }

    /** 0..255 for a piece named {@code <0xXX>} (two hex digits), else -1. */
    static int parseByteToken(String piece) {
        if (piece.length() != 6 || !piece.startsWith("<0x") || piece.charAt(5) != '>') {
            return -1;
        }
        int hi = Character.digit(piece.charAt(3), 16);
        int lo = Character.digit(piece.charAt(4), 16);
        return hi < 0 || lo < 0 ? -1 : hi * 16 + lo;
    }

    private String where() {
        return source;
    }

    public int size() {
        return pieces.length;
    }

    public String piece(int id) {
        return pieces[checkId(id)];
    }

    public float score(int id) {
        return scores[checkId(id)];
    }

    public TokenType type(int id) {
        return types[checkId(id)];
    }

    public int bosId() {
        return bosId;
    }

    public int eosId() {
        return eosId;
    }

    /** The unknown token, or -1 when the vocabulary has none. */
    public int unkId() {
        return unkId;
    }

    public boolean addBos() {
        return addBos;
    }

    public boolean addSpacePrefix() {
        return addSpacePrefix;
    }

    public Optional<String> chatTemplate() {
        return Optional.ofNullable(chatTemplate);
    }

    /** The token of byte {@code b} ({@code <0xXX>}), or -1 when the vocabulary lacks it. */
    public int byteToken(int b) {
        return byteTokens[b & 0xFF];
    }

    public boolean isEndOfGeneration(int id) {
        return id >= 0 && id < endOfGeneration.length && endOfGeneration[id];
    }

    /** The first id whose piece is {@code text} and whose type is one of {@code wanted}, or -1. */
    public int find(String text, TokenType... wanted) {
        for (int id = 0; id < pieces.length; id++) {
            if (pieces[id].equals(text)) {
                for (TokenType t : wanted) {
                    if (types[id] == t) {
                        return id;
                    }
                }
            }
        }
        return -1;
    }

    List<String> piecesView() {
        return Collections.unmodifiableList(Arrays.asList(pieces));
    }

    String[] pieces() {
        return pieces;
    }

    float[] scores() {
        return scores;
    }

    TokenType[] types() {
        return types;
    }

    int checkId(int id) {
        if (id < 0 || id >= pieces.length) {
            throw new IllegalArgumentException("token id " + id + " is outside the vocabulary of " + pieces.length + " tokens");
        }
        return id;
    }
}
