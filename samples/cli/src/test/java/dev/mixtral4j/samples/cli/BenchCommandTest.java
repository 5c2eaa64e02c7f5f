package dev.mixtral4j.samples.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.mixtral4j.samples.testbackend.FakeBackendProvider;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The bench contract of issue 4: how it drives a backend, its table, its JSON lines, its errors. */
class BenchCommandTest {

    @TempDir
    Path dir;

    /** pp: one warm-up, then per repetition a cleared cache and one forward of all p tokens; tg: n single-token steps. */
    @Test
    void drivesTheBackendTheWayLlamaBenchDoes() {
        FakeBackendProvider.CALLS.clear();
        try (var _ = new FakeBackendEnabled()) {
            CliRun run = CliRun.of("bench", "--synthetic", "tiny-moe", "--cache-dir", dir.toString(),
                    "--backends", "fake", "-p", "8", "-n", "3", "-r", "2", "-t", "1");
            assertEquals(0, run.exitCode(), run::toString);
        }
        List<String> expected = new ArrayList<>(List.of(
                "session ctx=8", "forward n=8 at 0 all=false",
                "truncate 0", "forward n=8 at 0 all=false",
                "truncate 0", "forward n=8 at 0 all=false",
                "session ctx=3",
                "forward n=1 at 0 all=false", "forward n=1 at 1 all=false", "forward n=1 at 2 all=false"));
        for (int r = 0; r < 2; r++) {
            expected.add("truncate 0");
            for (int i = 0; i < 3; i++) {
                expected.add("forward n=1 at " + i + " all=false");
            }
        }
        assertEquals(expected, List.copyOf(FakeBackendProvider.CALLS));
    }

    @Test
    void printsBothBackendsSideBySideWithTheirRatio() {
        try (var _ = new FakeBackendEnabled()) {
            CliRun run = CliRun.of("bench", "--synthetic", "tiny-moe", "--cache-dir", dir.toString(),
                    "--backends", "java,fake", "-p", "16", "-n", "4", "-r", "1", "-t", "1");
            assertEquals(0, run.exitCode(), run::toString);
            assertTrue(run.out().contains("pp16 t/s") && run.out().contains("tg4 t/s"), run::toString);
            assertTrue(Pattern.compile("(?m)^java\\s+\\d+\\.\\d+ ± \\d+\\.\\d+\\s+\\d+\\.\\d+ ± ").matcher(run.out()).find(),
                    run::toString);
            assertTrue(Pattern.compile("(?m)^fake\\s+\\d+\\.\\d+ ± ").matcher(run.out()).find(), run::toString);
            assertTrue(Pattern.compile("ratio java/fake: pp \\d+\\.\\d+x, tg \\d+\\.\\d+x").matcher(run.out()).find(),
                    run::toString);
        }
    }

    @Test
    void jsonIsOneObjectPerBackendPerLineWithTheDocumentedKeys() throws Exception {
        CliRun run = CliRun.of("bench", "--synthetic", "tiny-moe", "--cache-dir", dir.toString(),
                "--backends", "java", "-p", "8", "-n", "4", "-r", "1", "-t", "1", "--json");
        assertEquals(0, run.exitCode(), run::toString);
        String[] lines = run.out().strip().split("\n");
        assertEquals(1, lines.length, run::toString);
        Matcher m = Pattern.compile("\\{\"backend\":\"java\",\"model\":\"(tiny-moe-2L-Q4_0\\.gguf)\",\"type\":\"Q4_0\","
                + "\"threads\":1,\"pp_tokens\":8,\"pp_tps\":([0-9.]+),\"tg_tokens\":4,\"tg_tps\":([0-9.]+),"
                + "\"pp_tokens_per_cpu_s\":([0-9.]+),\"tg_tokens_per_cpu_s\":([0-9.]+),\"weight_bytes_per_token\":([0-9]+),"
                + "\"tg_gb_per_s\":([0-9.]+)\\}").matcher(lines[0]);
        assertTrue(m.matches(), lines[0]);
        assertTrue(Double.parseDouble(m.group(2)) > 0 && Double.parseDouble(m.group(3)) > 0, lines[0]);
        long traffic = Long.parseLong(m.group(6));
        assertTrue(traffic > 0, lines[0]);
        assertEquals(Double.parseDouble(m.group(3)) * traffic / 1e9, Double.parseDouble(m.group(7)), 0.011, lines[0]);
        // the synthetic model was written once into the cache directory and is reused
        Path cached = dir.resolve(m.group(1));
        assertTrue(Files.isRegularFile(cached));
        long modified = Files.getLastModifiedTime(cached).toMillis();
        CliRun again = CliRun.of("bench", "--synthetic", "tiny-moe", "--cache-dir", dir.toString(),
                "--backends", "java", "-p", "0", "-n", "2", "-r", "1", "-t", "1");
        assertEquals(0, again.exitCode(), again::toString);
        assertFalse(again.err().contains("writing synthetic model"), again::toString);
        assertEquals(modified, Files.getLastModifiedTime(cached).toMillis());
        assertTrue(again.out().contains("pp0 t/s"), again::toString);
    }

