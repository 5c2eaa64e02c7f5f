package dev.mixtral4j.backend.java;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.mixtral4j.LoadOptions;
import dev.mixtral4j.gguf.GgmlType;
import dev.mixtral4j.model.ModelFile;
import dev.mixtral4j.spi.BackendModel;
import dev.mixtral4j.spi.BackendSession;
import dev.mixtral4j.spi.Logits;
import dev.mixtral4j.spi.SessionOptions;
import dev.mixtral4j.tools.synthetic.SyntheticModel;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Several sessions decoded in one {@link BackendModel#forwardEach} step (one pass over the
 * weights: projections and output head as one matrix-matrix product, experts grouped over the
 * step's tokens, attention per session) against each session decoding alone and against the
 * double-precision reference, over weight types, a dense model and a sliding window. The sessions
 * differ in position, context length and batch size, so the step must use each one's cache at
 * its own position (and grow the lead session's buffers past its own sizes).
 */
class BatchedDecodeTest {
    @TempDir
    static Path dir;

    @ParameterizedTest(name = "{0} kv={1} experts={2} window={3}")
    @CsvSource({
        "F32,    F32, 4, 0",
        "Q8_0,   F16, 4, 0",
        "Q4_0,   F32, 4, 0",
        "Q4_K_M, F16, 4, 0",
        "F32,    F32, 0, 0",
        "Q8_0,   F32, 4, 6"})
    void stepsOfOneTwoThreeAndEightSessionsEqualDecodingAlone(String fileType, GgmlType kv, int experts, int window)
            throws IOException {
        SyntheticModel.Builder b = SyntheticModel.builder().fileType(fileType).seed(fileType.hashCode() + window)
                .experts(experts);
        if (fileType.contains("_K")) {
            b.embeddingLength(256).feedForwardLength(256).heads(4).kvHeads(2);
        }
        if (experts > 0) {
            b.expertsUsed(2);
        }
        if (window > 0) {
            b.slidingWindow(window);
        }
        Path p = b.write(dir.resolve(fileType + "-" + experts + "-" + window + ".gguf"));
        double vsAlone = kv == GgmlType.F16 ? 1e-2 : 2e-3;
        double vsReference = kv == GgmlType.F16 ? 2e-2 : 5e-3;
        try (ModelFile file = ModelFile.open(p);
             BackendModel model = new JavaBackend(new JavaBackendProvider()).load(file,
                     LoadOptions.builder().threads(2).build())) {
            int vocab = file.config().vocabSize();
            int n = 8;
            int[] cached = {3, 0, 11, 1, 40, 6, 9, 2};
            // session 1 (the lead of some steps) has the smallest context and batch size
            int[] context = {64, 16, 64, 64, 64, 64, 48, 64};
            int[] batch = {512, 1, 4, 512, 1, 512, 2, 512};
            int[][] steps = {{1}, {1, 4}, {6, 0, 4}, {7, 1, 4, 0, 3, 6, 2, 5}, {4, 5, 2}};
            int[][] sequence = new int[n][];
            List<BackendSession> together = new ArrayList<>();
            List<BackendSession> alone = new ArrayList<>();
            try {
                for (int i = 0; i < n; i++) {
                    sequence[i] = tokens(cached[i] + steps.length, vocab, 70 + i);
                    SessionOptions so = new SessionOptions(context[i], kv, batch[i]);
                    together.add(model.newSession(so));
                    alone.add(model.newSession(so));
                    if (cached[i] > 0) {
                        together.get(i).forward(Arrays.copyOf(sequence[i], cached[i]), 0, false);
                        alone.get(i).forward(Arrays.copyOf(sequence[i], cached[i]), 0, false);
                    }
                }
                DoubleReference reference = new DoubleReference(file);
                double[][][] expected = new double[n][][];
                for (int i = 0; i < n; i++) {
                    expected[i] = reference.logits(sequence[i]);
                }
                for (int[] step : steps) {
                    List<BackendSession> sessions = new ArrayList<>();
                    int[] next = new int[step.length];
                    int[] at = new int[step.length];
                    for (int j = 0; j < step.length; j++) {
                        BackendSession s = together.get(step[j]);
                        sessions.add(s);
                        at[j] = s.position();
                        next[j] = sequence[step[j]][at[j]];
                    }
                    Logits got = model.forwardEach(sessions, next);
                    assertEquals(step.length, got.rows());
                    for (int j = 0; j < step.length; j++) {
                        int i = step[j];
                        String what = fileType + ", step " + Arrays.toString(step) + ", session " + i + " at position "
                                + at[j];
                        assertEquals(at[j] + 1, together.get(i).position(), what + ": position after the step");
                        float[] one = alone.get(i).forward(new int[] {next[j]}, at[j], false).row(0);
                        float[] row = got.row(j);
                        assertClose(what + " vs decoding alone", one, row, vsAlone);
                        assertClose(what + " vs the double reference", expected[i][at[j]], row, vsReference);
                    }
                }
            } finally {
                together.forEach(BackendSession::close);
                alone.forEach(BackendSession::close);
            }
        }
    }

    private static void assertClose(String what, float[] expected, float[] got, double tol) {
        double[] e = new double[expected.length];
        for (int i = 0; i < e.length; i++) {
            e[i] = expected[i];
        }
        assertClose(what, e, got, tol);
    }

    /** Max |delta| within {@code tol}, and the same top-1 unless the expected one is a near-tie. */
    private static void assertClose(String what, double[] expected, float[] got, double tol) {
        assertEquals(expected.length, got.length, what + ": vocabulary");
        double worst = 0;
        int top = 0;
        int gotTop = 0;
        for (int v = 0; v < got.length; v++) {
            worst = Math.max(worst, Math.abs(expected[v] - got[v]));
            top = expected[v] > expected[top] ? v : top;
            gotTop = got[v] > got[gotTop] ? v : gotTop;
        }
        assertTrue(worst < tol, what + ": max |delta logit| " + worst + " >= " + tol);
        assertTrue(gotTop == top || expected[top] - expected[gotTop] < 2 * worst,
                what + ": top-1 " + gotTop + ", expected " + top);
    }

    private static int[] tokens(int n, int vocab, long seed) {
        Random r = new Random(seed);
        int[] t = new int[n];
        for (int i = 0; i < n; i++) {
            t[i] = r.nextInt(vocab);
        }
        return t;
    }
}
