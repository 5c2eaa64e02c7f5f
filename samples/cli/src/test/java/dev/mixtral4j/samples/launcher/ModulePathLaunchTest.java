package dev.mixtral4j.samples.launcher;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.mixtral4j.LoadOptions;
import dev.mixtral4j.Message;
import dev.mixtral4j.Mixtral4j;
import dev.mixtral4j.Model;
import dev.mixtral4j.Session;
import dev.mixtral4j.generation.GenerationOptions;
import dev.mixtral4j.sampling.Samplers;
import dev.mixtral4j.tools.synthetic.SyntheticModel;
import java.io.File;
import java.io.IOException;
import java.lang.module.Configuration;
import java.lang.module.ModuleFinder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The command line started with its whole run-time class path on {@code --module-path} (what
 * {@code MIXTRAL4J_MODULE_PATH=1 ./mixtral4j} does): every jar resolves as a module, Jinjava and
 * its tree included (no split package: the tokenizer excludes jsr305 and findbugs' annotations),
 * backends are found by ServiceLoader through module descriptors, and a chat renders its template
 * and answers as on the class path. The class path is written by the build
 * ({@code target/runtime-classpath.txt}, dependency:build-classpath with the runtime scope).
 */
class ModulePathLaunchTest {

    @TempDir
    Path dir;

    static List<String> modulePath() throws IOException {
        Path file = Path.of("target/runtime-classpath.txt");
        assertTrue(Files.isRegularFile(file), file.toAbsolutePath() + " is missing: the build writes it before the tests");
        List<String> entries = new ArrayList<>();
        entries.add(Path.of("target/classes").toAbsolutePath().toString());
        for (String e : Files.readString(file).strip().split(File.pathSeparator)) {
            if (!e.isBlank()) {
                entries.add(e);
            }
        }
        return entries;
    }

    record Run(int code, String out, String err) {
    }

    Run cli(String... args) throws IOException, InterruptedException {
        List<String> command = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "--add-modules", "jdk.incubator.vector", "--enable-native-access=ALL-UNNAMED,dev.mixtral4j.backend.llamacpp,dev.mixtral4j.backend.cuda",
                "--module-path", String.join(File.pathSeparator, modulePath()),
                "-m", "dev.mixtral4j.samples/dev.mixtral4j.samples.cli.Mixtral4jCli"));
        command.addAll(List.of(args));
        Path out = dir.resolve("out.txt");
        Path err = dir.resolve("err.txt");
        Process p = new ProcessBuilder(command).redirectOutput(out.toFile()).redirectError(err.toFile()).start();
        p.getOutputStream().close();
        if (!p.waitFor(5, TimeUnit.MINUTES)) {
            p.destroyForcibly();
            throw new AssertionError("the CLI on the module path did not finish in 5 minutes");
        }
        return new Run(p.exitValue(), Files.readString(out, StandardCharsets.UTF_8), Files.readString(err, StandardCharsets.UTF_8));
    }

    @Test
    void theTestkitResolvesBesideTheRuntimeModulesWithoutSplitPackages() throws Exception {
        // One class loader for every module: defining the layer fails on any package two modules
        // share (api/tools/testkit have none; Jinjava's tree has none once jsr305 is out).
        List<Path> paths = new ArrayList<>(modulePath().stream().map(Path::of).toList());
        for (String e : System.getProperty("java.class.path").split(File.pathSeparator)) {
            String name = Path.of(e).toString();
            if (name.contains("testkit") || name.matches(".*(junit-jupiter-api|opentest4j|apiguardian-api|junit-platform-commons)-[^/]*\\.jar")) {
                paths.add(Path.of(e));
            }
        }
        ModuleLayer boot = ModuleLayer.boot();
        Configuration cf = boot.configuration().resolveAndBind(ModuleFinder.of(paths.toArray(Path[]::new)),
                ModuleFinder.of(), Set.of("dev.mixtral4j.testkit", "dev.mixtral4j.samples"));
        ModuleLayer layer = boot.defineModulesWithOneLoader(cf, ClassLoader.getPlatformClassLoader());
        for (String m : List.of("dev.mixtral4j.api", "dev.mixtral4j.tools", "dev.mixtral4j.testkit", "dev.mixtral4j.tokenizer",
                "dev.mixtral4j.backend.java", "org.junit.jupiter.api")) {
            assertTrue(layer.findModule(m).isPresent(), m + " did not resolve: " + layer.modules());
        }
        Class<?> kit = layer.findLoader("dev.mixtral4j.testkit").loadClass("dev.mixtral4j.testkit.BackendConformanceKit");
        assertEquals("dev.mixtral4j.testkit", kit.getModule().getName());
    }

    @Test
    void theCliRunsWithEveryJarOnTheModulePath() throws Exception {
        Path model = SyntheticModel.builder().name("modules").seed(5).vocabSize(400).contextLength(256)
                .write(dir.resolve("m.gguf"));

        Run backends = cli("backends");
        assertEquals(0, backends.code(), () -> backends.out() + backends.err());
        assertTrue(backends.out().contains("java  rank"), backends::out);

        Run chat = cli("chat", "-m", model.toString(), "--backend", "java", "--greedy", "-n", "6",
                "--system", "Be brief.", "-p", "Hello there");
        assertEquals(0, chat.code(), () -> chat.out() + chat.err());
        String expected;
        try (Model m = Mixtral4j.load(model, LoadOptions.builder().backend("java").build());
                Session s = m.newSession()) {
            expected = s.chat(List.of(Message.system("Be brief."), Message.user("Hello there")),
                    GenerationOptions.builder().maxTokens(6).sampler(Samplers.greedy()).build()).text();
        }
        assertEquals(expected + System.lineSeparator(), chat.out(), chat::err);
    }
}
