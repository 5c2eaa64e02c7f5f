package dev.mixtral4j.samples.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.mixtral4j.LoadOptions;
import dev.mixtral4j.Message;
import dev.mixtral4j.Mixtral4j;
import dev.mixtral4j.Model;
import dev.mixtral4j.Session;
import dev.mixtral4j.generation.GenerationOptions;
import dev.mixtral4j.sampling.Samplers;
import dev.mixtral4j.tools.synthetic.SyntheticModel;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.atomic.AtomicBoolean;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ChatCommandTest {
    @TempDir
    static Path dir;
    static Path model;

    @BeforeAll
    static void writeModel() throws IOException {
        model = SyntheticModel.builder().name("chat").seed(9).vocabSize(400).contextLength(256).write(dir.resolve("chat.gguf"));
    }

    static String reply(List<Message> conversation, int n) throws IOException {
        try (Model m = Mixtral4j.load(model, LoadOptions.builder().backend("java").build()); Session s = m.newSession()) {
            return s.chat(conversation, GenerationOptions.builder().maxTokens(n).sampler(Samplers.greedy()).build()).text();
        }
    }

    @Test
    void oneShotPromptAnswersWithTheTemplatedConversation() throws IOException {
        DemoCommandTest.javaBackend();
        CliRun run = CliRun.of("chat", "-m", model.toString(), "--backend", "java", "--greedy", "-n", "8",
                "--system", "Be brief.", "-p", "Hello there");
        assertEquals(0, run.exitCode(), run::toString);
        String expected = reply(List.of(Message.system("Be brief."), Message.user("Hello there")), 8);
        assertEquals(expected + System.lineSeparator(), run.out());
    }

    @Test
    void interactiveTurnsKeepTheConversationAndResetForgetsIt() throws IOException {
        DemoCommandTest.javaBackend();
        CliRun run = CliRun.withInput("Hello\nHow are you?\n/reset\nHello\n/nonsense\n/exit\nnever read\n",
                "chat", "-m", model.toString(), "--backend", "java", "--greedy", "-n", "6");
        assertEquals(0, run.exitCode(), run::toString);
        String first = reply(List.of(Message.user("Hello")), 6);
        String second = reply(List.of(Message.user("Hello"), Message.assistant(first), Message.user("How are you?")), 6);
        String nl = System.lineSeparator();
        assertEquals("> " + first + nl + "> " + second + nl + "> " + "> " + first + nl + "> > " + nl, run.out());
        assertTrue(run.err().contains("(new conversation)"), run::toString);
        assertTrue(run.err().contains("unknown command /nonsense"), run::toString);
    }

    @Test
    void endOfInputEndsTheChat() {
        DemoCommandTest.javaBackend();
        CliRun run = CliRun.withInput("", "chat", "-m", model.toString(), "--backend", "java", "--greedy");
        assertEquals(0, run.exitCode(), run::toString);
        assertTrue(run.err().contains("/reset starts over") && run.err().contains("/exit quits"), run::toString);
    }

    @Test
    void backendCommandMovesTheConversationAndItContinues() throws IOException {
        DemoCommandTest.javaBackend();
        String before = System.getProperty("mixtral4j.traced.inner");
        System.setProperty("mixtral4j.traced.inner", "java"); // the example backend, running java inside
        try {
            CliRun run = CliRun.withInput("Hello\n/backend traced\nHow are you?\n/stats\n/backend nosuch\n/backend traced\n/exit\n",
                    "chat", "-m", model.toString(), "--backend", "java", "--greedy", "-n", "6");
            assertEquals(0, run.exitCode(), run::toString);
            String first = reply(List.of(Message.user("Hello")), 6);
            String second = reply(List.of(Message.user("Hello"), Message.assistant(first), Message.user("How are you?")), 6);
            String nl = System.lineSeparator();
            assertEquals("> " + first + nl + "> > " + second + nl + "> > > > " + nl, run.out());
            assertTrue(run.err().matches("(?s).*\\(moved from java to traced: \\d+ tokens of the conversation computed "
                    + "again in \\d+ ms, [0-9.]+ t/s; the next answers come from traced\\).*"), run::toString);
            assertTrue(run.err().contains("backend traced; context "), run::toString);
            assertTrue(run.err().contains("last answer: [traced] prompt:"), run::toString);
            assertTrue(run.err().contains("conversation: 2 answers, "), run::toString);
            assertTrue(run.err().contains("moved java -> traced"), run::toString);
            assertTrue(run.err().contains("(cannot move to nosuch: ") && run.err().contains("still on traced)"),
                    run::toString);
            assertTrue(run.err().contains("(already on traced)"), run::toString);
        } finally {
            if (before == null) {
                System.clearProperty("mixtral4j.traced.inner");
            } else {
                System.setProperty("mixtral4j.traced.inner", before);
            }
        }
    }

    @Test
    void ctrlCStopsTheAnswerAndTheChatGoesOn() throws Exception {
        DemoCommandTest.javaBackend();
        StringWriter err = new StringWriter();
        AtomicBoolean raised = new AtomicBoolean();
        java.util.concurrent.atomic.AtomicReference<String> problem = new java.util.concurrent.atomic.AtomicReference<>();
        // Sends a real SIGINT to this JVM when the first piece of the first answer is written, and only
        // once the chat has said that it catches Ctrl-C (otherwise the signal would end the test run).
        Writer out = new StringWriter() {
            @Override
            public void write(String str, int off, int len) {
                super.write(str, off, len);
                String piece = str.substring(off, off + len);
                if (!piece.isBlank() && !piece.equals("> ") && err.toString().contains("Ctrl-C stops an answer")
                        && raised.compareAndSet(false, true)) {
                    int before = CtrlC.stops();
                    sendSigint();
                    // The signal is handled on a thread of its own, after a while that load stretches: hold
                    // the answer (this write) until the handler has stopped it, so that neither can the answer
                    // end first nor the chat put the JVM's own handler back with the signal still on its way.
                    // No clock decides the outcome: the limit only turns a lost signal into a failure.
                    try {
                        if (!CtrlC.awaitStopsAbove(before, java.time.Duration.ofMinutes(2))) {
                            problem.set("the SIGINT was not handled within 2 minutes; " + signalMasks());
                        }
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                        problem.set("interrupted while waiting for the SIGINT to be handled");
                    }
                }
            }
        };
        Path longModel = SyntheticModel.builder().name("chat-long").seed(9).vocabSize(400).contextLength(4096)
                .write(dir.resolve("chat-long.gguf"));
        String stdin = "Tell me everything\nHello\n/exit\n";
        int code = Mixtral4jCli.execute(new ByteArrayInputStream(stdin.getBytes(StandardCharsets.UTF_8)),
                new PrintWriter(out), new PrintWriter(err), "chat", "-m", longModel.toString(), "--backend", "java",
                "--greedy", "-n", "1000", "--ctx", "4096", "--stats");
        assumeTrue(raised.get(), () -> "Ctrl-C cannot be caught on this JVM (-Xrs, no sun.misc.Signal, or SIGINT "
                + "ignored: a build started in the background by a non-interactive shell): " + err);
        assertEquals(null, problem.get(), problem::get);
        assertEquals(0, code, () -> out + "\n" + err);
        String[] statsLines = err.toString().lines().filter(l -> l.startsWith("[java] prompt:")).toArray(String[]::new);
        assertEquals(2, statsLines.length, err::toString);
        assertTrue(statsLines[0].endsWith("stopped: cancelled"), err::toString);
        assertTrue(err.toString().contains("(stopped)"), err::toString);
        // The chat went on: the second message was answered in full, after the stopped one.
        assertFalse(statsLines[1].endsWith("stopped: cancelled"), err::toString);
        assertTrue(out.toString().endsWith("> " + System.lineSeparator()), out::toString);
    }

    /**
     * A SIGINT to this process, as a terminal's Ctrl-C sends it: {@code kill -INT PID}, which any
     * thread that does not block SIGINT takes. {@code Signal.raise} (the fallback where there is no
     * kill command) sends it to the calling thread only, where a mask left by native code would
     * keep it pending.
     */
    private static void sendSigint() {
        try {
            Process kill = new ProcessBuilder("kill", "-INT", Long.toString(ProcessHandle.current().pid()))
                    .redirectErrorStream(true).start();
            kill.getInputStream().readAllBytes();
            if (kill.waitFor() == 0) {
                return;
            }
        } catch (IOException e) {
            // no kill command here: raise it on this thread
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return;
        }
        raiseSigint();
    }

    /** SigBlk and SigPnd of this thread (Linux), to tell a blocked signal from a lost one. */
    static String signalMasks() {
        try {
            return java.nio.file.Files.readAllLines(Path.of("/proc/thread-self/status")).stream()
                    .filter(l -> l.startsWith("SigBlk") || l.startsWith("SigPnd") || l.startsWith("ShdPnd"))
                    .reduce("", (a, b) -> a + b.replace('\t', ' ') + "; ");
        } catch (IOException | RuntimeException e) {
            return "(no /proc/thread-self/status)";
        }
    }

    private static void raiseSigint() {
        try {
            Class<?> signal = Class.forName("sun.misc.Signal");
            signal.getMethod("raise", signal).invoke(null, signal.getConstructor(String.class).newInstance("INT"));
        } catch (ReflectiveOperationException e) {
            throw new IllegalStateException(e);
        }
    }
}
