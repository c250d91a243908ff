package io.throughline.email;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.throughline.testing.ApiClient;
import io.throughline.testing.MailServer;
import io.throughline.testing.TestServer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import jakarta.mail.Message;
import jakarta.mail.internet.InternetAddress;
import jakarta.mail.internet.MimeMessage;
import jakarta.mail.internet.MimeMultipart;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The email channel end to end: GreenMail's IMAP (IDLE) and SMTP against the real server. */
class EmailChannelIT {

    private static final String SUPPORT = "support@acme.test";
    private static final String CUSTOMER = "ann@example.com";
    private static final String CUSTOMER_OTHER = "ann.private@example.org";

    private static TestServer server;
    private static MailServer mail;
    private static ApiClient admin;
    private static long inboxId;

    @BeforeAll
    static void start() {
        mail = MailServer.start().user(SUPPORT).user(CUSTOMER).user(CUSTOMER_OTHER);
        server = TestServer.start();
        admin = server.admin();
        inboxId = admin.post("/api/v1/inboxes", new JsonObject().put("kind", "email").put("name", "Support")
                .put("config", mail.inboxConfig(SUPPORT, "Acme Support", "reply.acme.test"))).expect(201).json()
                .getLong("id");
    }

    @AfterAll
    static void stop() {
        server.close();
        mail.close();
    }

    @Test
    void customerMailBecomesAConversationAndTheReplyThreadsInTheirClient() throws Exception {
        MimeMessage first = mail.compose("<CAF=first-42@mail.example.com>");
        first.setFrom(new InternetAddress(CUSTOMER, "Ann Lee"));
        first.setRecipients(Message.RecipientType.TO, SUPPORT);
        first.setSubject("Order 42 is late");
        first.setText("Hello, my order 42 has not arrived yet.\n\nAnn");
        first.saveChanges();
        String firstId = first.getMessageID();
        mail.send(first);

        JsonObject conversation = await().atMost(Duration.ofSeconds(20)).until(() -> conversationWith("order 42"),
                c -> c != null);
        long conversationId = conversation.getLong("id");
        JsonObject inbound = messages(conversationId).getJsonObject(0);
        assertThat(inbound.getString("channel")).isEqualTo("email");
        assertThat(inbound.getString("subject")).isEqualTo("Order 42 is late");
        assertThat(inbound.getString("body")).contains("has not arrived yet");
        assertThat(inbound.getJsonObject("threading").getString("reason")).isEqualTo("new");
        assertThat(inbound.getString("externalId")).isEqualTo(firstId.substring(1, firstId.length() - 1));

        JsonObject reply = admin.post("/api/v1/conversations/" + conversationId + "/messages",
                new JsonObject().put("body", "Sorry Ann, it ships today.\nTracking: https://track.example/42"))
                .expect(201).json();
        MimeMessage received = await().atMost(Duration.ofSeconds(20)).until(() -> mail.inbox(CUSTOMER),
                list -> !list.isEmpty()).getFirst();
        assertThat(received.getSubject()).isEqualTo("Re: Order 42 is late");
        InternetAddress from = (InternetAddress) received.getFrom()[0];
        assertThat(from.getAddress()).isEqualTo(SUPPORT);
        assertThat(from.getPersonal()).isEqualTo("Admin via Acme Support");
        assertThat(received.getMessageID()).isEqualTo("<msg-" + reply.getLong("id") + "." + conversationId
                + "@reply.acme.test>");
        assertThat(received.getHeader("In-Reply-To", null)).isEqualTo(firstId);
        assertThat(received.getHeader("References", null)).contains(firstId);
        String replyTo = ((InternetAddress) received.getReplyTo()[0]).getAddress();
        assertThat(replyTo).matches("reply\\+c" + conversationId + "k[0-9a-f]{20}@reply\\.acme\\.test");
        MimeMultipart body = (MimeMultipart) received.getContent();
        assertThat(body.getContentType()).startsWith("multipart/alternative");
        assertThat((String) body.getBodyPart(0).getContent()).contains("it ships today");
        assertThat((String) body.getBodyPart(1).getContent()).contains("<a href=\"https://track.example/42\">");
        await().atMost(Duration.ofSeconds(10)).until(() -> "sent".equals(messages(conversationId)
                .getJsonObject(1).getJsonObject("delivery").getString("status")));

        // Outlook-style answer from the customer's other address: new headers, no In-Reply-To or References,
        // only the reply token in the address they answered to.
        MimeMessage outlook = mail.compose("<AM0PR01MB-outlook-1@eurprd01.prod.outlook.com>");
        outlook.setFrom(new InternetAddress(CUSTOMER_OTHER, "Ann Lee"));
        outlook.setRecipients(Message.RecipientType.TO, replyTo);
        outlook.setSubject("RE: Order 42 is late");
        outlook.setText("Thanks! Please send it to my office instead.");
        mail.send(outlook, SUPPORT);
        JsonObject answer = await().atMost(Duration.ofSeconds(20)).until(() -> messages(conversationId),
                list -> list.size() == 3).getJsonObject(2);
        assertThat(answer.getJsonObject("threading").getString("reason")).isEqualTo("reply_token");
        assertThat(answer.getJsonArray("flags").getList()).contains("unverified_sender");

        // A plain answer from the first address, threaded by In-Reply-To only.
        MimeMessage plain = mail.compose("<plain-answer-1@example.com>");
        plain.setFrom(new InternetAddress(CUSTOMER));
        plain.setRecipients(Message.RecipientType.TO, SUPPORT);
        plain.setSubject("totally different subject");
        plain.setHeader("In-Reply-To", received.getMessageID());
        plain.setText("One more thing.");
        mail.send(plain);
        JsonObject byHeader = await().atMost(Duration.ofSeconds(20)).until(() -> messages(conversationId),
                list -> list.size() == 4).getJsonObject(3);
        assertThat(byHeader.getJsonObject("threading").getString("reason")).isEqualTo("in_reply_to");
        assertThat(byHeader.getJsonArray("flags").getList()).doesNotContain("unverified_sender");
        assertThat(admin.get("/api/v1/conversations").json().getJsonArray("conversations")).hasSize(1);
    }

    private static JsonObject conversationWith(String text) {
        JsonArray list = admin.get("/api/v1/conversations").expect(200).json().getJsonArray("conversations");
        for (int i = 0; i < list.size(); i++) {
            JsonObject c = list.getJsonObject(i);
            JsonObject last = c.getJsonObject("lastMessage");
            if (last != null && last.getString("preview", "").toLowerCase().contains(text)) {
                return c;
            }
        }
        return null;
    }

    private static JsonArray messages(long conversationId) {
        return admin.get("/api/v1/conversations/" + conversationId + "/messages").expect(200).json()
                .getJsonArray("messages");
    }

    static List<String> flags(JsonObject message) {
        return message.getJsonArray("flags").getList();
    }
}
