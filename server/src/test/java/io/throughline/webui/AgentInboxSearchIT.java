package io.throughline.webui;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.throughline.testing.ApiClient;
import io.throughline.testing.Browser;
import io.throughline.testing.ShopSystem;
import io.throughline.testing.TestServer;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.openqa.selenium.By;
import org.openqa.selenium.Keys;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.support.ui.Select;

/**
 * Search from the inbox: "/" focuses the box, hits show their highlighted snippet, and a hit opens its thread
 * scrolled to that message, deep in a long history. It needs the server's search API (GET /api/v1/search, the
 * search issue); on a build without it the test is skipped, and says so.
 */
class AgentInboxSearchIT {

    private static TestServer server;
    private static ShopSystem shop;
    private static long hitMessage;

    @BeforeAll
    static void start() {
        server = TestServer.start();
        ApiClient admin = server.admin();
        admin.get("/api/v1/search?q=probe").expect(200);
        shop = ShopSystem.connect(server, "Shop");
        shop.say("find-0", "Sofia Search", "cust-sofia", "Hello, I have a question about my account.");
        hitMessage = shop.say("find-1", "Sofia Search", "cust-sofia",
                "The zamówienie 88123 never arrived, I want a refund.").getLong("messageId");
        for (int i = 2; i < 120; i++) {
            shop.say("find-" + i, "Sofia Search", "cust-sofia", "Follow-up number " + i);
        }
        shop.say("other-1", "Olaf Other", "cust-olaf", "Unrelated question about sizes.");
        shop.say("xss-1", "Xena Snippet", "cust-xena", "<img src=x onerror=alert('snippet')> warranty claim");
        await().atMost(Duration.ofSeconds(20)).until(() -> admin.get("/api/v1/search?q=refund").json()
                .getJsonArray("hits").size() == 1 && admin.get("/api/v1/search?q=warranty").json()
                .getJsonArray("hits").size() == 1);
    }

    @AfterAll
    static void stop() {
        if (shop != null) {
            shop.close();
        }
        server.close();
    }

    @Test
    void aHitOpensItsThreadAtThatMessage() {
        try (Browser browser = new Browser()) {
            InboxPage inbox = new InboxPage(browser, server.url()).login(TestServer.ADMIN_EMAIL,
                    TestServer.ADMIN_PASSWORD);
            inbox.conversation("Olaf Other");
            inbox.press("/");
            WebElement box = inbox.find("search-input");
            assertThat(inbox.script("return document.activeElement.dataset.testid")).isEqualTo("search-input");
            box.sendKeys("refunded", Keys.ENTER);

            WebElement hit = inbox.find("search-hit");
            assertThat(hit.getText()).contains("Sofia Search");
            assertThat(hit.findElement(By.tagName("mark")).getText()).isEqualToIgnoringCase("refund");
            assertThat(inbox.all("search-hit")).hasSize(1);
            // Said once in a status region, not hit by hit from a live list.
            inbox.until(d -> "1 result".equals(inbox.find("search-status").getDomProperty("textContent").strip()));
            assertThat(inbox.find("search-status").getDomAttribute("role")).isEqualTo("status");
            assertThat(inbox.find("search-results").findElement(By.cssSelector("ul.hits")).getDomAttribute(
                    "aria-live")).isNull();

            hit.click();
            inbox.until(d -> Boolean.TRUE.equals(inbox.script("""
                    const m = document.querySelector('tl-message[data-message-id="' + arguments[0] + '"] .highlight');
                    const view = document.querySelector('[data-testid=timeline]');
                    if (!m || !view) return false;
                    const a = m.getBoundingClientRect(), b = view.getBoundingClientRect();
                    return a.top >= b.top && a.top < b.bottom;""", hitMessage)));
            assertThat(inbox.find("thread-contact-name").getText()).isEqualTo("Sofia Search");
            assertThat(inbox.present("load-later")).isTrue();

            new Select(inbox.find("search-results").findElement(By.name("status"))).selectByValue("resolved");
            inbox.find("search-empty");
            inbox.until(d -> inbox.find("search-status").getDomProperty("textContent").contains("Nothing found"));
        }
    }

    /** A hit whose message is removed (by this agent or another) no longer shows its words in the results. */
    @Test
    void aRemovedMessagesHitNoLongerShowsItsWords() {
        long message = shop.say("card-1", "Rita Card", "cust-rita-card", "My card number is 5500 0000 0000 0004")
                .getLong("messageId");
        ApiClient admin = server.admin();
        await().atMost(Duration.ofSeconds(20)).until(() -> admin.get("/api/v1/search?q=5500").json()
                .getJsonArray("hits").size() == 1);
        try (Browser browser = new Browser()) {
            InboxPage inbox = new InboxPage(browser, server.url()).login(TestServer.ADMIN_EMAIL,
                    TestServer.ADMIN_PASSWORD);
            inbox.until(d -> "live".equals(inbox.connection()));
            inbox.find("search-input").sendKeys("5500", Keys.ENTER);
            assertThat(inbox.find("search-hit").getText()).contains("5500 0000");
            admin.post("/api/v1/messages/" + message + "/redact", new JsonObject()).expect(200);
            inbox.until(d -> inbox.find("search-hit").getText().contains("Message removed"));
            assertThat(inbox.find("search-hit").getText()).doesNotContain("5500");
        }
    }

    /** A search typed on a settings page shows its results in the inbox (nothing showed). */
    @Test
    void aSearchFromSettingsShowsItsResults() {
        try (Browser browser = new Browser()) {
            InboxPage inbox = new InboxPage(browser, server.url()).login(TestServer.ADMIN_EMAIL,
                    TestServer.ADMIN_PASSWORD);
            inbox.visit("/#/settings/agents");
            inbox.find("agents-table");
            inbox.find("search-input").sendKeys("refunded", Keys.ENTER);
            assertThat(inbox.find("search-hit").getText()).contains("Sofia Search");
            assertThat(inbox.present("agents-table")).isFalse();
        }
    }

    @Test
    void aSnippetShowsItsHighlightAndNothingElseAsHtml() {
        try (Browser browser = new Browser(1280, 860, true)) {
            InboxPage inbox = new InboxPage(browser, server.url()).login(TestServer.ADMIN_EMAIL,
                    TestServer.ADMIN_PASSWORD);
            inbox.find("search-input").sendKeys("warranty", Keys.ENTER);
            WebElement hit = inbox.find("search-hit");
            assertThat(hit.getText()).contains("<img src=x onerror=alert('snippet')>");
            assertThat(hit.findElement(By.tagName("mark")).getText()).isEqualToIgnoringCase("warranty");
            assertThat(inbox.script("return document.querySelectorAll('tl-app img[src=\"x\"], [onerror]').length"))
                    .isEqualTo(0L);
            assertThat(browser.dialogs()).isEmpty();
        }
    }
}
