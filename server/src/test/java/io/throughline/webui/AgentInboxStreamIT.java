package io.throughline.webui;

import static org.assertj.core.api.Assertions.assertThat;

import io.throughline.testing.Browser;
import io.throughline.testing.ShopSystem;
import io.throughline.testing.TestServer;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.openqa.selenium.support.ui.WebDriverWait;

/**
 * The stream drops (the agent's server goes away), events happen meanwhile (on another node of the same
 * database), and when the server is back the open tab resumes from its last seq and shows them, without a reload,
 * having said "Reconnecting…" in between.
 */
class AgentInboxStreamIT {

    @Test
    void theStreamResumesFromItsLastSeqAndShowsWhatHappenedMeanwhile() {
        int port = freePort();
        TestServer first = TestServer.start(Map.of("http.port", String.valueOf(port)));
        TestServer back = null;
        try (ShopSystem shop = ShopSystem.connect(first, "Shop"); Browser browser = new Browser()) {
            shop.say("drop-1", "Nina Resume", "cust-nina", "Before the drop");
            InboxPage inbox = new InboxPage(browser, first.url()).login(TestServer.ADMIN_EMAIL,
                    TestServer.ADMIN_PASSWORD).open("Nina Resume");
            inbox.until(d -> "live".equals(inbox.connection()));
            inbox.markPageLoad();

            first.close();
            inbox.until(d -> "reconnecting".equals(inbox.connection()));
            assertThat(inbox.find("connection-status").getText()).isEqualTo("Reconnecting…");

            TestServer otherNode = TestServer.startOn(first.databaseUrl(), TestServer.tempDir(), Map.of());
            try {
                ShopSystem elsewhere = shop.via(otherNode);
                elsewhere.say("drop-2", "Nina Resume", "cust-nina", "During the drop");
                elsewhere.say("drop-3", "Oleg Meanwhile", "cust-oleg", "I wrote while you were away");
            } finally {
                otherNode.close();
            }

            back = TestServer.startOn(first.databaseUrl(), first.dataDir(), Map.of("http.port", String.valueOf(port)));
            new WebDriverWait(browser.driver(), Duration.ofSeconds(45)).until(d -> "live".equals(inbox.connection()));
            inbox.message("During the drop");
            inbox.conversation("Oleg Meanwhile");
            assertThat(inbox.conversation("Nina Resume").findElement(InboxPage.testId("conversation-preview"))
                    .getText()).isEqualTo("During the drop");
            assertThat(inbox.samePageLoad()).isTrue();
            assertThat(inbox.find("connection-status").getText()).doesNotContain("Reconnecting");
            inbox.screenshot("inbox-resumed");
        } finally {
            if (back != null) {
                back.close();
            }
        }
    }

    /**
     * Back after the events it missed were pruned from the log: the stream says to start over, and the tab reads
     * again what it shows, the contact panel included (a rename it never heard of).
     */
    @Test
    void aStreamToldToStartOverReadsTheContactPanelAgainToo() {
        int port = freePort();
        TestServer first = TestServer.start(Map.of("http.port", String.valueOf(port)));
        TestServer back = null;
        try (ShopSystem shop = ShopSystem.connect(first, "Shop"); Browser browser = new Browser()) {
            long contact = shop.say("reset-1", "Rita Before", "cust-rita", "Is the red kettle back?")
                    .getLong("contactId");
            InboxPage inbox = new InboxPage(browser, first.url()).login(TestServer.ADMIN_EMAIL,
                    TestServer.ADMIN_PASSWORD).open("Rita Before");
            inbox.until(d -> "live".equals(inbox.connection()));
            inbox.until(d -> inbox.find("contact-name").getText().equals("Rita Before"));
            first.close();
            inbox.until(d -> "reconnecting".equals(inbox.connection()));

            TestServer otherNode = TestServer.startOn(first.databaseUrl(), TestServer.tempDir(), Map.of());
            try {
                otherNode.admin().patch("/api/v1/contacts/" + contact, new JsonObject().put("name", "Rita After"))
                        .expect(200);
                otherNode.throughline().database().sql().update(
                        "UPDATE events SET created_at = now() - interval '31 days'");
                assertThat(otherNode.throughline().eventRetention().prune()).isPositive();
            } finally {
                otherNode.close();
            }

            back = TestServer.startOn(first.databaseUrl(), first.dataDir(), Map.of("http.port", String.valueOf(port)));
            new WebDriverWait(browser.driver(), Duration.ofSeconds(45)).until(d -> "live".equals(inbox.connection()));
            inbox.until(d -> inbox.find("contact-name").getText().equals("Rita After"));
        } finally {
            if (back != null) {
                back.close();
            }
        }
    }

    private static int freePort() {
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getByName("127.0.0.1"))) {
            return socket.getLocalPort();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
