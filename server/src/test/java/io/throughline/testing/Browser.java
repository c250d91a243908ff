package io.throughline.testing;

import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.logging.Level;
import javax.imageio.ImageIO;
import org.apache.commons.io.FileUtils;
import org.openqa.selenium.JavascriptExecutor;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.TakesScreenshot;
import org.openqa.selenium.bidi.module.BrowsingContextInspector;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;
import org.openqa.selenium.logging.LogEntry;
import org.openqa.selenium.logging.LogType;
import org.openqa.selenium.logging.LoggingPreferences;
import org.openqa.selenium.support.ui.WebDriverWait;

/**
 * A real, headless Debian chromium driven through its own chromedriver (installed by .ci/run), never a browser a
 * tool downloads. Each instance has a fresh profile, so tests never share cookies or storage.
 */
public final class Browser implements AutoCloseable {

    private static final Path CHROMIUM = Path.of("/usr/bin/chromium");
    private static final Path CHROMEDRIVER = Path.of("/usr/bin/chromedriver");
    /** Where screenshots land, as build artifacts the README shows. */
    public static final Path SCREENSHOTS = Path.of("target", "screenshots");

    private final ChromeDriver driver;
    private final Path profile;
    private final List<String> dialogs = new CopyOnWriteArrayList<>();
    private BrowsingContextInspector inspector;

    public Browser() {
        this(1280, 860);
    }

    public Browser(int width, int height) {
        this(width, height, false);
    }

    /**
     * With {@code watchDialogs}, every JavaScript dialog (alert, confirm, prompt) any page or frame opens is
     * recorded through WebDriver BiDi, for tests that prove no injected script ran.
     */
    public Browser(int width, int height, boolean watchDialogs) {
        if (!Files.isExecutable(CHROMIUM) || !Files.isExecutable(CHROMEDRIVER)) {
            throw new IllegalStateException("browser tests need Debian's chromium and chromium-driver:"
                    + " apt-get install -y chromium chromium-driver (.ci/run does it)");
        }
        profile = Scratch.dir("throughline-chromium");
        ChromeOptions options = new ChromeOptions();
        options.setBinary(CHROMIUM.toFile());
        options.addArguments("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                "--disable-background-networking", "--disable-component-update", "--disable-sync",
                "--no-first-run", "--disable-quic", "--user-data-dir=" + profile,
                "--window-size=" + width + "," + height, "--lang=en-US");
        LoggingPreferences logs = new LoggingPreferences();
        logs.enable(LogType.BROWSER, Level.ALL);
        options.setCapability("goog:loggingPrefs", logs);
        if (watchDialogs) {
            options.setCapability("webSocketUrl", true);
        }
        ChromeDriverService service = new ChromeDriverService.Builder()
                .usingDriverExecutable(CHROMEDRIVER.toFile()).usingAnyFreePort().build();
        driver = new ChromeDriver(service, options);
        driver.manage().timeouts().pageLoadTimeout(Duration.ofSeconds(30));
        if (watchDialogs) {
            inspector = new BrowsingContextInspector(driver);
            inspector.onUserPromptOpened(prompt -> dialogs.add(prompt.getType() + ": " + prompt.getMessage()));
        }
    }

    /** The JavaScript dialogs opened so far (only with {@code watchDialogs}). */
    public List<String> dialogs() {
        return List.copyOf(dialogs);
    }

    public ChromeDriver driver() {
        return driver;
    }

    public WebDriverWait waiting(Duration timeout) {
        return new WebDriverWait(driver, timeout);
    }

    /** The browser console so far (for failures worth explaining). */
    public List<LogEntry> console() {
        return driver.manage().logs().get(LogType.BROWSER).getAll();
    }

    /**
     * Saves a picture of the page under target/screenshots (the README's) and returns its path, once it checked it
     * is one: a PNG as wide as the page's viewport.
     */
    public Path screenshot(String name) {
        try {
            Files.createDirectories(SCREENSHOTS);
            Path file = SCREENSHOTS.resolve(name + ".png");
            byte[] png = ((TakesScreenshot) driver).getScreenshotAs(OutputType.BYTES);
            BufferedImage picture = ImageIO.read(new ByteArrayInputStream(png));
            long viewport = ((Number) ((JavascriptExecutor) driver).executeScript(
                    "return Math.round(window.innerWidth * window.devicePixelRatio)")).longValue();
            if (picture == null || picture.getWidth() != viewport) {
                throw new AssertionError("screenshot " + name + " is no picture of the page's " + viewport
                        + " pixels: " + (picture == null ? "not an image" : picture.getWidth() + " wide"));
            }
            Files.write(file, png);
            return file;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Override
    public void close() {
        try {
            if (inspector != null) {
                inspector.close();
            }
            driver.quit();
        } finally {
            FileUtils.deleteQuietly(profile.toFile()); // a profile is large: not left until the JVM exits
        }
    }
}
