package dev.mixtral4j.backend.llamacpp;

import dev.mixtral4j.LoadOptions;
import dev.mixtral4j.model.ModelFile;
import dev.mixtral4j.spi.BackendModel;
import dev.mixtral4j.spi.BackendSession;
import dev.mixtral4j.spi.Logits;
import dev.mixtral4j.spi.SessionOptions;
import java.nio.file.Path;

/**
 * The child process of the native fuzzer: hands one file to llama.cpp the way the backend and the
 * tokenizer provider do, but WITHOUT {@link LlamaCppFileRules}, then tokenizes, decodes every
 * token and runs a forward pass. Exit 0: llama.cpp refused the file cleanly or ran it; exit 3:
 * it ran but the logits are not finite (silently wrong); death by a signal (exit 134 SIGABRT,
 * 139 SIGSEGV, 135 SIGBUS): the abort that the rules must prevent.
 */
public final class NativeLoadProbe {
    static final int NON_FINITE = 3;

    private NativeLoadProbe() {
    }

    public static void main(String[] args) throws Exception {
        Path path = Path.of(args[0]);
        LlamaRuntime runtime = LlamaRuntime.get();
        runtime.require();
        ModelFile file;
        try {
            file = ModelFile.open(path);
        } catch (Exception e) {
            say("java refuses: " + e.getMessage());
            return;
        }
        try {
            LlamaCppTokenizer tok = new LlamaCppTokenizer(runtime, path.toAbsolutePath().toString());
            int[] ids = tok.encode("Hello\n world \u00fc \ud83d\ude00 \u0001 <s>[INST]", true, true);
            tok.decode(ids);
            for (int i = 0; i < tok.vocabSize(); i++) {
                tok.piece(i);
            }
            tok.close();
        } catch (RuntimeException e) {
            say("tokenizer refuses: " + e.getMessage());
        }
        if (args.length > 1 && args[1].equals("vocabulary-only")) {
            return; // the rules refuse the model: only the tokenizer provider would reach llama.cpp
        }
        if (file.config().isMoe() && !file.tensors().hasMergedExperts()) {
            say("per-expert file: llama.cpp not asked");
            return;
        }
        LoadOptions options = LoadOptions.builder().backend("llamacpp").threads(1).build();
        BackendModel model;
        try {
            model = LlamaCppModel.load(LlamaCppBackend.instance(runtime, new LlamaCppBackendProvider()), file, options);
        } catch (RuntimeException e) {
            say("llama.cpp refuses: " + e.getMessage());
            return;
        }
        try (model; BackendSession s = model.newSession(new SessionOptions(64, null, 64))) {
            int vocab = file.config().vocabSize();
            int[] tokens = new int[40];
            for (int i = 0; i < tokens.length; i++) {
                tokens[i] = (1 + 7 * i) % vocab;
            }
            Logits logits = s.forward(tokens, 0, true);
            for (float f : logits.data()) {
                if (!Float.isFinite(f)) {
                    say("non-finite logits");
                    System.exit(NON_FINITE);
                }
            }
            say("ran");
        } catch (RuntimeException e) {
            say("session refuses: " + e.getMessage());
        }
    }

    private static void say(String s) {
        System.out.println("probe: " + s);
        System.out.flush();
    }
}
