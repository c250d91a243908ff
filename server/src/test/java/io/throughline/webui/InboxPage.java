package io.throughline.webui;

import io.throughline.testing.Browser;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.function.Function;
import org.openqa.selenium.By;
import org.openqa.selenium.ElementNotInteractableException;
import org.openqa.selenium.JavascriptExecutor;
import org.openqa.selenium.StaleElementReferenceException;
import org.openqa.selenium.TimeoutException;
import org.openqa.selenium.WebDriver;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.interactions.Actions;
import org.openqa.selenium.support.ui.WebDriverWait;

/** The agent inbox as a test drives it: what an agent sees and does, by the data-testid of each control. */
final class InboxPage {

    static final Duration WAIT = Duration.ofSeconds(20);

    private final Browser browser;
    private final ChromeDriver driver;
    private final String baseUrl;

    InboxPage(Browser browser, String baseUrl) {
        this.browser = browser;
        this.driver = browser.driver();
        this.baseUrl = baseUrl;
    }

    ChromeDriver driver() {
        return driver;
    }

    InboxPage visit(String path) {
        driver.get(baseUrl + path);
        return this;
    }

    /** Logs in through the form and waits for the inbox. */
    InboxPage login(String email, String password) {
        submitLogin(email, password);
        until(d -> !d.findElements(By.tagName("tl-inbox-filters")).isEmpty());
        return this;
    }

    /** Fills and submits the login form, without waiting for the outcome. */
    InboxPage submitLogin(String email, String password) {
        visit("/");
        return signInHere(email, password);
    }

    /** Signs in through the login form on the page as it is (after a logout, say), with no reload. */
    InboxPage signInHere(String email, String password) {
        WebElement emailField = find("login-email");
        emailField.clear();
        emailField.sendKeys(email);
        find("login-password").sendKeys(password);
        find("login-submit").click();
        return this;
    }

    static By testId(String id) {
        return By.cssSelector("[data-testid='" + id + "']");
    }

    /** The first element with this data-testid, once it exists. */
    WebElement find(String id) {
        return until(d -> d.findElements(testId(id)).stream().findFirst().orElse(null));
    }

    /**
     * Clicks the control once it is enabled (controls wait while a change is being saved). A re-render between
     * finding it and clicking it (a stream event) leaves a stale element, and a control still moving into place
     * cannot be clicked yet: neither was clicked, and it is found again.
     */
    void click(String id) {
        until(d -> {
            try {
                WebElement element = find(id);
                if (!element.isEnabled()) {
                    return null;
                }
                element.click();
                return true;
            } catch (StaleElementReferenceException | ElementNotInteractableException e) {
                // Re-rendered, or still moving into place (a drawer sliding in): found and tried again.
                return null;
            }
        });
    }

    List<WebElement> all(String id) {
        return driver.findElements(testId(id));
    }

    boolean present(String id) {
        return !driver.findElements(testId(id)).isEmpty();
    }

    <T> T until(Function<WebDriver, T> condition) {
        // The app re-renders as events arrive: an element found a moment ago may be gone; look again.
        try {
            return new WebDriverWait(driver, WAIT).ignoring(StaleElementReferenceException.class).until(condition);
        } catch (TimeoutException e) {
            // What the page was doing, first in the message (a CI summary shows that much): a wait that failed
            // there says whether the thread was loading, failed or gone.
            throw new TimeoutException("the page's state: " + pageState() + "; " + e.getRawMessage(), e);
        }
    }

    /** The store's state in a line: its phase, stream, route and open thread (loading, error, count). */
    String pageState() {
        try {
            return String.valueOf(driver.executeAsyncScript("""
                    const done = arguments[arguments.length - 1];
                    import('/app/store.js').then(({ store }) => {
                      const s = store.state;
                      const t = s.thread;
                      done(JSON.stringify({ phase: s.phase, connection: s.connection, route: s.route,
                        threadLoads: store.threadLoads, held: window.heldAnswers?.length,
                        thread: t && { conversationId: t.conversationId, loadId: t.loadId, loading: t.loading,
                          error: t.error, messages: t.messages.length, hasOlder: t.hasOlder, hasNewer: t.hasNewer,
                          removed: [...(t.removed ?? [])] } }));
                    }, (e) => done('unreadable: ' + e));"""));
        } catch (RuntimeException e) {
            return "unreadable: " + e;
        }
    }

