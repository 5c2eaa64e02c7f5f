package dev.mixtral4j.fakes;

import dev.mixtral4j.spi.ChatMessage;
import dev.mixtral4j.model.ModelFile;
import dev.mixtral4j.spi.Availability;
import dev.mixtral4j.spi.Tokenizer;
import dev.mixtral4j.spi.TokenizerProvider;
import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * A test tokenizer with one token per printable ASCII character, byte tokens for everything else
 * (so non-ASCII characters span several tokens, like SentencePiece byte fallback), and the control
 * tokens {@code <s>}, {@code </s>}, {@code [INST]}, {@code [/INST]}.
 */
public final class CharTokenizer implements Tokenizer {
    public static final int UNK = 0;
    public static final int BOS = 1;
    public static final int EOS = 2;
    public static final int FIRST_BYTE = 3;
    public static final int FIRST_CHAR = FIRST_BYTE + 256;
    public static final int INST = FIRST_CHAR + 95;
    public static final int END_INST = INST + 1;
    public static final int VOCAB = END_INST + 1;
    /** The value of tokenizer.ggml.model that {@link Provider} accepts. */
    public static final String MODEL_NAME = "fake-chars";

    private static final String[] CONTROL = {"<s>", "</s>", "[INST]", "[/INST]"};

    private final boolean templateWritesBos;

    public CharTokenizer() {
        this(true);
    }

    /** @param templateWritesBos whether the chat template starts with {@code <s>} (Mistral's does) */
    public CharTokenizer(boolean templateWritesBos) {
        this.templateWritesBos = templateWritesBos;
    }
    private static final int[] CONTROL_IDS = {BOS, EOS, INST, END_INST};

    public static int charToken(char c) {
        if (c < 32 || c > 126) {
            throw new IllegalArgumentException("not printable ASCII: " + (int) c);
        }
        return FIRST_CHAR + (c - 32);
    }

    public static boolean isPrintable(int token) {
        return token >= FIRST_CHAR && token < INST;
    }

    @Override
    public int vocabSize() {
        return VOCAB;
    }

    @Override
    public int bosId() {
        return BOS;
    }

    @Override
    public int eosId() {
        return EOS;
    }

    @Override
    public boolean isEndOfGeneration(int token) {
        return token == EOS;
    }

    @Override
    public int[] encode(String text, boolean addBos, boolean parseSpecial) {
        List<Integer> out = new ArrayList<>();
        if (addBos) {
            out.add(BOS);
        }
        int i = 0;
        outer:
        while (i < text.length()) {
            if (parseSpecial) {
                for (int k = 0; k < CONTROL.length; k++) {
                    if (text.startsWith(CONTROL[k], i)) {
                        out.add(CONTROL_IDS[k]);
                        i += CONTROL[k].length();
                        continue outer;
                    }
                }
            }
            int cp = text.codePointAt(i);
            if (cp >= 32 && cp <= 126) {
                out.add(charToken((char) cp));
            } else {
                for (byte b : new String(Character.toChars(cp)).getBytes(StandardCharsets.UTF_8)) {
                    out.add(FIRST_BYTE + (b & 0xFF));
                }
            }
            i += Character.charCount(cp);
        }
        return out.stream().mapToInt(Integer::intValue).toArray();
    }

    @Override
    public String decode(int[] tokens) {
        StreamingDecoder d = newStreamingDecoder();
        StringBuilder sb = new StringBuilder();
        for (int t : tokens) {
            sb.append(d.accept(t));
        }
        return sb.append(d.flush()).toString();
    }

    @Override
    public String piece(int token) {
        if (token >= FIRST_CHAR && token < INST) {
            return String.valueOf((char) (32 + token - FIRST_CHAR));
        }
        if (token >= FIRST_BYTE && token < FIRST_CHAR) {
            return String.format("<0x%02X>", token - FIRST_BYTE);
        }
        for (int k = 0; k < CONTROL_IDS.length; k++) {
            if (CONTROL_IDS[k] == token) {
                return CONTROL[k];
            }
        }
        return "<unk>";
    }

    @Override
    public StreamingDecoder newStreamingDecoder() {
        return new StreamingDecoder() {
            private final ByteArrayOutputStream pending = new ByteArrayOutputStream();

            @Override
            public String accept(int token) {
                if (token >= FIRST_BYTE && token < FIRST_CHAR) {
                    pending.write(token - FIRST_BYTE);
                    CharsetDecoder dec = StandardCharsets.UTF_8.newDecoder()
                            .onMalformedInput(CodingErrorAction.REPORT)
                            .onUnmappableCharacter(CodingErrorAction.REPORT);
                    try {
                        CharBuffer cb = dec.decode(ByteBuffer.wrap(pending.toByteArray()));
                        pending.reset();
                        return cb.toString();
                    } catch (CharacterCodingException e) {
                        return ""; // still incomplete
                    }
                }
                String prefix = flush();
                return isPrintable(token) ? prefix + piece(token) : prefix;
            }

            @Override
            public String flush() {
                if (pending.size() == 0) {
                    return "";
                }
                pending.reset();
                return "\uFFFD";
            }
        };
    }

    @Override
    public String applyChatTemplate(List<? extends ChatMessage> messages, boolean addGenerationPrompt) {
        StringBuilder sb = new StringBuilder(templateWritesBos ? "<s>" : "");
        for (ChatMessage m : messages) {
            switch (m.roleName()) {
                case "assistant" -> sb.append(m.content()).append("</s>");
                default -> sb.append("[INST] ").append(m.content()).append(" [/INST]");
            }
        }
        return sb.toString();
    }

    /** Supports files whose {@code tokenizer.ggml.model} is {@value #MODEL_NAME}. */
    public static class Provider implements TokenizerProvider {
        @Override
        public String id() {
            return "chars";
        }

        @Override
        public int rank() {
            return 5;
        }

        @Override
        public Availability supports(ModelFile model) {
            String name = model.metadata().findString("tokenizer.ggml.model").orElse("");
            return name.equals(MODEL_NAME) ? Availability.yes("fake vocabulary")
                    : Availability.no("tokenizer.ggml.model is '" + name + "', not " + MODEL_NAME);
        }

        @Override
        public Tokenizer create(ModelFile model) {
            return new CharTokenizer();
        }
    }
}
