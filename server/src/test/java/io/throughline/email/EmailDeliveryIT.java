package io.throughline.email;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.throughline.testing.ApiClient;
import io.throughline.testing.FakeSmtp;
import io.throughline.testing.HeldTransaction;
import io.throughline.testing.MailServer;
import io.throughline.testing.QuitlessSmtp;
import io.throughline.testing.TestServer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Replies through SMTP servers that fail: an outage is retried with backoff and delivered exactly once, a 4xx is
 * retried, a 5xx fails at once with the server's words shown to the agent.
 */
class EmailDeliveryIT {

    private static TestServer server;
    private static ApiClient admin;

    @BeforeAll
    static void start() {
        server = TestServer.start(Map.of("outbox.maxAttempts", "30"));
        admin = server.admin();
    }

    @AfterAll
    static void stop() {
        server.close();
    }

    @Test
    void anSmtpOutageIsRetriedAndThenDeliveredOnce() {
        MailServer relay = MailServer.start().user("support@outage.test");
        int port = relay.smtpPort();
        long inbox = inbox("Outage", "support@outage.test", port);
        long conversation = conversationThrough(inbox, "olga@example.com");
        relay.close();

        long reply = reply(conversation, "We are looking into it.");
        await().atMost(Duration.ofSeconds(20)).until(() -> delivery(conversation, reply).getInteger("attempts") >= 3);
        JsonObject waiting = delivery(conversation, reply);
        assertThat(waiting.getString("status")).isEqualTo("pending");
        assertThat(waiting.getString("lastError")).contains("cannot connect to the SMTP server 127.0.0.1:" + port);

        try (MailServer back = MailServer.start(port).user("support@outage.test").user("olga@example.com")) {
            await().atMost(Duration.ofSeconds(20)).until(() -> "sent".equals(delivery(conversation, reply)
                    .getString("status")));
            assertThat(back.inbox("olga@example.com")).singleElement()
                    .satisfies(m -> assertThat(m.getSubject()).isEqualTo("Re: Help needed"));
        } finally {
            admin.delete("/api/v1/inboxes/" + inbox).expect(204);
        }
    }

    /** A changed password fails no reply: they wait, without spending attempts, and go once it is fixed. */
    @Test
    void aRefusedLoginHoldsTheRepliesUntilTheInboxIsFixedThenTheyGoAtOnce() {
        try (MailServer relay = MailServer.start().user("support@login.test").user("lina@example.com")
                .user("mira@example.com")) {
            long inbox = admin.post("/api/v1/inboxes", new JsonObject().put("kind", "email").put("name", "Login")
                    .put("config", smtpConfig("support@login.test", relay.smtpPort(), "an-old-password")))
                    .expect(201).json().getLong("id");
            try {
                long conversation = conversationThrough(inbox, "lina@example.com");
                long reply = reply(conversation, "Sent once the password is right.");
                await().atMost(Duration.ofSeconds(20)).until(() -> String.valueOf(delivery(conversation, reply)
                        .getString("lastError")).contains("refused the login"));
                JsonObject waiting = delivery(conversation, reply);
                assertThat(waiting.getString("status")).isEqualTo("pending");
                assertThat(waiting.getInteger("attempts")).as("the account's fault spends no attempt").isZero();
                // A reply to another customer does not log in again (a login per waiting reply, every 15 minutes,
                // would trip the provider's lockout).
                long other = conversationThrough(inbox, "mira@example.com");
                long second = reply(other, "And one for Mira.");
                await().atMost(Duration.ofSeconds(20)).until(() -> String.valueOf(delivery(other, second)
                        .getString("lastError")).contains("not tried: the account failed a moment ago"));

                admin.patch("/api/v1/inboxes/" + inbox, new JsonObject().put("config",
                        smtpConfig("support@login.test", relay.smtpPort(), MailServer.PASSWORD))).expect(200);
                await().atMost(Duration.ofSeconds(20)).until(() -> "sent".equals(delivery(conversation, reply)
                        .getString("status")) && "sent".equals(delivery(other, second).getString("status")));
                assertThat(relay.inbox("lina@example.com")).hasSize(1);
                assertThat(relay.inbox("mira@example.com")).hasSize(1);
            } finally {
                admin.delete("/api/v1/inboxes/" + inbox).expect(204);
            }
        }
    }

    /**
     * Replies that come due together (claimed at once) against a changed password try one login, not one per
     * send thread and queued reply: the others wait for it and are then held back by the pause it set.
     */
    @Test
    void repliesDueTogetherAgainstARefusedLoginTryOneLogin() {
        try (MailServer relay = MailServer.start().user("support@burst.test")) {
            long inbox = admin.post("/api/v1/inboxes", new JsonObject().put("kind", "email").put("name", "Burst")
                    .put("config", smtpConfig("support@burst.test", relay.smtpPort(), "an-old-password")))
                    .expect(201).json().getLong("id");
            try {
                List<Long> conversations = new ArrayList<>();
                for (int i = 0; i < 6; i++) {
                    conversations.add(conversationThrough(inbox, "burst" + i + "@example.com"));
                }
                // The outbox claims nothing meanwhile (claims take turns on this lock): the six come due together.
                HeldTransaction<Void> claims = HeldTransaction.start(server.throughline().database(), tx -> {
                    tx.single("SELECT pg_advisory_xact_lock($1)::text AS locked", 0x746c2d636c61696dL);
                    return null;
                });
                List<long[]> replies = new ArrayList<>();
                try {
                    for (long conversation : conversations) {
                        replies.add(new long[] {conversation, reply(conversation, "Reply to " + conversation)});
                    }
                } finally {
                    claims.commit();
                }
                await().atMost(Duration.ofSeconds(20)).until(() -> replies.stream()
                        .allMatch(r -> delivery(r[0], r[1]).getString("lastError") != null));
                List<String> reasons = replies.stream().map(r -> delivery(r[0], r[1]).getString("lastError"))
                        .toList();
                assertThat(reasons).filteredOn(reason -> reason.contains("refused the login")
                        && !reason.contains("not tried")).as("logins tried").hasSize(1);
                assertThat(reasons).filteredOn(reason -> reason.contains("not tried")).hasSize(5);
            } finally {
                admin.delete("/api/v1/inboxes/" + inbox).expect(204);
            }
        }
    }

