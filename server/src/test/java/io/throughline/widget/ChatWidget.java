package io.throughline.widget;

import io.throughline.testing.Browser;
import java.time.Duration;
import java.util.List;
import org.openqa.selenium.By;
import org.openqa.selenium.SearchContext;
import org.openqa.selenium.StaleElementReferenceException;
import org.openqa.selenium.WebDriver;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.support.ui.ExpectedConditions;
import org.openqa.selenium.support.ui.WebDriverWait;

/** The chat widget on a page, as a visitor uses it: by the data-testid attributes the widget promises. */
final class ChatWidget {

    static final Duration WAIT = Duration.ofSeconds(20);

    private final Browser browser;
    private final WebDriver driver;

    ChatWidget(Browser browser) {
        this.browser = browser;
        this.driver = browser.driver();
    }

    /** A wait that retries when the widget re-rendered an element under our feet. */
    WebDriverWait waiting() {
        WebDriverWait wait = browser.waiting(WAIT);
        wait.ignoring(StaleElementReferenceException.class);
        return wait;
    }

    /** The widget's shadow root on the host page, once the loader has drawn the launcher. */
    SearchContext shadow() {
        driver.switchTo().defaultContent();
        return waiting().until(d -> {
            List<WebElement> hosts = d.findElements(By.cssSelector("throughline-widget"));
            if (hosts.isEmpty()) {
                return null;
            }
            SearchContext root = hosts.getFirst().getShadowRoot();
            return root.findElements(By.cssSelector("[data-testid=throughline-launcher]")).isEmpty() ? null : root;
        });
    }

    WebElement launcher() {
        return shadow().findElement(By.cssSelector("[data-testid=throughline-launcher]"));
    }

    /** Opens the chat and enters its frame. */
    ChatWidget open() {
        launcher().click();
        return enter();
    }

    /** Enters the chat frame (already loaded) and waits until the visitor can write. */
    ChatWidget enter() {
        WebElement frame = waiting().until(d -> {
            List<WebElement> frames = shadow().findElements(By.cssSelector("iframe"));
            return frames.isEmpty() ? null : frames.getFirst();
        });
        driver.switchTo().frame(frame);
        return this;
    }

    WebElement composer() {
        return waiting().until(ExpectedConditions.visibilityOfElementLocated(
                By.cssSelector("[data-testid=throughline-composer-input]")));
    }

    void send(String text) {
        composer().sendKeys(text);
        driver.findElement(By.cssSelector("[data-testid=throughline-send-button]")).click();
    }

    List<WebElement> messages() {
        return driver.findElements(By.cssSelector("[data-testid=throughline-message]"));
    }

    /** The message bubble with this text, once shown. */
    WebElement message(String text) {
        return waiting().until(d -> messages().stream()
                .filter(m -> m.getText().contains(text)).findFirst().orElse(null));
    }

    /** Waits until the message with this text is acknowledged by the server (it then has a server id). */
    WebElement stored(String text) {
        return waiting().until(d -> messages().stream()
                .filter(m -> m.getText().contains(text) && m.getAttribute("data-message-id") != null
                        && "sent".equals(m.getAttribute("data-status")))
                .findFirst().orElse(null));
    }

    String visibleText() {
        return driver.findElement(By.tagName("body")).getText();
    }

    void leave() {
        driver.switchTo().defaultContent();
    }
}
