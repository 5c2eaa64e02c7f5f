package dev.mixtral4j.backend.llamacpp;

import dev.mixtral4j.backend.llamacpp.bindings.Llama;
import dev.mixtral4j.backend.llamacpp.bindings.llama_chat_message;
import dev.mixtral4j.spi.ChatMessage;
import dev.mixtral4j.spi.Tokenizer;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.ref.Cleaner;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;

/**
 * llama.cpp's own tokenizer, over a vocabulary-only {@code llama_model}. The native model is
 * freed by {@link #close()} or, at the latest, when this tokenizer becomes unreachable (the
 * {@link Tokenizer} interface has no close, and callers may simply drop it).
 * llama.cpp's tokenizer functions are thread-safe.
 */
final class LlamaCppTokenizer implements Tokenizer, AutoCloseable {
    private static final Cleaner CLEANER = Cleaner.create();
    /** Used when the file carries no chat template: Mixtral Instruct's {@code [INST] ... [/INST]}. */
    private static final String DEFAULT_TEMPLATE = "mistral-v1";

    private final NativeModel owner;
    private final Cleaner.Cleanable cleanable;
    private final MemorySegment vocab;
    private final int vocabSize;
    private final String chatTemplate;

    /** The native model, freed once, by close or by the cleaner; holds no reference to the tokenizer. */
    private static final class NativeModel implements Runnable {
        private MemorySegment model;

        NativeModel(MemorySegment model) {
            this.model = model;
        }

        @Override
        public synchronized void run() {
            if (model != null) {
                Llama.llama_model_free(model);
                model = null;
            }
        }
    }

    LlamaCppTokenizer(LlamaRuntime runtime, String path) {
        MemorySegment model = LlamaCppModel.loadNative(runtime, path, null, true);
        this.owner = new NativeModel(model);
        this.cleanable = CLEANER.register(this, owner);
        this.vocab = Llama.llama_model_get_vocab(model);
        this.vocabSize = Llama.llama_vocab_n_tokens(vocab);
        MemorySegment tmpl = Llama.llama_model_chat_template(model, MemorySegment.NULL);
        this.chatTemplate = tmpl.equals(MemorySegment.NULL) ? null : LlamaRuntime.cString(tmpl);
    }

    @Override
    public void close() {
        cleanable.clean();
    }

    private void checkOpen() {
        synchronized (owner) {
            if (owner.model == null) {
                throw new IllegalStateException("tokenizer is closed");
            }
        }
    }

    @Override
    public int vocabSize() {
        return vocabSize;
    }

    @Override
    public int bosId() {
        return Llama.llama_vocab_bos(vocab);
    }

    @Override
    public int eosId() {
        return Llama.llama_vocab_eos(vocab);
    }

    @Override
    public boolean isEndOfGeneration(int token) {
        return inRange(token) && Llama.llama_vocab_is_eog(vocab, token);
    }

