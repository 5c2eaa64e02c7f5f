package dev.mixtral4j.backend.llamacpp;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.mixtral4j.gguf.GgufFile;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The out-of-process native fuzzer: mutated tiny models go through {@link LlamaCppFileRules}; each
 * one the rules accept is loaded, tokenized and run by llama.cpp in a child JVM
 * ({@link NativeLoadProbe}), whose exit status is recorded. A child that dies (SIGABRT from a
 * GGML_ASSERT, SIGSEGV, SIGBUS) or returns non-finite logits on an accepted file is a finding:
 * the case line is printed and appended to {@code target/native-fuzz-findings.txt}, to become a
 * rule and a line of {@code src/test/resources/native-fuzz/corpus.txt}.
 *
 * <p>Inside {@code ./mvnw verify} it runs {@value #DEFAULT_SECONDS} s; the {@code native-fuzz}
 * profile runs it longer ({@code -Dmixtral4j.nativefuzz.seconds}); {@code -Dmixtral4j.nativefuzz.seed}
 * repeats a run.
 */
class NativeLoadFuzzTest {
    static final long DEFAULT_SECONDS = 35;
    /** How many corpus cases are shown to abort llama.cpp without the rules, in the short run. */
    private static final int CONFIRMED_IN_SHORT_RUN = 2;

    @TempDir
    static Path dir;

    /** Every corpus case is one that aborted llama.cpp: the rules must refuse each, in process. */
    @Test
    void theRulesRefuseEveryCorpusCase() throws IOException {
        List<NativeFuzzCase> corpus = NativeFuzzCase.corpus();
        assertTrue(corpus.size() >= 8, "corpus too small: " + corpus.size());
        for (NativeFuzzCase c : corpus) {
            Path f = c.write(dir);
            assertTrue(problem(f, false).isPresent() || !opensAsModel(f), "the rules accept corpus case: " + c.line());
        }
    }

    /**
     * The rules are not just strict: without them, corpus cases kill the process. The short run
     * checks the first few; the long one (seconds above the default) all of them.
     */
    @Test
    void corpusCasesAbortLlamaCppWithoutTheRules() throws Exception {
        NativeTestSupport.runtime();
        List<NativeFuzzCase> corpus = NativeFuzzCase.corpus();
        int n = seconds() > DEFAULT_SECONDS ? corpus.size() : CONFIRMED_IN_SHORT_RUN;
        for (NativeFuzzCase c : corpus.subList(0, n)) {
            Run r = probe(c.write(dir), false);
            assertNotEquals(0, r.exit, () -> "corpus case no longer aborts llama.cpp (keep the rule, update the corpus): "
                    + c.line() + "\n" + r.output);
        }
    }

    @Test
    void acceptedFilesNeverKillTheProcess() throws Exception {
        NativeTestSupport.runtime();
        long seed = Long.getLong("mixtral4j.nativefuzz.seed", System.nanoTime());
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds());
        Random rnd = new Random(seed);
        List<String> findings = new ArrayList<>();
        int cases = 0;
        int accepted = 0;
        while (System.nanoTime() < deadline) {
            NativeFuzzCase c = NativeFuzzCase.random(rnd);
            cases++;
            Path f;
            try {
                f = c.write(dir);
            } catch (RuntimeException e) {
                continue; // a shape the writer cannot produce
            }
            boolean vocabOnly = problem(f, false).isPresent();
            if (vocabOnly && problem(f, true).isPresent()) {
                Files.delete(f);
                continue;
            }
            accepted++;
            Run r = probe(f, vocabOnly);
            if (r.exit != 0) {
                String finding = c.line() + "    # exit " + r.exit + (vocabOnly ? " (vocabulary only)" : "");
                findings.add(finding + "\n" + r.output);
                Path out = Path.of("target", "native-fuzz-findings.txt");
                Files.createDirectories(out.getParent());
                Files.writeString(out, finding + "\n", StandardCharsets.UTF_8,
                        java.nio.file.StandardOpenOption.CREATE, java.nio.file.StandardOpenOption.APPEND);
            } else {
                Files.delete(f);
            }
        }
        System.out.printf("native fuzz: seed %d, %d cases, %d accepted by the rules and run in a child JVM, %d findings%n",
                seed, cases, accepted, findings.size());
        assertEquals(List.of(), findings, "seed " + seed);
    }

    private static long seconds() {
        return Long.getLong("mixtral4j.nativefuzz.seconds", DEFAULT_SECONDS);
    }

    /** The rules' verdict: the whole model, or only the vocabulary (what the tokenizer provider checks). */
    static Optional<String> problem(Path f, boolean vocabularyOnly) throws IOException {
        try (GgufFile g = GgufFile.open(f)) {
            return vocabularyOnly ? LlamaCppFileRules.vocabularyProblem(g.metadata())
                    : LlamaCppFileRules.modelProblem(g.metadata(), g.tensors());
        } catch (RuntimeException e) {
            return Optional.of("unreadable: " + e.getMessage());
        }
    }

    private static boolean opensAsModel(Path f) {
        try (var m = dev.mixtral4j.model.ModelFile.open(f)) {
            return true;
        } catch (Exception e) {
            return false;
        }
    }

    record Run(int exit, String output) {
    }

    /** One child JVM on one file. */
    static Run probe(Path file, boolean vocabularyOnly) throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-cp", System.getProperty("java.class.path"), "--enable-native-access=ALL-UNNAMED", "-Xmx256m",
                "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1", "-Xshare:auto",
                "-XX:ErrorFile=" + dir.resolve("hs_err_%p.log"), "-XX:-CreateCoredumpOnCrash",
                "-Dorg.slf4j.simpleLogger.defaultLogLevel=warn"));
        for (String p : List.of("mixtral4j.cache", LlamaRuntime.PATH_PROPERTY)) {
            if (System.getProperty(p) != null) {
                cmd.add("-D" + p + "=" + System.getProperty(p));
            }
        }
        cmd.add(NativeLoadProbe.class.getName());
        cmd.add(file.toString());
        if (vocabularyOnly) {
            cmd.add("vocabulary-only");
        }
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true);
        pb.environment().put("GGML_NO_BACKTRACE", "1"); // ggml would attach gdb to print a backtrace on abort
        Process p = pb.start();
        byte[] out = p.getInputStream().readAllBytes();
        if (!p.waitFor(120, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            return new Run(-1, "timed out");
        }
        String text = new String(out, StandardCharsets.UTF_8);
        String[] lines = text.split("\n");
        return new Run(p.exitValue(), String.join("\n", java.util.Arrays.copyOfRange(lines, Math.max(0, lines.length - 8), lines.length)));
    }
}
