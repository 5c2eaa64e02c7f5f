package dev.mixtral4j.backend.cuda.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.mixtral4j.gguf.GgmlType;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The kernels' per-value logic without a GPU: {@code src/test/cuda/host_check.cu} is compiled by
 * nvcc for the CPU and calls the very functions the kernels call ({@code Q<T>::deq8} of
 * {@code common.cuh}, {@code route_token} of {@code routing.cuh}); its output is compared with
 * the Java scalar reference. This checks every block layout the GPU code decodes. Needs nvcc.
 */
class HostKernelLogicTest {
    @TempDir
    static Path dir;
    static Path exe;

    @BeforeAll
    static void compile() throws Exception {
        Path nvcc = findNvcc();
        assumeTrue(nvcc != null, "nvcc not found (PATH, $CUDA_HOME/bin, /usr/local/cuda/bin): cannot build the host check");
        assumeTrue(Files.isRegularFile(Path.of("src/test/cuda/host_check.cu")),
                "kernel sources not found from " + Path.of("").toAbsolutePath() + " (run from backend-cuda)");
        exe = dir.resolve("host_check");
        run(List.of(nvcc.toString(), "-std=c++17", "-O2", "-I", "src/main/cuda", "-o", exe.toString(),
                "src/test/cuda/host_check.cu"));
    }

    static Path findNvcc() {
        List<Path> candidates = new ArrayList<>();
        for (String p : System.getenv().getOrDefault("PATH", "").split(":")) {
            candidates.add(Path.of(p, "nvcc"));
        }
        String cudaHome = System.getenv("CUDA_HOME");
        if (cudaHome != null) {
            candidates.add(Path.of(cudaHome, "bin", "nvcc"));
        }
        candidates.add(Path.of("/usr/local/cuda/bin/nvcc"));
        return candidates.stream().filter(Files::isExecutable).findFirst().orElse(null);
    }

    static void run(List<String> command) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        byte[] output = p.getInputStream().readAllBytes();
        assertTrue(p.waitFor(120, TimeUnit.SECONDS), "timed out: " + command);
        assertEquals(0, p.exitValue(), command + " failed:\n" + new String(output));
    }

    static float[] readFloats(Path file) throws IOException {
        ByteBuffer b = ByteBuffer.wrap(Files.readAllBytes(file)).order(ByteOrder.LITTLE_ENDIAN);
        float[] f = new float[b.remaining() / 4];
        b.asFloatBuffer().get(f);
        return f;
    }

    static List<GgmlType> types() {
        return List.copyOf(Kernels.WEIGHT_TYPES);
    }

    @ParameterizedTest
    @MethodSource("types")
    void deq8DecodesEveryBlockLayoutLikeTheScalarReference(GgmlType type) throws Exception {
        int rows = 3;
        int cols = 768;   // three K-quant super-blocks, 24 blocks of 32
        byte[] w = KernelHarnessTest.randomWeights(type, rows, cols, 21 + type.id());
        float[] ref = KernelHarnessTest.reference(type, w, rows * cols);
        Path in = dir.resolve(type + ".in");
        Path out = dir.resolve(type + ".out");
        Files.write(in, w);
        run(List.of(exe.toString(), "deq", String.valueOf(type.id()), String.valueOf(rows), String.valueOf(cols),
                in.toString(), out.toString()));
        float[] got = readFloats(out);
        assertEquals(ref.length, got.length);
        int nonZero = 0;
        for (int i = 0; i < ref.length; i++) {
            assertTrue(Math.abs(ref[i] - got[i]) <= 1e-6 * Math.max(1, Math.abs(ref[i])),
                    type + " value " + i + " (row " + i / cols + ", column " + i % cols + "): expected " + ref[i]
                            + " got " + got[i]);
            if (ref[i] != 0) {
                nonZero++;
            }
        }
        assertTrue(nonZero > ref.length / 2, "the random weights are mostly non-zero");
    }

    @Test
    void routingPicksTheTopTwoAndRenormalises() throws Exception {
        int tokens = 200;
        int experts = 8;
        int k = 2;
        float[] logits = KernelHarnessTest.randomFloats(tokens * experts, 22);
        for (int e = 0; e < experts; e++) {
            logits[e] = 0.5f;   // token 0: an eight-way tie goes to experts 0 and 1
        }
        ByteBuffer b = ByteBuffer.allocate(logits.length * 4).order(ByteOrder.LITTLE_ENDIAN);
        b.asFloatBuffer().put(logits);
        Path in = dir.resolve("route.in");
        Path out = dir.resolve("route.out");
        Files.write(in, b.array());
        run(List.of(exe.toString(), "route", String.valueOf(experts), String.valueOf(k), String.valueOf(tokens),
                in.toString(), out.toString()));
        ByteBuffer r = ByteBuffer.wrap(Files.readAllBytes(out)).order(ByteOrder.LITTLE_ENDIAN);
        for (int t = 0; t < tokens; t++) {
            int a = r.getInt();
            int c = r.getInt();
            float wa = r.getFloat();
            float wc = r.getFloat();
            Integer[] order = {0, 1, 2, 3, 4, 5, 6, 7};
            int tt = t;
            // stable sort: equal logits keep the lower index first
            Arrays.sort(order, (p, q) -> Float.compare(logits[tt * experts + q], logits[tt * experts + p]));
            assertEquals(order[0], a, "token " + t + " first expert");
            assertEquals(order[1], c, "token " + t + " second expert");
            double w0 = 1 / (1 + Math.exp(logits[t * experts + c] - logits[t * experts + a]));
            assertEquals(w0, wa, 1e-6, "token " + t + " first weight");
            assertEquals(1 - w0, wc, 1e-6, "token " + t + " second weight");
        }
    }
}