    @Override
    public int[] encode(String text, boolean addBos, boolean parseSpecial) {
        checkOpen();
        byte[] utf8 = text.getBytes(StandardCharsets.UTF_8);
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment in = arena.allocate(Math.max(1, utf8.length));
            MemorySegment.copy(utf8, 0, in, ValueLayout.JAVA_BYTE, 0, utf8.length);
            int capacity = utf8.length + 2;
            MemorySegment out = arena.allocate(ValueLayout.JAVA_INT, capacity);
            // BOS is added here rather than by llama.cpp so that addBos means the same for every vocabulary
            int n = Llama.llama_tokenize(vocab, in, utf8.length, out, capacity, false, parseSpecial);
            if (n < 0) {
                if (n == Integer.MIN_VALUE) {
                    throw new IllegalArgumentException("text too long to tokenize (" + utf8.length + " bytes)");
                }
                capacity = -n;
                out = arena.allocate(ValueLayout.JAVA_INT, capacity);
                n = Llama.llama_tokenize(vocab, in, utf8.length, out, capacity, false, parseSpecial);
            }
            int offset = addBos ? 1 : 0;
            int[] ids = new int[n + offset];
            if (addBos) {
                ids[0] = bosId();
            }
            MemorySegment.copy(out, ValueLayout.JAVA_INT, 0, ids, offset, n);
            return ids;
        }
    }

    @Override
    public String decode(int[] tokens) {
        checkOpen();
        checkIds(tokens);
        // control tokens carry no text; dropping them first lets llama.cpp strip the space
        // prefix of the first real piece, so decode(encode(s)) == s
        int[] text = Arrays.stream(tokens).filter(t -> !Llama.llama_vocab_is_control(vocab, t)).toArray();
        return new String(detokenize(text), StandardCharsets.UTF_8);
    }

    private byte[] detokenize(int[] tokens) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment ids = arena.allocateFrom(ValueLayout.JAVA_INT, tokens.length == 0 ? new int[1] : tokens);
            int capacity = 16 * tokens.length + 16;
            MemorySegment buf = arena.allocate(capacity);
            int n = Llama.llama_detokenize(vocab, ids, tokens.length, buf, capacity, false, false);
            if (n < 0) {
                capacity = -n;
                buf = arena.allocate(capacity);
                n = Llama.llama_detokenize(vocab, ids, tokens.length, buf, capacity, false, false);
            }
            return buf.asSlice(0, n).toArray(ValueLayout.JAVA_BYTE);
        }
    }

    private byte[] pieceBytes(int token) {
        try (Arena arena = Arena.ofConfined()) {
            int capacity = 64;
            MemorySegment buf = arena.allocate(capacity);
            int n = Llama.llama_token_to_piece(vocab, token, buf, capacity, 0, false);
            if (n < 0) {
                capacity = -n;
                buf = arena.allocate(capacity);
                n = Llama.llama_token_to_piece(vocab, token, buf, capacity, 0, false);
            }
            return buf.asSlice(0, n).toArray(ValueLayout.JAVA_BYTE);
        }
    }

    @Override
    public String piece(int token) {
        checkOpen();
        checkIds(new int[] {token});
        return LlamaRuntime.cString(Llama.llama_vocab_get_text(vocab, token));
    }

    @Override
    public StreamingDecoder newStreamingDecoder() {
        return new StreamingDecoder() {
            private final Utf8Assembler utf8 = new Utf8Assembler();
            private boolean first = true;

            @Override
            public String accept(int token) {
                checkOpen();
                checkIds(new int[] {token});
                if (Llama.llama_vocab_is_control(vocab, token)) {
                    return "";
                }
                // the first piece goes through detokenize, which strips the space prefix as decode does
                byte[] bytes = first ? detokenize(new int[] {token}) : pieceBytes(token);
                first = false;
                return utf8.accept(bytes);
            }

            @Override
            public String flush() {
                return utf8.flush();
            }
        };
    }

    @Override
    public String applyChatTemplate(List<? extends ChatMessage> messages, boolean addGenerationPrompt) {
        checkOpen();
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment chat = llama_chat_message.allocateArray(Math.max(1, messages.size()), arena);
            long textBytes = 0;
            for (int i = 0; i < messages.size(); i++) {
                ChatMessage m = messages.get(i);
                MemorySegment msg = llama_chat_message.asSlice(chat, i);
                llama_chat_message.role(msg, arena.allocateFrom(m.roleName()));
                llama_chat_message.content(msg, arena.allocateFrom(m.content()));
                textBytes += m.content().getBytes(StandardCharsets.UTF_8).length;
            }
            MemorySegment tmpl = arena.allocateFrom(chatTemplate != null ? chatTemplate : DEFAULT_TEMPLATE);
            int capacity = (int) Math.min(Integer.MAX_VALUE - 8, 2 * textBytes + 256);
            MemorySegment buf = arena.allocate(capacity);
            int n = Llama.llama_chat_apply_template(tmpl, chat, messages.size(), addGenerationPrompt, buf, capacity);
            if (n < 0) {
                throw new IllegalStateException("llama.cpp does not know this model's chat template"
                        + (chatTemplate == null ? "" : " (" + abbreviate(chatTemplate) + ")"));
            }
            if (n > capacity) {
                capacity = n;
                buf = arena.allocate(capacity);
                n = Llama.llama_chat_apply_template(tmpl, chat, messages.size(), addGenerationPrompt, buf, capacity);
            }
            return new String(buf.asSlice(0, n).toArray(ValueLayout.JAVA_BYTE), StandardCharsets.UTF_8);
        }
    }

    private static String abbreviate(String s) {
        return s.length() <= 60 ? s : s.substring(0, 60) + "...";
    }

    private boolean inRange(int token) {
        return token >= 0 && token < vocabSize;
    }

    private void checkIds(int[] tokens) {
        for (int t : tokens) {
            if (!inRange(t)) {
                throw new IllegalArgumentException("token id " + t + " outside the vocabulary 0.." + (vocabSize - 1));
            }
        }
    }
}