    /** The synthetic generator writes llama.cpp's IQ4 file types; a bench of the file names the type from its metadata. */
    @Test
    void benchesIq4SyntheticModelsAndNamesTheirFileType() {
        CliRun run = CliRun.of("bench", "--synthetic", "tiny-moe", "--cache-dir", dir.toString(), "--type", "iq4_nl",
                "--backends", "java", "-p", "8", "-n", "2", "-r", "1", "-t", "1", "--json");
        assertEquals(0, run.exitCode(), run::toString);
        assertTrue(run.out().contains("\"model\":\"tiny-moe-2L-IQ4_NL.gguf\",\"type\":\"IQ4_NL\""), run::toString);
        CliRun file = CliRun.of("bench", "--model", dir.resolve("tiny-moe-2L-IQ4_NL.gguf").toString(),
                "--backends", "java", "-p", "8", "-n", "2", "-r", "1", "-t", "1", "--json");
        assertEquals(0, file.exitCode(), file::toString);
        assertTrue(file.out().contains("\"type\":\"IQ4_NL\""), file::toString);
    }

    @Test
    void bandwidthReportsTheMachinesReadBandwidthAndGenerationAsAShareOfIt() {
        CliRun run = CliRun.of("bench", "--synthetic", "tiny-moe", "--cache-dir", dir.toString(),
                "--backends", "java", "-p", "0", "-n", "4", "-r", "1", "-t", "2", "--bandwidth");
        assertEquals(0, run.exitCode(), run::toString);
        assertTrue(Pattern.compile("(?m)^weights read per generated token: \\d+\\.\\d MiB$").matcher(run.out()).find(),
                run::toString);
        assertTrue(Pattern.compile("(?m)^read bandwidth \\(STREAM-like sum over \\d+ MiB, best of 5\\): "
                + "1 thread \\d+\\.\\d GB/s, 2 threads \\d+\\.\\d GB/s$").matcher(run.out()).find(), run::toString);
        assertTrue(Pattern.compile("(?m)^java tg: \\d+\\.\\d GB/s, \\d+% of the 2-thread read bandwidth$")
                .matcher(run.out()).find(), run::toString);
    }

    /**
     * --sequences: after tg, each N gets its own N sessions (warm-up, then per repetition cleared
     * and -n steps); a backend without its own batched step (the fake) is driven through the SPI's
     * default, one forward per session per step, each at its own position.
     */
    @Test
    void sequencesDecodeTogetherOneStepPerToken() {
        FakeBackendProvider.CALLS.clear();
        try (var _ = new FakeBackendEnabled()) {
            CliRun run = CliRun.of("bench", "--synthetic", "tiny-moe", "--cache-dir", dir.toString(),
                    "--backends", "fake", "-p", "0", "-n", "2", "-r", "1", "-t", "1", "--sequences", "1,2");
            assertEquals(0, run.exitCode(), run::toString);
            assertTrue(run.out().contains("sequences decoded together (tg2 each"), run::toString);
            assertTrue(Pattern.compile("(?m)^fake\\s+1\\s+\\d+\\.\\d+ ± \\d+\\.\\d+\\s+\\d+\\.\\d+\\s+\\S+\\s+1\\.00x$")
                    .matcher(run.out()).find(), run::toString);
            assertTrue(Pattern.compile("(?m)^fake\\s+2\\s+\\d+\\.\\d+ ± \\d+\\.\\d+\\s+\\d+\\.\\d+\\s+\\S+\\s+\\d+\\.\\d+x$")
                    .matcher(run.out()).find(), run::toString);
        }
        List<String> calls = List.copyOf(FakeBackendProvider.CALLS);
        int start = calls.lastIndexOf("session ctx=2") - 4;
        List<String> expected = List.of(
                "session ctx=2", "forward n=1 at 0 all=false", "forward n=1 at 1 all=false",
                "session ctx=2", "session ctx=2",
                "forward n=1 at 0 all=false", "forward n=1 at 0 all=false",
                "forward n=1 at 1 all=false", "forward n=1 at 1 all=false",
                // the repetition: N = 1 first, then N = 2
                "truncate 0", "forward n=1 at 0 all=false", "forward n=1 at 1 all=false",
                "truncate 0", "truncate 0",
                "forward n=1 at 0 all=false", "forward n=1 at 0 all=false",
                "forward n=1 at 1 all=false", "forward n=1 at 1 all=false");
        assertEquals(expected, calls.subList(start, calls.size()), calls::toString);
    }

