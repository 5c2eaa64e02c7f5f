package dev.mixtral4j.samples.launcher;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The parts of the {@code ./mixtral4j} launcher that can be checked without starting a build
 * inside this build: the script parses, it finds a JDK 25 the way it says, and without one it
 * says where it looked.
 */
class LauncherScriptTest {

    static Path root() {
        for (Path p = Path.of("").toAbsolutePath(); p != null; p = p.getParent()) {
            if (Files.isRegularFile(p.resolve("mixtral4j")) && Files.isRegularFile(p.resolve("scripts/find-jdk.sh"))) {
                return p;
            }
        }
        throw new AssertionError("repository root with ./mixtral4j not found above " + Path.of("").toAbsolutePath());
    }

    record Result(int code, String out, String err) {
    }

    static Result bash(Path dir, List<String> env, String... args) throws IOException, InterruptedException {
        assumeTrue(Files.isExecutable(Path.of("/bin/bash")) || Files.isExecutable(Path.of("/usr/bin/bash")), "no bash here");
        ProcessBuilder pb = new ProcessBuilder(args).directory(dir.toFile());
        for (String kv : env) {
            int eq = kv.indexOf('=');
            pb.environment().put(kv.substring(0, eq), kv.substring(eq + 1));
        }
        Process p = pb.start();
        p.getOutputStream().close();
        assertTrue(p.waitFor(60, TimeUnit.SECONDS), "script did not finish");
        return new Result(p.exitValue(), new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8),
                new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8));
    }

    @Test
    void theLauncherAndItsHelperParse() throws Exception {
        Path root = root();
        assertTrue(Files.isExecutable(root.resolve("mixtral4j")), "./mixtral4j must be executable");
        assertEquals(0, bash(root, List.of(), "bash", "-n", "mixtral4j").code());
        assertEquals(0, bash(root, List.of(), "bash", "-n", "scripts/find-jdk.sh").code());
    }

    @Test
    void findJdkPrintsAHomeOfJava25OrNewer() throws Exception {
        Result r = bash(root(), List.of(), "bash", "scripts/find-jdk.sh");
        // This very test runs on a JDK 25, so one exists on this machine unless it sits somewhere
        // the script does not look (then the launcher's message below covers the user).
        assumeTrue(r.code() == 0, "no JDK 25 in JAVA_HOME, PATH or /usr/lib/jvm here");
        Path home = Path.of(r.out().strip());
        assertTrue(Files.isExecutable(home.resolve("bin/java")), r.out());
        String release = Files.readString(home.resolve("release"));
        String version = release.lines().filter(l -> l.startsWith("JAVA_VERSION=")).findFirst().orElseThrow()
                .replaceAll("JAVA_VERSION=\"(\\d+).*", "$1");
        assertTrue(Integer.parseInt(version) >= 25, release);
    }

    @Test
    void withoutAJdkTheLauncherSaysWhereItLooked(@TempDir Path dir) throws Exception {
        // The launcher as shipped, next to a find-jdk.sh that finds nothing.
        Files.copy(root().resolve("mixtral4j"), dir.resolve("mixtral4j"));
        Files.createDirectories(dir.resolve("scripts"));
        Files.writeString(dir.resolve("scripts/find-jdk.sh"), "find_jdk25() { return 1; }\n");
        Result r = bash(dir, List.of("JAVA_HOME=/no/such/jdk"), "bash", "mixtral4j", "demo");
        assertEquals(1, r.code(), r::toString);
        assertTrue(r.err().contains("no JDK 25 or newer found"), r.err());
        assertTrue(r.err().contains("JAVA_HOME:         /no/such/jdk"), r.err());
        assertTrue(r.err().contains("java on PATH:"), r.err());
        assertTrue(r.err().contains("installed JDKs:"), r.err());
        assertEquals("", r.out());
    }
}
