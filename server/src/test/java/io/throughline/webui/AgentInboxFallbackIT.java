package io.throughline.webui;

import static org.assertj.core.api.Assertions.assertThat;

import io.throughline.testing.ApiClient;
import io.throughline.testing.Browser;
import io.throughline.testing.FakeSmtp;
import io.throughline.testing.MailServer;
import io.throughline.testing.TestServer;
import io.throughline.testing.VisitorClient;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.openqa.selenium.WebElement;

/**
 * In the browser, a chat reply shows its email copy: scheduled while the visitor may still see it in the chat,
 * then sent once they stayed away, live, without a reload.
 */
class AgentInboxFallbackIT {

    private static final String SHOP = "http://shop.test:8443";
    private static final String SUPPORT = "support@lamps.test";
    private static final String VISITOR = "vera.lamp@example.com";

    @Test
    void aChatReplyShowsItsEmailCopyWaitingThenSent() {
        try (MailServer mail = MailServer.start().user(SUPPORT).user(VISITOR);
             TestServer server = TestServer.start(Map.of("widget.presenceGrace", "200ms"));
             Browser browser = new Browser()) {
            ApiClient admin = server.admin();
            admin.post("/api/v1/inboxes", new JsonObject().put("kind", "email").put("name", "Support").put("config",
                    mail.inboxConfig(SUPPORT, "Lamp Support", "reply.lamps.test").put("offlineEmailAfter", "15s")))
                    .expect(201);
            long conversation = visitorWrites(server, "Is the blue lamp back in stock?");
            // The thread is open before the reply: the 15 s the copy waits are not spent logging in (a loaded
            // machine, two test JVMs sharing two cores, took over 6 s to show the waiting line).
            InboxPage inbox = new InboxPage(browser, server.url()).login(TestServer.ADMIN_EMAIL,
                    TestServer.ADMIN_PASSWORD).open("Vera Lamp");
            admin.post("/api/v1/conversations/" + conversation + "/messages",
                    new JsonObject().put("body", "Yes, since Monday.")).expect(201);
            // Status and text read in one go: the copy may be sent (and the line redrawn) between two reads.
            String waiting = inbox.until(d -> {
                WebElement line = inbox.message("Yes, since Monday.").findElements(InboxPage.testId("fallback"))
                        .stream().findFirst().orElse(null);
                return line == null ? null : (String) inbox.script(
                        "return arguments[0].dataset.status + '|' + arguments[0].innerText", line);
            });
            assertThat(waiting).startsWith("pending|Email copy to Vera Lamp · " + VISITOR + " at ")
                    .endsWith("if the chat reply is still unseen");

            WebElement sent = inbox.until(d -> inbox.message("Yes, since Monday.")
                    .findElements(InboxPage.testId("fallback")).stream()
                    .filter(e -> "sent".equals(e.getDomAttribute("data-status"))).findFirst().orElse(null));
            assertThat(sent.getText()).isEqualTo("Email copy sent to Vera Lamp · " + VISITOR + ": the chat reply was not seen");
            assertThat(mail.inbox(VISITOR)).hasSize(1);
            inbox.screenshot("thread-email-copy");
        }
    }

    /**
     * An email copy the customer's mail server refused shows the refusal and a retry button (the reply itself went
     * out in the chat); retried once the address takes mail again, it is sent.
     */
    @Test
    void aFailedEmailCopyIsRetriedFromTheThread() {
        try (FakeSmtp smtp = FakeSmtp.rejecting(VISITOR);
             TestServer server = TestServer.start(Map.of("widget.presenceGrace", "200ms"));
             Browser browser = new Browser()) {
            ApiClient admin = server.admin();
            admin.post("/api/v1/inboxes", new JsonObject().put("kind", "email").put("name", "Support").put("config",
                    new JsonObject().put("address", SUPPORT).put("displayName", "Lamp Support")
                            .put("offlineEmailAfter", "1s")
                            .put("smtp", new JsonObject().put("host", "127.0.0.1").put("port", smtp.port())
                                    .put("security", "none").put("username", SUPPORT)
                                    .put("password", MailServer.PASSWORD)))).expect(201);
            long conversation = visitorWrites(server, "Do you ship to Lviv?");
            admin.post("/api/v1/conversations/" + conversation + "/messages",
                    new JsonObject().put("body", "Yes, in three days.")).expect(201);
            InboxPage inbox = new InboxPage(browser, server.url()).login(TestServer.ADMIN_EMAIL,
                    TestServer.ADMIN_PASSWORD).open("Vera Lamp");
            WebElement failed = inbox.until(d -> inbox.message("Yes, in three days.")
                    .findElements(InboxPage.testId("fallback")).stream()
                    .filter(e -> "failed".equals(e.getDomAttribute("data-status"))).findFirst().orElse(null));
            assertThat(failed.getText()).contains("Email copy to Vera Lamp · " + VISITOR + " failed:")
                    .contains("User unknown");
            assertThat(inbox.message("Yes, in three days.").findElements(InboxPage.testId("retry")))
                    .as("the chat reply itself was sent").isEmpty();

            smtp.acceptEveryone();
            failed.findElement(InboxPage.testId("retry-fallback")).click();
            WebElement sent = inbox.until(d -> inbox.message("Yes, in three days.")
                    .findElements(InboxPage.testId("fallback")).stream()
                    .filter(e -> "sent".equals(e.getDomAttribute("data-status"))).findFirst().orElse(null));
            assertThat(sent.findElements(InboxPage.testId("retry-fallback"))).isEmpty();
            assertThat(smtp.accepted()).hasSize(1);
        }
    }

    /**
     * A widget inbox on the shop's site, where a visitor who typed their name and address in the form writes
     * {@code text}: the conversation it started.
     */
    private static long visitorWrites(TestServer server, String text) {
        String siteKey = server.admin().post("/api/v1/inboxes", new JsonObject().put("kind", "widget")
                .put("name", "Shop").put("config", new JsonObject().put("allowedOrigins", new JsonArray().add(SHOP))))
                .expect(201).json().getString("siteKey");
        VisitorClient visitor = new VisitorClient(server.url(), siteKey, SHOP).start();
        visitor.post("/widget/v1/profile", new JsonObject().put("name", "Vera Lamp").put("email", VISITOR), true)
                .expect(200);
        try (VisitorClient.Socket socket = visitor.connect(visitor.seq())) {
            socket.message(text);
            return server.throughline().database().sql().single("SELECT conversation_id FROM messages WHERE id = $1",
                    socket.next("ack", Duration.ofSeconds(10)).getLong("messageId")).getLong("conversation_id");
        }
    }
}
