package io.throughline.webui;

import static org.assertj.core.api.Assertions.assertThat;

import io.throughline.testing.ApiClient;
import io.throughline.testing.Browser;
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
                    mail.inboxConfig(SUPPORT, "Lamp Support", "reply.lamps.test").put("offlineEmailAfter", "6s")))
                    .expect(201);
            String siteKey = admin.post("/api/v1/inboxes", new JsonObject().put("kind", "widget").put("name", "Shop")
                    .put("config", new JsonObject().put("allowedOrigins", new JsonArray().add(SHOP))))
                    .expect(201).json().getString("siteKey");

            VisitorClient visitor = new VisitorClient(server.url(), siteKey, SHOP).start();
            visitor.post("/widget/v1/profile", new JsonObject().put("name", "Vera Lamp").put("email", VISITOR), true)
                    .expect(200);
            long conversation;
            try (VisitorClient.Socket socket = visitor.connect(visitor.seq())) {
                socket.message("Is the blue lamp back in stock?");
                conversation = server.throughline().database().sql().single(
                        "SELECT conversation_id FROM messages WHERE id = $1",
                        socket.next("ack", Duration.ofSeconds(10)).getLong("messageId")).getLong("conversation_id");
            }
            // The thread is open before the reply: the 6 s the copy waits are not spent logging in.
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
}