    /** The conversation's row, once shown: further pages are loaded while it is not (tests share one server). */
    WebElement conversation(String contactName) {
        return until(d -> {
            WebElement row = conversationOrNull(contactName);
            if (row == null) {
                // Pressed in the page, not by the pointer: rows coming live move the list, and a click at the
                // button's place a moment ago would land on a row and open another thread.
                d.findElements(testId("list-more")).stream().filter(WebElement::isEnabled).findFirst()
                        .ifPresent(more -> script("arguments[0].click()", more));
            }
            return row;
        });
    }

    WebElement conversationOrNull(String contactName) {
        return driver.findElements(testId("conversation-item")).stream()
                .filter(e -> e.findElement(By.className("item-name")).getText().equals(contactName))
                .findFirst().orElse(null);
    }

    InboxPage open(String contactName) {
        conversation(contactName).click();
        until(d -> d.findElements(testId("thread-contact-name")).stream()
                .anyMatch(e -> e.getText().equals(contactName)));
        until(d -> !d.findElements(testId("message")).isEmpty());
        return this;
    }

    /** The message whose text contains this, once it is shown. */
    WebElement message(String text) {
        return until(d -> d.findElements(testId("message")).stream()
                .filter(m -> m.findElements(testId("message-body")).stream().anyMatch(b -> b.getText().contains(text)))
                .findFirst().orElse(null));
    }

    List<WebElement> messages() {
        return all("message");
    }

    InboxPage reply(String text) {
        return compose("mode-reply", text);
    }

    InboxPage note(String text) {
        return compose("mode-note", text);
    }

    private InboxPage compose(String mode, String text) {
        find(mode).click();
        WebElement input = find("composer-input");
        input.sendKeys(text);
        until(d -> find("send-button").isEnabled());
        find("send-button").click();
        message(text);
        until(d -> find("composer-input").getAttribute("value").isEmpty());
        return this;
    }

    /** Keys pressed with focus on the page, not in a field (as shortcuts are). */
    InboxPage press(CharSequence... keys) {
        script("document.activeElement && document.activeElement.blur()");
        new Actions(driver).sendKeys(keys).perform();
        return this;
    }

    Object script(String code, Object... args) {
        return ((JavascriptExecutor) driver).executeScript(code, args);
    }

    /**
     * Holds the answers of the page's fetches whose URL contains {@code urlPart}: each is asked at once (with the
     * session it has now) and its answer kept until {@link #releaseHeld()}, as a slow network would.
     */
    void holdAnswers(String urlPart) {
        script("""
                const part = arguments[0];
                const real = window.fetch;
                window.heldAnswers = [];
                window.fetch = (url, init) => {
                  if (!String(url).includes(part)) return real(url, init);
                  const answer = real(url, init);
                  return new Promise((resolve) => window.heldAnswers.push(() => resolve(answer)));
                };""", urlPart);
    }

    /**
     * Holds the answers to the page's fetches whose URL matches {@code regex} (a JavaScript pattern), as {@link
     * #holdAnswers} does; {@link #answeredWhileHeld} counts those the server has answered.
     */
    void holdAnswersMatching(String regex) {
        holdAnswersMatching(regex, Integer.MAX_VALUE);
    }

    /**
     * Holds only the first answer to a fetch matching {@code regex}: a later one (the page reading the thread again
     * after a reconnect, say) goes through, so a test about that first answer does not hang on a second it never
     * releases.
     */
    void holdFirstAnswerMatching(String regex) {
        holdAnswersMatching(regex, 1);
    }

    private void holdAnswersMatching(String regex, int count) {
        script("""
                const pattern = new RegExp(arguments[0]);
                let left = arguments[1];
                const real = window.fetch;
                window.heldAnswers = [];
                window.answeredWhileHeld = 0;
                window.fetch = (url, init) => {
                  if (!pattern.test(String(url)) || left <= 0) return real(url, init);
                  left--;
                  const answer = real(url, init);
                  answer.finally(() => window.answeredWhileHeld++);
                  return new Promise((resolve) => window.heldAnswers.push(() => resolve(answer)));
                };""", regex, count);
    }

