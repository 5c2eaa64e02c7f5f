package dev.mixtral4j.samples.cli;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Assumptions;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;

/**
 * Debian's headless Chromium driven through its chromium-driver, for tests of pages the CLI
 * writes. Nothing is downloaded (Selenium Manager is bypassed by naming both executables); where
 * either package is missing the calling test is skipped with the reason.
 */
final class HeadlessChromium {
    static final Path BROWSER = Path.of(System.getProperty("mixtral4j.chromium", "/usr/bin/chromium"));
    static final Path DRIVER = Path.of(System.getProperty("mixtral4j.chromedriver", "/usr/bin/chromedriver"));

    private HeadlessChromium() {
    }

    /** Aborts the calling test, with the reason, when Chromium or its driver is not installed. */
    static void assumeInstalled() {
        Assumptions.assumeTrue(Files.isExecutable(BROWSER) && Files.isExecutable(DRIVER), () -> "headless Chromium "
                + "not installed (" + BROWSER + ", " + DRIVER + "): apt-get install chromium chromium-driver to run "
                + "this browser test");
    }

    /** A new headless browser with a window of {@code width} x {@code height}; quit it after use. */
    static ChromeDriver start(int width, int height) {
        assumeInstalled();
        ChromeOptions options = new ChromeOptions();
        options.setBinary(BROWSER.toFile());
        options.addArguments("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                "--hide-scrollbars", "--force-device-scale-factor=1", "--window-size=" + width + "," + height);
        ChromeDriverService service = new ChromeDriverService.Builder().usingDriverExecutable(DRIVER.toFile())
                .usingAnyFreePort().withTimeout(Duration.ofSeconds(60)).build();
        return new ChromeDriver(service, options);
    }
}
