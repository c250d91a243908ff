package io.throughline.email;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.throughline.delivery.ReplyFallbacks;
import io.throughline.testing.ApiClient;
import io.throughline.testing.MailServer;
import io.throughline.testing.TestServer;
import io.throughline.testing.WebhookReceiver;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import jakarta.mail.Message;
import jakarta.mail.internet.InternetAddress;
import jakarta.mail.internet.MimeMessage;
import jakarta.mail.internet.MimeMultipart;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The parts of chat-to-email continuity that need no widget: a reply's scheduled email fallback through the
 * email inbox, carrying the part of the conversation the customer missed; skipped when the reply was seen in time;
 * replaced by a newer one; and the customer's email answer landing in the same conversation. An API inbox stands
 * in for the chat, and the test schedules and marks seen directly, where the widget channel will.
 */
class EmailContinuityIT {

    private static final String SUPPORT = "support@acme.test";
    private static final String[] VISITORS = {"vera@example.com", "sam@example.com", "kim@example.com"};

    private static TestServer server;
    private static MailServer mail;
    private static WebhookReceiver chat;
    private static ApiClient admin;
    private static ApiClient shop;
    private static long apiInbox;
    private static long workspace;

    /** One visitor's conversation, so tests do not see each other's replies. */
    private record Visitor(String email, long conversation, long contact) {
    }

    @BeforeAll
    static void start() {
        mail = MailServer.start().user(SUPPORT);
        for (String visitor : VISITORS) {
            mail.user(visitor);
        }
        chat = new WebhookReceiver();
        server = TestServer.start();
        admin = server.admin();
        JsonObject email = mail.inboxConfig(SUPPORT, "Acme Support", "reply.acme.test").put("offlineEmailAfter", "1s");
        admin.post("/api/v1/inboxes", new JsonObject().put("kind", "email").put("name", "Support")
                .put("config", email)).expect(201);
        JsonObject api = admin.post("/api/v1/inboxes", new JsonObject().put("kind", "api").put("name", "Chat")
                .put("config", new JsonObject().put("webhookUrl", chat.url()))).expect(201).json();
        apiInbox = api.getLong("id");
        shop = new ApiClient(server.url()).withToken(api.getString("token"));
        workspace = server.throughline().workspaces().first().orElseThrow();
    }

    @AfterAll
    static void stop() {
        server.close();
        mail.close();
        chat.close();
    }

    @Test
    void aMissedReplyGoesByEmailWithTheChatAndTheEmailAnswerComesBack() throws Exception {
        Visitor vera = visitorSays(VISITORS[0], "Hi! Do you ship the Aurora lamp to Spain?");
        visitorSays(VISITORS[0], "And how long does it take?");
        long conversation = vera.conversation();
        long reply = agentReplies(vera, "Yes, we ship to Spain: 3 to 5 days.");
        assertThat(deliveries(vera, reply)).hasSize(1);

        scheduleFallback(vera, reply, Instant.now().minus(Duration.ofMinutes(5)));
        MimeMessage email = await().atMost(Duration.ofSeconds(20)).until(() -> mail.inbox(vera.email()),
                list -> !list.isEmpty()).getFirst();
        assertThat(email.getSubject()).isEqualTo("Your conversation with Acme Support");
        String text = (String) ((MimeMultipart) email.getContent()).getBodyPart(0).getContent();
        assertThat(text).startsWith("Yes, we ship to Spain: 3 to 5 days.")
                .contains("---- Earlier in your conversation ----")
                .contains("You, ").contains("Hi! Do you ship the Aurora lamp to Spain?")
                .contains("And how long does it take?");
        String replyTo = ((InternetAddress) email.getReplyTo()[0]).getAddress();
        assertThat(replyTo).startsWith("reply+c" + conversation + "k");
        await().atMost(Duration.ofSeconds(10)).until(() -> deliveries(vera, reply).size() == 2
                && "sent".equals(deliveries(vera, reply).getJsonObject(1).getString("status")));
        JsonObject fallback = deliveries(vera, reply).getJsonObject(1);
        assertThat(fallback.getString("channel")).isEqualTo("email");
        assertThat(fallback.getBoolean("conditional")).isTrue();
        assertThat(fallback.getJsonObject("to").getString("value")).isEqualTo(vera.email());

        MimeMessage answer = mail.compose("<visitor-answer-1@example.com>");
        answer.setFrom(new InternetAddress(vera.email()));
        answer.setRecipients(Message.RecipientType.TO, replyTo);
        answer.setSubject("Re: Your conversation with Acme Support");
        answer.setHeader("In-Reply-To", email.getMessageID());
        answer.setText("Perfect, I will order today.");
        mail.send(answer, SUPPORT);
        JsonObject back = await().atMost(Duration.ofSeconds(20)).until(() -> last(vera), m -> "email".equals(m
                .getString("channel")) && m.getString("body").startsWith("Perfect"));
        assertThat(back.getLong("conversationId")).isEqualTo(conversation);
        assertThat(back.getJsonObject("threading").getString("reason")).isEqualTo("reply_token");
    }