    int answeredWhileHeld() {
        return ((Number) script("return window.answeredWhileHeld")).intValue();
    }

    /**
     * Makes the page's fetches for which {@code condition} (a JavaScript expression over {@code url} and {@code
     * init}) holds fail as a dropped network does, until {@link #restoreFetches()}.
     */
    void failFetches(String condition) {
        // Written into the script, not built with new Function: the page's CSP allows no eval.
        script("""
                const real = window.fetch;
                window.fetch = (input, init) => {
                  const url = String(input);
                  return (CONDITION) ? Promise.reject(new TypeError('Failed to fetch')) : real(input, init);
                };
                window.restoreFetches = () => { window.fetch = real; };""".replace("CONDITION", condition));
    }

    void restoreFetches() {
        script("window.restoreFetches()");
    }

    /**
     * Holds the page's fetches for which {@code condition} (a JavaScript expression over {@code url} and {@code
     * init}) holds before they are asked, until {@link #releaseGate()}: unlike {@link #holdAnswers}, the server has
     * not seen them meanwhile. Only the first is held, and then goes on; with {@code thenFail}, every one is held and
     * then fails as a dropped network does. {@link #restoreFetches()} ends it.
     */
    void gateFetches(String condition, boolean thenFail) {
        script("""
                const real = window.realFetch || window.fetch;
                window.realFetch = real;
                const gate = new Promise((release) => { window.releaseGate = release; });
                let held = false;
                window.fetch = async (input, init) => {
                  const url = String(input);
                  if ((FAIL || !held) && (CONDITION)) {
                    held = true;
                    await gate;
                    if (FAIL) throw new TypeError('Failed to fetch');
                  }
                  return real(input, init);
                };
                window.restoreFetches = () => { window.fetch = real; };"""
                .replace("CONDITION", condition).replace("FAIL", String.valueOf(thenFail)));
    }

    void releaseGate() {
        script("window.releaseGate()");
    }

    /** How many answers {@link #holdAnswers} holds or has held since the last release. */
    int heldAnswers() {
        return ((Number) script("return window.heldAnswers.length")).intValue();
    }

    void releaseHeld() {
        script("window.heldAnswers.splice(0).forEach((answer) => answer())");
    }

    String connection() {
        return find("connection-status").getAttribute("data-state");
    }

    /**
     * Signs in from a script of this page, as another tab of this browser would: the answer's cookies replace this
     * tab's, and the page is not told. Returns the answer's status.
     */
    Object signInElsewhere(String email, String password) {
        return driver.executeAsyncScript("""
                const done = arguments[arguments.length - 1];
                fetch('/api/v1/auth/login', {method: 'POST', headers: {'Content-Type': 'application/json'},
                  body: JSON.stringify({email: arguments[0], password: arguments[1]})}).then((r) => done(r.status));
                """, email, password);
    }

    /** Waits until the page has loaded again (since {@link #markPageLoad()}) and shows this agent as signed in. */
    void untilStartedOverAs(String agentName) {
        until(d -> {
            try {
                return !samePageLoad() && present("me") && find("me").getText().contains(agentName);
            } catch (org.openqa.selenium.JavascriptException e) {
                return false; // asked while the page reloads
            }
        });
    }

    /** Marks this page load, so a test can prove that something happened without a reload. */
    void markPageLoad() {
        script("window.__sameLoad = 'yes'");
    }

    boolean samePageLoad() {
        return "yes".equals(script("return window.__sameLoad"));
    }

    /** A phone's viewport (390 x 844 CSS pixels, as an iPhone 14): headless windows cannot be that narrow. */
    InboxPage asPhone() {
        driver.executeCdpCommand("Emulation.setDeviceMetricsOverride", java.util.Map.of("width", 390, "height", 844,
                "deviceScaleFactor", 2, "mobile", true));
        return this;
    }

    Path screenshot(String name) {
        return browser.screenshot(name);
    }
}
