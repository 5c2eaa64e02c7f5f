package dev.mixtral4j.samples.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.mixtral4j.gguf.GgmlType;
import dev.mixtral4j.model.ModelFile;
import dev.mixtral4j.tools.synthetic.SyntheticModel;
import dev.mixtral4j.routing.RandomRouting;
import dev.mixtral4j.testkit.ReferenceForward;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class RoutingCommandTest {
    @TempDir
    static Path dir;
    static Path model;
    static Path prose;
    static Path code;

    @BeforeAll
    static void writeInputs() throws IOException {
        model = SyntheticModel.builder().name("routing").seed(11).embeddingLength(64).layers(3).heads(4).kvHeads(2)
                .feedForwardLength(96).experts(8).expertsUsed(2).vocabSize(400).contextLength(256)
                .tensorType(GgmlType.F32).write(dir.resolve("routing.gguf"));
        prose = Files.writeString(dir.resolve("prose.txt"), "The quick brown fox jumps over the lazy dog, "
                + "then rests in the shade of an old tree until the evening comes.", StandardCharsets.UTF_8);
        code = Files.writeString(dir.resolve("code.txt"), "for (int i = 0; i < n; i++) { sum += a[i] * b[i]; }\n"
                + "</script><!-- not markup -->", StandardCharsets.UTF_8);
    }

    @Test
    @SuppressWarnings("unchecked")
    void routesEachFileAndWritesTablesJsonAndPage() throws IOException {
        Path json = dir.resolve("out.json");
        Path html = dir.resolve("out.html");
        CliRun r = CliRun.of("routing", "--model", model.toString(), "--backend", "java", "--file", prose.toString(),
                "--file", code.toString(), "--json", json.toString(), "--html", html.toString(), "-t", "1");
        assertEquals(0, r.exitCode(), r.toString());
        assertTrue(r.out().contains("3 layers, 2 of 8 experts per token"), r.out());
        assertTrue(r.out().contains("random            12.5%                46.4%"), r.out());

        Map<String, Object> doc = (Map<String, Object>) JsonReader.parse(Files.readString(json));
        assertEquals("java", doc.get("backend"));
        assertEquals(8, ((Number) doc.get("expertCount")).intValue());
        List<Object> files = (List<Object>) doc.get("files");
        assertEquals(2, files.size());
        try (ModelFile mf = ModelFile.open(model)) {
            ReferenceForward reference = new ReferenceForward(mf);
            for (Object o : files) {
                Map<String, Object> f = (Map<String, Object>) o;
                int[] tokens = ((List<Object>) f.get("tokens")).stream().mapToInt(x -> ((Number) x).intValue()).toArray();
                assertEquals(1, tokens[0], "BOS first, as run");
                assertEquals(tokens.length, ((List<Object>) f.get("texts")).size());
                reference.logits(tokens);
                ReferenceForward.Routing expected = reference.lastRouting();
                List<Object> layers = (List<Object>) f.get("layers");
                assertEquals(3, layers.size());
                Map<String, Object> stats = (Map<String, Object>) f.get("stats");
                List<Object> statLayers = (List<Object>) stats.get("layers");
                for (int l = 0; l < 3; l++) {
                    Map<String, Object> layer = (Map<String, Object>) layers.get(l);
                    List<List<Number>> experts = (List<List<Number>>) (List<?>) layer.get("experts");
                    List<List<Number>> weights = (List<List<Number>>) (List<?>) layer.get("weights");
                    assertEquals(tokens.length, experts.size());
                    int same = 0;
                    int shared = 0;
                    for (int i = 0; i < tokens.length; i++) {
                        List<Number> e = experts.get(i);
                        assertEquals(2, e.size());
                        // an F32 model on the java backend: the reference's choice, in its order, with its weights
                        // (a near-tie closer than 1e-4 in router probability would be a one-in-many-thousands event)
                        assertEquals(expected.experts()[l][i][0], e.get(0).intValue(), "layer " + l + " token " + i);
                        assertEquals(expected.experts()[l][i][1], e.get(1).intValue(), "layer " + l + " token " + i);
                        assertEquals(expected.weights()[l][i][0], weights.get(i).get(0).doubleValue(), 1e-3);
                        if (i > 0) {
                            List<Number> p = experts.get(i - 1);
                            same += p.get(0).intValue() == e.get(0).intValue() ? 1 : 0;
                            shared += p.contains(e.get(0)) || p.contains(e.get(1)) ? 1 : 0;
                        }
                    }
                    Map<String, Object> st = (Map<String, Object>) statLayers.get(l);
                    assertEquals((double) same / (tokens.length - 1), ((Number) st.get("sameFirstChoice")).doubleValue(), 1e-12);
                    assertEquals((double) shared / (tokens.length - 1), ((Number) st.get("sharedExpert")).doubleValue(), 1e-12);
                    long firstTotal = ((List<Number>) st.get("firstChoice")).stream().mapToLong(Number::longValue).sum();
                    assertEquals(tokens.length, firstTotal);
                }
                Map<String, Object> random = (Map<String, Object>) stats.get("random");
                assertEquals(RandomRouting.sharedExpert(8, 2), ((Number) random.get("sharedExpert")).doubleValue(), 1e-15);
            }
        }
        String page = Files.readString(html);
        assertTrue(page.contains("<select id=\"layer\">"), "layer selector");
        assertTrue(!page.contains("http://") && !page.contains("https://") && !page.contains(" src="),
                "self-contained: nothing loaded from elsewhere");
        int script = page.indexOf("<script type=\"application/json\" id=\"data\">");
        int end = page.indexOf("</script>", script);
        String embedded = page.substring(script + "<script type=\"application/json\" id=\"data\">".length(), end);
        assertTrue(!embedded.contains("</") && !embedded.contains("<!--"), "nothing in the data can end its script early");
        assertEquals(2, ((List<Object>) ((Map<String, Object>) JsonReader.parse(embedded)).get("files")).size(),
                "the page embeds the whole document");
    }

    @Test
    @SuppressWarnings("unchecked")
    void pageDataCannotEndItsScriptEarly() {
        String hostile = "a</script><script>alert(1)</script><!-- b";
        String page = RoutingPage.render(Map.of("model", hostile, "files", List.of(Map.of("file", hostile))));
        int script = page.indexOf("<script type=\"application/json\" id=\"data\">");
        String rest = page.substring(script);
        String embedded = rest.substring(rest.indexOf('>') + 1, rest.indexOf("</script>"));
        Map<String, Object> back = (Map<String, Object>) JsonReader.parse(embedded);
        assertEquals(hostile, back.get("model"), "the data survives whole, escaped");
        assertTrue(page.contains("<title>Expert routing - a&lt;/script&gt;"), "the title is escaped");
    }

    @Test
    void badInputGetsAClearMessage() throws IOException {
        CliRun missing = CliRun.of("routing", "--model", model.toString(), "--file", dir.resolve("nope.txt").toString());
        assertEquals(Mixtral4jCli.USAGE, missing.exitCode(), missing.toString());
        assertTrue(missing.err().contains("no such file"), missing.err());
        Path latin1 = Files.write(dir.resolve("latin1.txt"), new byte[] {'c', 'a', 'f', (byte) 0xE9});
        CliRun notUtf8 = CliRun.of("routing", "--model", model.toString(), "--file", latin1.toString());
        assertEquals(Mixtral4jCli.USAGE, notUtf8.exitCode(), notUtf8.toString());
        assertTrue(notUtf8.err().contains("not UTF-8"), notUtf8.err());
        Path dense = SyntheticModel.builder().name("dense").seed(3).embeddingLength(32).layers(1).heads(2).kvHeads(1)
                .feedForwardLength(64).experts(0).vocabSize(300).contextLength(64).write(dir.resolve("dense.gguf"));
        CliRun denseRun = CliRun.of("routing", "--model", dense.toString(), "--file", prose.toString());
        assertEquals(Mixtral4jCli.USAGE, denseRun.exitCode(), denseRun.toString());
        assertTrue(denseRun.err().contains("dense model"), denseRun.err());
    }
}
