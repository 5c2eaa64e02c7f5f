package dev.mixtral4j.samples.readme;

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
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.lang.reflect.Method;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.spi.ToolProvider;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The README's Java example is code that compiles and runs as shown: this test takes the block
 * after the README's {@code ReadmeExampleTest} marker, compiles it against this module's class
 * path, runs its {@code main} on a generated model with the java backend chosen for "auto"
 * ({@code -Dmixtral4j.backend}), and checks it printed the same reply as the API gives.
 */
class ReadmeExampleTest {

    @TempDir
    Path dir;

    static Path readme() {
        for (Path p = Path.of("").toAbsolutePath(); p != null; p = p.getParent()) {
            if (Files.isRegularFile(p.resolve("README.md")) && Files.isRegularFile(p.resolve("mixtral4j"))) {
                return p.resolve("README.md");
            }
        }
        throw new AssertionError("README.md of the repository not found above " + Path.of("").toAbsolutePath());
    }

    /** The java block that follows the line naming this test. */
    static String example() throws IOException {
        String text = Files.readString(readme());
        Matcher m = Pattern.compile("ReadmeExampleTest[^\\n]*\\n(?:[^\\n]*\\n)*?```java\\n(.*?)```", Pattern.DOTALL)
                .matcher(text);
        assertTrue(m.find(), "README.md has no ```java block after a line naming ReadmeExampleTest");
        return m.group(1);
    }

    @Test
    void theReadmeExampleCompilesAndRunsAsShown() throws Exception {
        String source = example();
        Matcher name = Pattern.compile("public class (\\w+)").matcher(source);
        assertTrue(name.find(), "the README example declares no public class");
        Path src = dir.resolve("src").resolve(name.group(1) + ".java");
        Files.createDirectories(src.getParent());
        Files.writeString(src, source);
        Path classes = Files.createDirectories(dir.resolve("classes"));

        // javac through java.util.spi.ToolProvider: java.base, so this module's tests need no java.compiler.
        ToolProvider javac = ToolProvider.findFirst("javac").orElseThrow(() -> new AssertionError("no javac in this JDK"));
        StringWriter diagnostics = new StringWriter();
        PrintWriter printer = new PrintWriter(diagnostics);
        boolean compiled = javac.run(printer, printer, "-classpath", System.getProperty("java.class.path"),
                "-d", classes.toString(), "-proc:none", "-Xlint:all", "-Werror", src.toString()) == 0;
        assertTrue(compiled, () -> "the README example does not compile:\n" + diagnostics);

        Path model = SyntheticModel.builder().name("readme").seed(3).vocabSize(400).contextLength(512)
                .write(dir.resolve("readme.gguf"));
        String printed;
        String before = System.getProperty("mixtral4j.backend");
        PrintStream out = System.out;
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        System.setProperty("mixtral4j.backend", "java");
        System.setOut(new PrintStream(bytes, true, StandardCharsets.UTF_8));
        try (URLClassLoader loader = new URLClassLoader(new URL[] {classes.toUri().toURL()}, getClass().getClassLoader())) {
            Method main = loader.loadClass(name.group(1)).getMethod("main", String[].class);
            main.invoke(null, (Object) new String[] {model.toString()});
        } finally {
            System.setOut(out);
            if (before == null) {
                System.clearProperty("mixtral4j.backend");
            } else {
                System.setProperty("mixtral4j.backend", before);
            }
        }
        printed = bytes.toString(StandardCharsets.UTF_8);

        String expected;
        try (Model m = Mixtral4j.load(model, LoadOptions.builder().backend("java").build()); Session s = m.newSession()) {
            expected = s.chat(List.of(Message.user("Bonjour !")), GenerationOptions.builder().maxTokens(256)
                    .sampler(Samplers.chain().topK(40).topP(0.95).temperature(0.7).seed(7)).build()).text();
        }
        String nl = System.lineSeparator();
        assertTrue(printed.startsWith(expected + nl), () -> "printed:\n" + printed + "\nexpected the reply:\n" + expected);
        String[] after = printed.substring(expected.length() + nl.length()).split(nl);
        assertEquals(2, after.length, printed);
        assertTrue(after[0].startsWith("prompt ") && after[0].contains("tok/s"), "stats line: " + after[0]);
        assertEquals("java holds the conversation now", after[1]);
    }
}