    private static JsonObject smtpConfig(String address, int port, String password) {
        return new JsonObject().put("address", address).put("displayName", "Login")
                .put("smtp", new JsonObject().put("host", "127.0.0.1").put("port", port).put("security", "none")
                        .put("username", address).put("password", password));
    }

    @Test
    void aTemporarySmtpRefusalIsRetried() {
        try (FakeSmtp deferring = FakeSmtp.deferring(2)) {
            long inbox = inbox("Deferring", "support@defer.test", deferring.port());
            assertThat(sentAfter(inbox, "pat@example.com", "Retried until it goes through.")).isEqualTo(3);
            assertThat(deferring.accepted()).hasSize(1);
            admin.delete("/api/v1/inboxes/" + inbox).expect(204);
        }
    }

    @Test
    void aMailTheServerAcceptedIsNotSentAgainWhenItHangsUpAtQuit() throws IOException {
        try (QuitlessSmtp relay = new QuitlessSmtp()) {
            long inbox = inbox("Quitless", "support@quitless.test", relay.port());
            assertThat(sentAfter(inbox, "quinn@example.com", "Accepted once, sent once.")).isEqualTo(1);
            assertThat(relay.accepted()).hasSize(1);
            admin.delete("/api/v1/inboxes/" + inbox).expect(204);
        }
    }

    @Test
    void aPermanentSmtpRefusalFailsAtOnceWithTheServersReason() {
        try (FakeSmtp rejecting = FakeSmtp.rejecting("gone@example.com")) {
            long inbox = inbox("Rejecting", "support@reject.test", rejecting.port());
            long conversation = conversationThrough(inbox, "gone@example.com");
            long reply = reply(conversation, "This address no longer exists.");
            await().atMost(Duration.ofSeconds(20)).until(() -> "failed".equals(delivery(conversation, reply)
                    .getString("status")));
            JsonObject failed = delivery(conversation, reply);
            assertThat(failed.getInteger("attempts")).isEqualTo(1);
            assertThat(failed.getString("lastError")).isEqualTo("the SMTP server refused the recipient"
                    + " gone@example.com: 550 5.1.1 <gone@example.com>: Recipient address rejected: User unknown in"
                    + " virtual mailbox table");
            assertThat(rejecting.accepted()).isEmpty();
            admin.delete("/api/v1/inboxes/" + inbox).expect(204);
        }
    }

    /** A customer's mail through the inbox, the agent's reply to it; the attempts the reply took to be sent. */
    private static int sentAfter(long inbox, String customer, String body) {
        long conversation = conversationThrough(inbox, customer);
        long reply = reply(conversation, body);
        await().atMost(Duration.ofSeconds(20)).until(() -> "sent".equals(delivery(conversation, reply)
                .getString("status")));
        return delivery(conversation, reply).getInteger("attempts");
    }

    /**
     * An email inbox that only sends (mail would come in through the SMTP listener). Each test deletes its inbox:
     * a reply to a contact who never wrote by email goes through the workspace's first email inbox.
     */
    private static long inbox(String name, String address, int smtpPort) {
        return admin.post("/api/v1/inboxes", new JsonObject().put("kind", "email").put("name", name)
                .put("config", new JsonObject().put("address", address).put("displayName", name)
                        .put("smtp", new JsonObject().put("host", "127.0.0.1").put("port", smtpPort)
                                .put("security", "none").put("username", address)
                                .put("password", MailServer.PASSWORD)))).expect(201).json().getLong("id");
    }

    /** A conversation with a contact who has an email address, started through an API inbox. */
    private static long conversationThrough(long emailInbox, String customer) {
        JsonObject api = admin.post("/api/v1/inboxes", new JsonObject().put("kind", "api").put("name", "Shop "
                + emailInbox)).expect(201).json();
        JsonObject receipt = new ApiClient(server.url()).withToken(api.getString("token"))
                .post("/api/v1/inboxes/" + api.getLong("id") + "/inbound", new JsonObject()
                        .put("externalId", "first-" + customer)
                        .put("contact", new JsonObject().put("name", "Customer").put("identities", new JsonArray()
                                .add(new JsonObject().put("kind", "email").put("value", customer))))
                        .put("body", "Help needed")).expect(201).json();
        long conversation = receipt.getLong("conversationId");
        // The customer's first message names the subject the email thread will carry.
        server.throughline().database().sql().update("UPDATE messages SET subject = 'Help needed'"
                + " WHERE id = $1", receipt.getLong("messageId"));
        return conversation;
    }

    private static long reply(long conversation, String body) {
        return admin.post("/api/v1/conversations/" + conversation + "/messages", new JsonObject().put("body", body)
                .put("channel", "email")).expect(201).json().getLong("id");
    }

    private static JsonObject delivery(long conversation, long messageId) {
        JsonArray messages = admin.get("/api/v1/conversations/" + conversation + "/messages").expect(200).json()
                .getJsonArray("messages");
        for (int i = 0; i < messages.size(); i++) {
            if (messages.getJsonObject(i).getLong("id") == messageId) {
                return messages.getJsonObject(i).getJsonObject("delivery");
            }
        }
        throw new AssertionError("no message " + messageId);
    }
}
