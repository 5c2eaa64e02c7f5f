package dev.mixtral4j.samples.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.mixtral4j.Message;
import dev.mixtral4j.generation.GenerationResult;
import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.openqa.selenium.By;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.WebDriver;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;
import org.openqa.selenium.support.ui.WebDriverWait;

/**
 * The web chat in a real browser: Debian's headless Chromium driven by Selenium through Debian's
 * chromedriver. Skipped, with the reason, where those packages are not installed ({@code .ci/run}
 * installs them when apt is there).
 */
class WebChatBrowserTest {
    static final Path CHROMIUM = Path.of("/usr/bin/chromium");
    static final Path CHROMEDRIVER = Path.of("/usr/bin/chromedriver");

    static TestServer server;
    static WebDriver browser;
    static Path profile;

    @BeforeAll
    static void start() throws IOException {
        Assumptions.assumeTrue(Files.isExecutable(CHROMIUM) && Files.isExecutable(CHROMEDRIVER),
                "Chromium is not installed (apt-get install chromium chromium-driver): " + CHROMIUM + " / "
                        + CHROMEDRIVER + " missing");
        server = TestServer.start(1, 4, TestServer.TRAINED_CONTEXT, TestServer.realVocabularyModelFile());
        profile = Files.createTempDirectory("mixtral4j-chromium");
        ChromeOptions options = new ChromeOptions();
        options.setBinary(CHROMIUM.toFile());
        options.addArguments("--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-dev-shm-usage",
                "--user-data-dir=" + profile, "--window-size=1100,720");
        // The driver is Debian's: naming it keeps Selenium Manager from looking for one online.
        ChromeDriverService service = new ChromeDriverService.Builder()
                .usingDriverExecutable(CHROMEDRIVER.toFile()).usingAnyFreePort().build();
        browser = new ChromeDriver(service, options);
    }

    @AfterAll
    static void stop() throws IOException {
        if (browser != null) {
            browser.quit();
        }
        if (server != null) {
            server.close();
        }
        if (profile != null) {
            try (var files = Files.walk(profile)) {
                files.sorted(java.util.Comparator.reverseOrder()).map(Path::toFile).forEach(File::delete);
            }
        }
    }

    static WebDriverWait waitUpTo(int seconds) {
        return new WebDriverWait(browser, Duration.ofSeconds(seconds), Duration.ofMillis(20));
    }

    static void set(String id, String value) {
        WebElement e = browser.findElement(By.id(id));
        e.clear();
        e.sendKeys(value);
    }

    static List<WebElement> assistantBubbles() {
        return browser.findElements(By.cssSelector(".msg.assistant"));
    }

    static String text(WebElement bubble) {
        // textContent, not getText(): the answer's own spaces and line breaks count.
        return bubble.findElement(By.className("text")).getDomProperty("textContent");
    }

    @Test
    void typesAMessageAndReadsTheStreamedAnswerThenStopsAnother() throws Exception {
        browser.get(server.root() + "/");
        waitUpTo(30).until(d -> "java".equals(d.findElement(By.id("backend")).getText()));
        assertEquals("tiny-server", browser.findElement(By.id("model")).getText());

        set("system", "Be brief.");
        set("temperature", "0");
        set("max_tokens", "12");
        set("message", "Hello there");
        browser.findElement(By.id("send")).click();
        waitUpTo(120).until(d -> !d.findElements(By.cssSelector(".msg.assistant.done")).isEmpty());
        String answer = text(assistantBubbles().getFirst());
        GenerationResult expected = server.chatInProcess(List.of(Message.system("Be brief."), Message.user("Hello there")), 12);
        assertEquals(expected.text(), answer);
        String stats = browser.findElement(By.id("stats")).getText();
        assertTrue(stats.contains("tok/s") && stats.contains("backend java") && stats.contains("finish: length"), stats);

        Path shot = Path.of(System.getProperty("mixtral4j.screenshot", "target/web-chat.png"));
        Files.createDirectories(shot.toAbsolutePath().getParent());
        Files.write(shot, ((ChromeDriver) browser).getScreenshotAs(OutputType.BYTES));

        // A long answer, stopped from the page: the server cancels it and frees the slot. An answer
        // that ends by itself before the click proves nothing: then the next prompt is tried.
        set("max_tokens", "3000");
        for (String prompt : List.of("Talk forever", "Tell me everything", "Go on", "Again and again")) {
            long cancelledBefore = server.health().at("/requests/cancelled").asLong();
            int bubbles = assistantBubbles().size();
            set("message", prompt);
            browser.findElement(By.id("send")).click();
            waitUpTo(120).until(d -> assistantBubbles().size() == bubbles + 1
                    && !text(assistantBubbles().get(bubbles)).isEmpty());
            browser.findElement(By.id("stop")).click();
            waitUpTo(120).until(d -> d.findElement(By.id("send")).isEnabled());
            String after = browser.findElement(By.id("stats")).getText();
            if (after.contains("finish: stop")) {
                continue;
            }
            assertTrue(after.startsWith("stopped"), after);
            JsonNode health = server.awaitIdle(30);
            assertEquals(0, health.at("/slots/busy").asInt(), health.toString());
            assertEquals(cancelledBefore + 1, health.at("/requests/cancelled").asLong(), health.toString());
            return;
        }
        Assumptions.abort("every candidate answer ended by itself before it could be stopped");
    }

}
