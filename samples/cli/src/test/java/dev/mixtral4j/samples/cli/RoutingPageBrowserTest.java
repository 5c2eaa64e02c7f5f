package dev.mixtral4j.samples.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.mixtral4j.gguf.GgmlType;
import dev.mixtral4j.tools.synthetic.SyntheticModel;
import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.openqa.selenium.By;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.support.ui.Select;

/**
 * The page of {@code mixtral4j routing --html} in a real browser: it renders (the screenshot is not
 * blank: many colours, much of it not white), each token shows the first-choice expert of the
 * JSON for the selected layer, and choosing another layer re-colours the text.
 * {@code -Dmixtral4j.routing.screenshot=FILE} keeps the screenshot (docs/routing.md's picture).
 */
class RoutingPageBrowserTest {
    @TempDir
    Path dir;

    @Test
    @SuppressWarnings("unchecked")
    void pageRendersAndTheLayerSelectorRecolours() throws IOException {
        HeadlessChromium.assumeInstalled();
        Path model = SyntheticModel.builder().name("page").seed(29).embeddingLength(64).layers(4).heads(4).kvHeads(2)
                .feedForwardLength(96).experts(8).expertsUsed(2).vocabSize(400).contextLength(256)
                .tensorType(GgmlType.Q8_0).write(dir.resolve("page.gguf"));
        Path prose = Files.writeString(dir.resolve("prose.txt"), "Mixtral routes every token to two of its eight "
                + "experts, layer after layer. This page shows which ones, one colour per expert.", StandardCharsets.UTF_8);
        Path code = Files.writeString(dir.resolve("code.txt"), "def dot(a, b):\n    return sum(x * y for x, y in zip(a, b))\n",
                StandardCharsets.UTF_8);
        Path html = dir.resolve("routing.html");
        Path json = dir.resolve("routing.json");
        CliRun r = CliRun.of("routing", "--model", model.toString(), "--backend", "java", "--file", prose.toString(),
                "--file", code.toString(), "--html", html.toString(), "--json", json.toString(), "-t", "1");
        assertEquals(0, r.exitCode(), r.toString());
        Map<String, Object> doc = (Map<String, Object>) JsonReader.parse(Files.readString(json));
        List<Object> files = (List<Object>) doc.get("files");

        ChromeDriver browser = HeadlessChromium.start(1100, 1000);
        try {
            browser.get(html.toUri().toString());
            List<WebElement> tokens = browser.findElements(By.cssSelector(".text[data-file='0'] .tok"));
            List<Object> tokenIds = (List<Object>) ((Map<String, Object>) files.get(0)).get("tokens");
            assertEquals(tokenIds.size(), tokens.size(), "one coloured span per token of the first file");
            assertEquals("0", browser.findElement(By.tagName("body")).getDomAttribute("data-rendered-layer"));
            assertFirstChoices(files, 0, tokens);
            byte[] png = browser.getScreenshotAs(OutputType.BYTES);
            assertNotBlank(png);
            String screenshot = System.getProperty("mixtral4j.routing.screenshot");
            if (screenshot != null) {
                Files.write(Path.of(screenshot), png);
            }
            List<String> before = tokens.stream().map(t -> t.getCssValue("background-color")).toList();

            new Select(browser.findElement(By.id("layer"))).selectByValue("3");
            assertEquals("3", browser.findElement(By.tagName("body")).getDomAttribute("data-rendered-layer"));
            assertFirstChoices(files, 3, tokens);
            List<String> after = tokens.stream().map(t -> t.getCssValue("background-color")).toList();
            assertNotEquals(before, after, "layer 3 colours the text differently from layer 0");
            String tip = tokens.get(1).getDomAttribute("title");
            assertTrue(tip.contains("layer 3") && tip.contains("expert"), tip);
            // the usage table rows select their layer too
            browser.findElement(By.cssSelector("#heat tr[data-layer='2']")).click();
            assertEquals("2", browser.findElement(By.id("layer")).getDomProperty("value"));
            assertFirstChoices(files, 2, tokens);
        } finally {
            browser.quit();
        }
    }

    @SuppressWarnings("unchecked")
    private static void assertFirstChoices(List<Object> files, int layer, List<WebElement> spans) {
        Map<String, Object> f = (Map<String, Object>) files.get(0);
        Map<String, Object> l = (Map<String, Object>) ((List<Object>) f.get("layers")).get(layer);
        List<List<Number>> experts = (List<List<Number>>) (List<?>) l.get("experts");
        for (int i = 0; i < spans.size(); i++) {
            assertEquals(String.valueOf(experts.get(i).get(0).intValue()), spans.get(i).getDomAttribute("data-expert"),
                    "token " + i + " at layer " + layer);
        }
    }

    /** Not blank: at least 20 distinct colours, and at least 5% of the pixels not near-white. */
    private static void assertNotBlank(byte[] png) throws IOException {
        BufferedImage img = ImageIO.read(new ByteArrayInputStream(png));
        Set<Integer> colours = new HashSet<>();
        long inked = 0;
        long total = 0;
        for (int y = 0; y < img.getHeight(); y += 2) {
            for (int x = 0; x < img.getWidth(); x += 2) {
                int rgb = img.getRGB(x, y) & 0xFFFFFF;
                colours.add(rgb);
                int r = rgb >> 16 & 0xFF;
                int g = rgb >> 8 & 0xFF;
                int b = rgb & 0xFF;
                if (Math.min(r, Math.min(g, b)) < 235) {
                    inked++;
                }
                total++;
            }
        }
        assertTrue(colours.size() >= 20, "distinct colours in the screenshot: " + colours.size());
        assertTrue(inked * 20 >= total, "non-white pixels: " + inked + " of " + total);
    }
}