    @Test
    void aReplySeenInTimeIsNotEmailed() {
        Visitor sam = visitorSays(VISITORS[1], "Is the shop open on Sunday?");
        long reply = agentReplies(sam, "Seen before the fallback is due.");
        scheduleFallback(sam, reply, null);
        ReplyFallbacks fallbacks = server.throughline().replyFallbacks();
        assertThat(fallbacks.markSeen(workspace, List.of(reply), Instant.now())).isEqualTo(1);
        await().atMost(Duration.ofSeconds(20)).until(() -> deliveries(sam, reply).size() == 2
                && "skipped".equals(deliveries(sam, reply).getJsonObject(1).getString("status")));
        assertThat(deliveries(sam, reply).getJsonObject(1).getString("lastError")).startsWith("seen on api at ");
        assertThat(mail.inbox(sam.email())).isEmpty();
    }

    @Test
    void aNewerFallbackReplacesThePendingOneAndCarriesBothReplies() {
        Visitor kim = visitorSays(VISITORS[2], "Do you have the lamp in blue?");
        long first = agentReplies(kim, "First answer while you were away.");
        scheduleFallback(kim, first, null);
        long second = agentReplies(kim, "Second answer: the lamp is in stock.");
        scheduleFallback(kim, second, null);
        assertThat(deliveries(kim, first).getJsonObject(1).getString("status")).isEqualTo("skipped");
        assertThat(deliveries(kim, first).getJsonObject(1).getString("lastError"))
                .contains("included in a later email");
        MimeMessage email = await().atMost(Duration.ofSeconds(20)).until(() -> mail.inbox(kim.email()),
                list -> !list.isEmpty()).getFirst();
        assertThat(body(email)).startsWith("Second answer").contains("First answer while you were away.")
                .contains("Do you have the lamp in blue?");
        await().during(Duration.ofSeconds(2)).atMost(Duration.ofSeconds(5))
                .until(() -> mail.inbox(kim.email()).size() == 1);
    }

    private static void scheduleFallback(Visitor visitor, long reply, Instant offlineSince) {
        ReplyFallbacks fallbacks = server.throughline().replyFallbacks();
        Optional<Long> scheduled = server.throughline().database().tx(tx -> fallbacks.schedule(tx, workspace,
                visitor.conversation(), visitor.contact(), reply, offlineSince));
        assertThat(scheduled).isPresent();
    }

    /** The visitor writes in the chat, with the email they typed into the pre-chat form. */
    private static Visitor visitorSays(String email, String text) {
        JsonObject receipt = shop.post("/api/v1/inboxes/" + apiInbox + "/inbound", new JsonObject()
                .put("externalId", email + "-" + text.hashCode())
                .put("contact", new JsonObject().put("name", "Visitor").put("identities", new JsonArray()
                        .add(new JsonObject().put("kind", "external_id").put("value", "visitor-" + email))
                        .add(new JsonObject().put("kind", "email").put("value", email))))
                .put("body", text)).expect(201).json();
        return new Visitor(email, receipt.getLong("conversationId"), receipt.getLong("contactId"));
    }

    private static long agentReplies(Visitor visitor, String text) {
        return admin.post("/api/v1/conversations/" + visitor.conversation() + "/messages", new JsonObject()
                .put("body", text).put("channel", "api")).expect(201).json().getLong("id");
    }

    private static JsonArray deliveries(Visitor visitor, long messageId) {
        JsonArray messages = admin.get("/api/v1/conversations/" + visitor.conversation() + "/messages?limit=200")
                .json()
                .getJsonArray("messages");
        for (int i = 0; i < messages.size(); i++) {
            if (messages.getJsonObject(i).getLong("id") == messageId) {
                return messages.getJsonObject(i).getJsonArray("deliveries");
            }
        }
        throw new AssertionError("no message " + messageId);
    }

    private static JsonObject last(Visitor visitor) {
        JsonArray messages = admin.get("/api/v1/conversations/" + visitor.conversation() + "/messages?limit=200")
                .json()
                .getJsonArray("messages");
        return messages.getJsonObject(messages.size() - 1);
    }

    private static String body(MimeMessage message) {
        try {
            return (String) ((MimeMultipart) message.getContent()).getBodyPart(0).getContent();
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

}