    @Test
    void sequencesJsonHasAggregateAndPerSequenceFigures() {
        CliRun run = CliRun.of("bench", "--synthetic", "tiny-moe", "--cache-dir", dir.toString(),
                "--backends", "java", "-p", "0", "-n", "3", "-r", "1", "-t", "1", "--sequences", "1,3", "--json");
        assertEquals(0, run.exitCode(), run::toString);
        String[] lines = run.out().strip().split("\n");
        assertEquals(3, lines.length, run::toString);
        for (int i = 1; i < 3; i++) {
            int n = i == 1 ? 1 : 3;
            Matcher m = Pattern.compile("\\{\"backend\":\"java\",\"sequences\":" + n + ",\"tg_tokens\":3,"
                    + "\"aggregate_tps\":([0-9.]+),\"per_sequence_tps\":([0-9.]+),"
                    + "\"aggregate_tokens_per_cpu_s\":([0-9.]+)\\}").matcher(lines[i]);
            assertTrue(m.matches(), lines[i]);
            double aggregate = Double.parseDouble(m.group(1));
            assertTrue(aggregate > 0, lines[i]);
            assertEquals(aggregate / n, Double.parseDouble(m.group(2)), 0.011 + aggregate * 1e-3, lines[i]);
        }
    }

    @Test
    void badArgumentsAreUsageErrorsWithAReason() {
        CliRun both = CliRun.of("bench", "--synthetic", "tiny-moe", "--model", dir.resolve("x.gguf").toString());
        assertEquals(Mixtral4jCli.USAGE, both.exitCode(), both::toString);
        assertTrue(both.err().contains("exactly one of --model FILE and --synthetic PRESET"), both::toString);

        CliRun nothing = CliRun.of("bench", "--synthetic", "tiny-moe", "--cache-dir", dir.toString(), "-p", "0", "-n", "0");
        assertEquals(Mixtral4jCli.USAGE, nothing.exitCode(), nothing::toString);
        assertTrue(nothing.err().contains("-p >= 0, -n >= 0 (not both 0)"), nothing::toString);

        CliRun noGeneration = CliRun.of("bench", "--synthetic", "tiny-moe", "--cache-dir", dir.toString(), "-n", "0",
                "--sequences", "2");
        assertEquals(Mixtral4jCli.USAGE, noGeneration.exitCode(), noGeneration::toString);
        assertTrue(noGeneration.err().contains("--sequences measures generation"), noGeneration::toString);
        CliRun zero = CliRun.of("bench", "--synthetic", "tiny-moe", "--cache-dir", dir.toString(), "--sequences", "0");
        assertEquals(Mixtral4jCli.USAGE, zero.exitCode(), zero::toString);
        assertTrue(zero.err().contains("from 1 to 256, not 0"), zero::toString);

        CliRun preset = CliRun.of("bench", "--synthetic", "mixtral-9x9b", "--cache-dir", dir.toString());
        assertEquals(Mixtral4jCli.USAGE, preset.exitCode(), preset::toString);
        assertTrue(preset.err().contains("mixtral-9x9b") && preset.err().contains("known:"), preset::toString);
    }
}
