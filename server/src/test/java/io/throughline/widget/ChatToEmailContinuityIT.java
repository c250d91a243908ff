package io.throughline.widget;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.throughline.testing.ApiClient;
import io.throughline.testing.ApiInbox;
import io.throughline.testing.HeldTransaction;
import io.throughline.testing.MailServer;
import io.throughline.testing.TestPostgres;
import io.throughline.testing.TestServer;
import io.throughline.testing.VisitorClient;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import jakarta.mail.Message;
import jakarta.mail.internet.InternetAddress;
import jakarta.mail.internet.MimeMessage;
import jakarta.mail.internet.MimeMultipart;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Supplier;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Chat-to-email-to-chat continuity (ARCHITECTURE.md rule 4), end to end through the real widget protocol, the
 * outbox, SMTP and IMAP: a visitor chats, gives an email and leaves; the agent's reply, unseen after the email
 * inbox's {@code offlineEmailAfter}, goes by email with the part of the chat the visitor missed; their email answer
 * lands in the same conversation; and back on the site, signed in, they see the email exchange in the widget. A
 * reply seen in the chat is never emailed, and a visitor still on the site holds the email back.
 */
class ChatToEmailContinuityIT {

    private static final Duration WAIT = Duration.ofSeconds(20);
    private static final String SUPPORT = "support@acme.test";
    private static final Duration OFFLINE_AFTER = Duration.ofMillis(1500);

    private static TestServer server;
    private static MailServer mail;
    private static ApiClient admin;
    private static String siteKey;
    private static String identitySecret;

    @BeforeAll
    static void start() {
        mail = MailServer.start().user(SUPPORT);
        server = TestServer.start(Map.of("widget.presenceGrace", "200ms", "widget.newSessionsPerIp", "1000"));
        admin = server.admin();
        admin.post("/api/v1/inboxes", new JsonObject().put("kind", "email").put("name", "Support").put("config",
                mail.inboxConfig(SUPPORT, "Acme Support", "reply.acme.test").put("offlineEmailAfter",
                        OFFLINE_AFTER.toMillis() + "ms")))
                .expect(201);
        JsonObject widget = Widgets.create(admin, Widgets.SHOP);
        siteKey = widget.getString("siteKey");
        identitySecret = widget.getString("identitySecret");
    }

    @AfterAll
    static void stop() {
        server.close();
        mail.close();
    }

    @Test
    void aReplyMissedAfterLeavingGoesByEmailAndTheAnswerIsInTheWidgetOnTheNextVisit() throws Exception {
        String email = "vera@example.com";
        mail.user(email);
        VisitorClient visitor = new VisitorClient(server.url(), siteKey, Widgets.SHOP).start();
        long conversation;
        try (VisitorClient.Socket socket = visitor.connect(visitor.seq())) {
            socket.message("Hi! Do you ship the Aurora lamp to Spain?");
            conversation = Widgets.conversationOf(server, socket.next("ack", WAIT).getLong("messageId"));
            socket.message("And how long does it take?");
            socket.next("ack", WAIT);
            // Something the agent removes: the email never carries it, not even as an empty line.
            socket.message("My card is 4111 1111 1111 1111, in case");
            long card = socket.next("ack", WAIT).getLong("messageId");
            admin.post("/api/v1/messages/" + card + "/redact", null).expect(200);
            // The pre-chat form, filled after writing: the email joins the contact at once, as claimed.
            visitor.post("/widget/v1/profile", new JsonObject().put("email", email), true).expect(200);
        }
        // An open contact panel is told to show the address.
        assertThat(server.throughline().database().sql().single("""
                SELECT count(*) AS n FROM events e JOIN conversations c ON c.id = $1
                WHERE e.type = 'contact.updated' AND e.data ->> 'contactId' = c.contact_id::text""", conversation)
                .getLong("n")).isEqualTo(1);
        awaitOffline(visitor);

        long reply = agentReplies(conversation, "Yes, we ship to Spain: 3 to 5 days.");
        JsonArray deliveries = deliveries(conversation, reply);
        assertThat(deliveries).hasSize(2);
        assertThat(deliveries.getJsonObject(0).getString("channel")).isEqualTo("widget");
        JsonObject fallback = deliveries.getJsonObject(1);
        assertThat(fallback.getString("channel")).isEqualTo("email");
        assertThat(fallback.getBoolean("conditional")).isTrue();
        assertThat(fallback.getString("status")).isEqualTo("pending");
        assertThat(fallback.getJsonObject("to").getString("value")).isEqualTo(email);

        MimeMessage sent = await().atMost(WAIT).until(() -> mail.inbox(email), list -> !list.isEmpty()).getFirst();
        assertThat(sent.getSubject()).isEqualTo("Your conversation with Acme Support");
        assertThat(text(sent)).startsWith("Yes, we ship to Spain: 3 to 5 days.")
                .contains("---- Earlier in your conversation ----")
                .contains("Hi! Do you ship the Aurora lamp to Spain?").contains("And how long does it take?")
                .doesNotContain("4111");
        assertThat(text(sent).split("\nYou, ", -1)).as("the customer's lines in the transcript").hasSize(3);
        String replyTo = ((InternetAddress) sent.getReplyTo()[0]).getAddress();
        assertThat(replyTo).startsWith("reply+").endsWith("@reply.acme.test");
        await().atMost(WAIT).until(() -> "sent".equals(deliveries(conversation, reply).getJsonObject(1)
                .getString("status")));

        MimeMessage answer = mail.compose("<vera-answer-1@example.com>");
        answer.setFrom(new InternetAddress(email, "Vera"));
        answer.setRecipients(Message.RecipientType.TO, replyTo);
        answer.setSubject("Re: Your conversation with Acme Support");
        answer.setHeader("In-Reply-To", sent.getMessageID());
        answer.setText("Perfect, I will order today.\n\nOn Monday Acme Support wrote:\n> Yes, we ship to Spain");
        mail.send(answer, SUPPORT);
        JsonObject back = await().atMost(WAIT).until(() -> last(conversation),
                m -> "email".equals(m.getString("channel")));
        assertThat(back.getLong("conversationId")).isEqualTo(conversation);
        assertThat(back.getJsonObject("threading").getString("reason")).isEqualTo("reply_token");
        // The answer came from the address the fallback was sent to: the round trip proves it is hers.
        assertThat(back.getJsonArray("flags")).doesNotContain("unverified_sender");

        // Back on the shop, signed in: the site proves her email, and the widget shows the whole story.
        VisitorClient signedIn = new VisitorClient(server.url(), siteKey, Widgets.SHOP).start(new JsonObject()
                .put("email", email).put("hmac", IdentitySignature.sign(identitySecret, email)));
        List<String> bodies = signedIn.history().stream().map(m -> ((JsonObject) m).getString("body")).toList();
        assertThat(bodies).contains("Hi! Do you ship the Aurora lamp to Spain?", "Yes, we ship to Spain: 3 to 5 days.")
                .anyMatch(body -> body.startsWith("Perfect, I will order today."));

        // The anonymous browser she first chatted from still sees only its own chat, not the email answer.
        List<String> anonymous = visitor.history().stream().map(m -> ((JsonObject) m).getString("body")).toList();
        assertThat(anonymous).noneMatch(body -> body.startsWith("Perfect"));
    }

    @Test
    void aReplySeenInTheChatIsNotEmailed() {
        String email = "sam@example.com";
        VisitorClient visitor = visitorWithEmail(email);
        long conversation;
        long reply;
        try (VisitorClient.Socket socket = visitor.connect(visitor.seq())) {
            socket.message("Is the shop open on Sunday?");
            conversation = Widgets.conversationOf(server, socket.next("ack", WAIT).getLong("messageId"));
            reply = agentReplies(conversation, "Yes, 10 to 16.");
            socket.next(f -> "message".equals(f.getString("type"))
                    && f.getJsonObject("message").getLong("id") == reply, WAIT);
            socket.send(new JsonObject().put("type", "seen").put("messageId", reply));
            await().atMost(WAIT).until(() -> "delivered".equals(deliveries(conversation, reply).getJsonObject(0)
                    .getString("status")));
        }
        awaitOffline(visitor);
        await().atMost(WAIT).until(() -> "skipped".equals(deliveries(conversation, reply).getJsonObject(1)
                .getString("status")));
        assertThat(deliveries(conversation, reply).getJsonObject(1).getString("lastError"))
                .startsWith("seen on widget at ");
        assertThat(mail.inbox(email)).isEmpty();
    }

    @Test
    void retryingAFailedChatReplyRetriesItAndLeavesItsEmailFallbackWaiting() {
        VisitorClient visitor = visitorWithEmail("ruth@example.com");
        try (VisitorClient.Socket socket = visitor.connect(visitor.seq())) {
            socket.message("Do you ship to Lviv?");
            long conversation = Widgets.conversationOf(server, socket.next("ack", WAIT).getLong("messageId"));
            long reply = agentReplies(conversation, "We do, in three days.");
            socket.next(f -> "message".equals(f.getString("type"))
                    && f.getJsonObject("message").getLong("id") == reply, WAIT);
            JsonArray both = deliveries(conversation, reply);
            assertThat(both.getJsonObject(1).getString("status")).as("held back while the visitor is here")
                    .isEqualTo("pending");
            // What the chat delivery becomes when its inbox is disabled before it goes out (no race to set up here).
            server.throughline().database().sql().update("UPDATE deliveries SET status = 'failed', last_error ="
                    + " 'the inbox was disabled or deleted' WHERE id = $1", both.getJsonObject(0).getLong("id"));

            JsonObject retried = admin.post("/api/v1/messages/" + reply + "/retry", new JsonObject()).expect(200)
                    .json();
            assertThat(retried.getJsonObject("delivery").getLong("id")).isEqualTo(both.getJsonObject(0).getLong("id"));
            await().atMost(WAIT).until(() -> "sent".equals(deliveries(conversation, reply).getJsonObject(0)
                    .getString("status")));
            assertThat(deliveries(conversation, reply).getJsonObject(1).getString("status")).isEqualTo("pending");
        }
    }

    /**
     * Retry is idempotent: a second click (or a client retrying after a lost answer) while the reply waits to go
     * again answers it as it is, rather than putting its failed email copy back in the outbox too.
     */
    @Test
    void retryingTwiceRetriesTheReplyOnceAndLeavesItsFailedEmailCopyAlone() {
        VisitorClient visitor = visitorWithEmail("rita@example.com");
        try (VisitorClient.Socket socket = visitor.connect(visitor.seq())) {
            socket.message("Can I pay on delivery?");
            long conversation = Widgets.conversationOf(server, socket.next("ack", WAIT).getLong("messageId"));
            long reply = agentReplies(conversation, "Yes, by card or cash.");
            socket.next(f -> "message".equals(f.getString("type"))
                    && f.getJsonObject("message").getLong("id") == reply, WAIT);
            JsonArray both = deliveries(conversation, reply);
            server.throughline().database().sql().update("UPDATE deliveries SET status = 'failed', last_error ="
                    + " 'refused' WHERE id IN ($1, $2)", both.getJsonObject(0).getLong("id"),
                    both.getJsonObject(1).getLong("id"));
            // The outbox claims nothing meanwhile (claims take turns on this lock): the reply stays waiting.
            HeldTransaction<Void> claims = HeldTransaction.start(server.throughline().database(), tx -> {
                tx.single("SELECT pg_advisory_xact_lock($1)::text AS locked", 0x746c2d636c61696dL);
                return null;
            });
            try {
                admin.post("/api/v1/messages/" + reply + "/retry", new JsonObject()).expect(200);
                JsonObject again = admin.post("/api/v1/messages/" + reply + "/retry", new JsonObject()).expect(200)
                        .json();
                assertThat(again.getJsonObject("delivery").getString("status")).isEqualTo("pending");
                assertThat(deliveries(conversation, reply).getJsonObject(1).getString("status"))
                        .as("the email copy").isEqualTo("failed");
            } finally {
                claims.commit();
            }
            await().atMost(WAIT).until(() -> "sent".equals(deliveries(conversation, reply).getJsonObject(0)
                    .getString("status")));
        }
    }

    @Test
    void aVisitorStillOnTheSiteHoldsTheEmailBackUntilTheyLeave() {
        String email = "kim@example.com";
        VisitorClient visitor = visitorWithEmail(email);
        long conversation;
        long first;
        long second;
        Instant left;
        try (VisitorClient.Socket socket = visitor.connect(visitor.seq())) {
            socket.message("Do you have the lamp in blue?");
            conversation = Widgets.conversationOf(server, socket.next("ack", WAIT).getLong("messageId"));
            first = agentReplies(conversation, "Let me check the stock.");
            // On the site with the chat closed: the reply is not seen, and no email goes while they stay.
            await().during(Duration.ofSeconds(3)).atMost(Duration.ofSeconds(6)).until(() ->
                    "pending".equals(deliveries(conversation, first).getJsonObject(1).getString("status")));
            assertThat(mail.inbox(email)).isEmpty();
            second = agentReplies(conversation, "It is in stock: shipping today if you order by 5 pm.");
            left = Instant.now();
        }
        awaitOffline(visitor);
        // A newer fallback replaced the first: one email, carrying both replies.
        assertThat(deliveries(conversation, first).getJsonObject(1).getString("status")).isEqualTo("skipped");
        MimeMessage sent = await().atMost(WAIT).until(() -> mail.inbox(email), list -> !list.isEmpty()).getFirst();
        assertThat(text(sent)).startsWith("It is in stock").contains("Let me check the stock.")
                .contains("Do you have the lamp in blue?");
        await().atMost(WAIT).until(() -> "sent".equals(deliveries(conversation, second).getJsonObject(1)
                .getString("status")));
        // Sent only once she had been away for offlineEmailAfter, not when it first came due.
        JsonObject fallback = deliveries(conversation, second).getJsonObject(1);
        assertThat(Instant.parse(fallback.getString("sentAt"))).isAfterOrEqualTo(left.plus(OFFLINE_AFTER));
        assertThat(mail.inbox(email)).hasSize(1);
    }

    /**
     * A signed-in customer types someone else's address into the chat form; the missed reply goes there by email,
     * and its owner answers ("who is this?"). The round trip proves the mailbox answered, not that it is the
     * customer's: the address stays a claim, the answer is flagged, and that person's later mail opens a thread of
     * their own rather than landing in the one the signed-in customer's widget shows whole.
     */
    @Test
    void anAddressASignedInCustomerTypedIsNotProvenTheirsByItsOwnersAnswer() throws Exception {
        String email = "xenia@example.com";
        mail.user(email);
        VisitorClient visitor = new VisitorClient(server.url(), siteKey, Widgets.SHOP).start(new JsonObject()
                .put("externalId", "cust-typist").put("hmac", IdentitySignature.sign(identitySecret, "cust-typist")));
        visitor.post("/widget/v1/profile", new JsonObject().put("email", email), true).expect(200);
        long conversation;
        try (VisitorClient.Socket socket = visitor.connect(visitor.seq())) {
            socket.message("Please send the invoice here.");
            conversation = Widgets.conversationOf(server, socket.next("ack", WAIT).getLong("messageId"));
        }
        awaitOffline(visitor);
        agentReplies(conversation, "Here is your invoice.");
        MimeMessage sent = await().atMost(WAIT).until(() -> mail.inbox(email), list -> !list.isEmpty()).getFirst();
        MimeMessage answer = mail.compose("<xenia-answer-1@example.com>");
        answer.setFrom(new InternetAddress(email, "Xenia"));
        answer.setRecipients(Message.RecipientType.TO, ((InternetAddress) sent.getReplyTo()[0]).getAddress());
        answer.setSubject("Re: " + sent.getSubject());
        answer.setHeader("In-Reply-To", sent.getMessageID());
        answer.setText("Who is this? I never ordered anything.");
        mail.send(answer, SUPPORT);
        JsonObject back = await().atMost(WAIT).until(() -> last(conversation),
                m -> "email".equals(m.getString("channel")));
        assertThat(back.getJsonArray("flags")).contains("unverified_sender");
        long contact = admin.get("/api/v1/conversations/" + conversation).expect(200).json()
                .getJsonObject("contact").getLong("id");
        assertThat(admin.get("/api/v1/contacts/" + contact).expect(200).json().getJsonArray("identities").stream()
                .map(JsonObject.class::cast).filter(i -> "email".equals(i.getString("kind")))
                .map(i -> i.getString("value") + (i.getBoolean("proven") ? ":proven" : ":claimed")).toList())
                .containsExactly(email + ":claimed");

        MimeMessage later = mail.compose("<xenia-later-1@example.com>");
        later.setFrom(new InternetAddress(email, "Xenia"));
        later.setRecipients(Message.RecipientType.TO, SUPPORT);
        later.setSubject("My own question");
        later.setText("Do you deliver to Lviv?");
        mail.send(later, SUPPORT);
        await().atMost(WAIT).until(() -> admin.get("/api/v1/conversations?limit=100").expect(200).json()
                .getJsonArray("conversations").stream().map(JsonObject.class::cast)
                .anyMatch(c -> c.getLong("id") != conversation && c.getJsonObject("lastMessage") != null
                        && c.getJsonObject("lastMessage").getString("preview", "").contains("deliver to Lviv")));
        assertThat(visitor.history().stream().map(m -> ((JsonObject) m).getString("body")))
                .noneMatch(body -> body.contains("deliver to Lviv"));
    }

    /**
     * A node whose clock runs ten minutes behind the database's: a visitor still on the site postpones the email
     * to an instant its clock computes, already past for the database. It waits a second at least, rather than
     * being claimed and postponed again at once (hundreds of times a second) until that clock catches up.
     */
    @Test
    void aNodeWhoseClockRunsBehindPostponesTheFallbackIntoTheFuture() {
        Clock behind = Clock.offset(Clock.systemUTC(), Duration.ofMinutes(-10));
        try (TestServer lagging = TestServer.startOn(TestPostgres.newDatabase(), TestServer.tempDir(),
                Map.of("widget.presenceGrace", "200ms"), behind)) {
            String email = "lou@example.com";
            mail.user(email);
            ApiClient agent = lagging.admin();
            agent.post("/api/v1/inboxes", new JsonObject().put("kind", "email").put("name", "Support").put("config",
                    mail.inboxConfig(SUPPORT, "Acme Support", "reply.acme.test").put("offlineEmailAfter",
                            OFFLINE_AFTER.toMillis() + "ms")))
                    .expect(201);
            String site = Widgets.create(agent, Widgets.SHOP).getString("siteKey");
            VisitorClient visitor = new VisitorClient(lagging.url(), site, Widgets.SHOP).start();
            visitor.post("/widget/v1/profile", new JsonObject().put("email", email), true).expect(200);
            try (VisitorClient.Socket socket = visitor.connect(visitor.seq())) {
                socket.message("Is the sofa available in grey?");
                long conversation = Widgets.conversationOf(lagging, socket.next("ack", WAIT).getLong("messageId"));
                long reply = agent.post("/api/v1/conversations/" + conversation + "/messages",
                        new JsonObject().put("body", "Yes, in two weeks.")).expect(201).json().getLong("id");
                Supplier<JsonObject> fallback = () -> agent.get("/api/v1/conversations/" + conversation
                        + "/messages?limit=200").json().getJsonArray("messages").stream().map(m -> (JsonObject) m)
                        .filter(m -> m.getLong("id") == reply).findFirst().orElseThrow()
                        .getJsonArray("deliveries").getJsonObject(1);
                String created = fallback.get().getString("updatedAt");
                // Postponed once the chat reply went out and the fallback came due with the visitor still there:
                // into the future, by the database's clock (by this node's, ten minutes behind, it would come due
                // again at once, for ever). A poll may land inside a claim, before its postponement: the wait is
                // for the postponed state.
                JsonObject postponed = await().atMost(WAIT).until(fallback::get,
                        f -> !f.getString("updatedAt").equals(created) && f.getString("nextAttemptAt") != null
                                && !Instant.parse(f.getString("nextAttemptAt"))
                                        .isBefore(Instant.parse(f.getString("updatedAt")).plusSeconds(1)));
                assertThat(postponed.getString("status")).isEqualTo("pending");
                // Over two seconds it is claimed and postponed again about once a second (each claim and each
                // postponement stamps it), never again and again at once: a poll every 50 ms would see a new
                // stamp almost every time. A poll may land inside a claim, before its postponement: only the
                // count of changes is looked at.
                Set<String> stamps = new HashSet<>();
                await().during(Duration.ofSeconds(2)).atMost(Duration.ofSeconds(5)).pollInterval(Duration.ofMillis(50))
                        .until(fallback::get, f -> {
                            stamps.add(f.getString("updatedAt"));
                            return "pending".equals(f.getString("status"));
                        });
                assertThat(stamps).as("changes seen in two seconds").hasSizeLessThanOrEqualTo(8);
                assertThat(mail.inbox(email)).isEmpty();
            }
        }
    }

    /**
     * The email copy of a later reply takes the earlier ones in; when the agent removes that later reply, an earlier
     * copy waits again, so what the customer missed is still emailed (without the removed reply).
     */
    @Test
    void removingTheReplyWhoseEmailTookTheEarlierOnesInStillEmailsThem() {
        String email = "oksana@example.com";
        VisitorClient visitor = visitorWithEmail(email);
        long conversation;
        long first;
        long removed;
        try (VisitorClient.Socket socket = visitor.connect(visitor.seq())) {
            socket.message("When does my parcel leave?");
            conversation = Widgets.conversationOf(server, socket.next("ack", WAIT).getLong("messageId"));
            first = agentReplies(conversation, "It leaves the warehouse on Monday.");
            removed = agentReplies(conversation, "Your account password is hunter2");
            assertThat(deliveries(conversation, first).getJsonObject(1).getString("status")).isEqualTo("skipped");
            admin.post("/api/v1/messages/" + removed + "/redact", null).expect(200);
            assertThat(deliveries(conversation, first).getJsonObject(1).getString("status")).isEqualTo("pending");
        }
        awaitOffline(visitor);
        await().atMost(WAIT).until(() -> "sent".equals(deliveries(conversation, first).getJsonObject(1)
                .getString("status")));
        assertThat(mail.inbox(email)).hasSize(1);
        assertThat(text(mail.inbox(email).getFirst())).startsWith("It leaves the warehouse on Monday.")
                .doesNotContain("hunter2");
        assertThat(deliveries(conversation, removed).getJsonObject(1).getString("status")).isEqualTo("skipped");
    }

    /**
     * A replaced fallback says a later email carries its reply: so it does, however much chat came after it (the
     * transcript otherwise keeps the newest 30 lines).
     */
    @Test
    void aReplacedFallbacksReplyIsInTheLaterEmailHoweverLongTheChatAfterIt() {
        String email = "ines@example.com";
        VisitorClient visitor = visitorWithEmail(email);
        long conversation;
        long first;
        long lastReply;
        try (VisitorClient.Socket socket = visitor.connect(visitor.seq())) {
            socket.message("Is the oak table solid wood?");
            conversation = Widgets.conversationOf(server, socket.next("ack", WAIT).getLong("messageId"));
            first = agentReplies(conversation, "Yes: solid oak, oiled.");
            for (int i = 1; i <= 31; i++) {
                agentReplies(conversation, "Detail " + i + " about the table.");
            }
            lastReply = agentReplies(conversation, "Anything else I can help with?");
        }
        awaitOffline(visitor);
        assertThat(deliveries(conversation, first).getJsonObject(1).getString("status")).isEqualTo("skipped");
        await().atMost(WAIT).until(() -> "sent".equals(deliveries(conversation, lastReply).getJsonObject(1)
                .getString("status")));
        assertThat(mail.inbox(email)).hasSize(1);
        assertThat(text(mail.inbox(email).getFirst())).startsWith("Anything else I can help with?")
                .contains("Yes: solid oak, oiled.").contains("Detail 31 about the table.");
    }

    @Test
    void anEmailAnAgentWritesReleasesTheWaitingFallbackFirstSoTheMailsArriveInOrder() throws Exception {
        String email = "lee@example.com";
        VisitorClient visitor = visitorWithEmail(email);
        try (VisitorClient.Socket socket = visitor.connect(visitor.seq())) {
            socket.message("Can I return the lamp after 30 days?");
            long conversation = Widgets.conversationOf(server, socket.next("ack", WAIT).getLong("messageId"));
            long chatReply = agentReplies(conversation, "Within 60 days, in its box.");
            // Still on the site with the chat closed: the fallback waits for them to leave.
            await().during(Duration.ofSeconds(2)).atMost(Duration.ofSeconds(5)).until(() ->
                    "pending".equals(deliveries(conversation, chatReply).getJsonObject(1).getString("status")));

            long emailed = admin.post("/api/v1/conversations/" + conversation + "/messages", new JsonObject()
                    .put("body", "I have also emailed you the return label.").put("channel", "email"))
                    .expect(201).json().getLong("id");
            // The agent now writes to that address: the chat reply they missed goes first, then the new mail,
            // although the visitor never left the site.
            List<MimeMessage> received = await().atMost(WAIT).until(() -> mail.inbox(email), l -> l.size() == 2);
            assertThat(received.get(0).getSubject()).isEqualTo("Your conversation with Acme Support");
            assertThat(text(received.get(0))).startsWith("Within 60 days, in its box.");
            assertThat(text(received.get(1))).startsWith("I have also emailed you the return label.");
            await().atMost(WAIT).until(() -> "sent".equals(deliveries(conversation, emailed).getJsonObject(0)
                    .getString("status")));
            JsonObject fallback = deliveries(conversation, chatReply).getJsonObject(1);
            assertThat(fallback.getString("status")).isEqualTo("sent");
            assertThat(Instant.parse(fallback.getString("sentAt")))
                    .isBeforeOrEqualTo(Instant.parse(deliveries(conversation, emailed).getJsonObject(0)
                            .getString("sentAt")));
        }
    }

    /**
     * The frame opens its socket before the pre-chat form is filled: the name and email typed there go with the
     * first message sent on that socket, so the new contact has them and a missed reply can reach it by email.
     */
    @Test
    void theFormFilledWhileTheSocketIsOpenGoesWithTheFirstMessage() {
        VisitorClient visitor = new VisitorClient(server.url(), siteKey, Widgets.SHOP).start();
        try (VisitorClient.Socket socket = visitor.connect(visitor.seq())) {
            visitor.post("/widget/v1/profile", new JsonObject().put("name", "Olga Formfilled")
                    .put("email", "olga@example.com"), true).expect(200);
            long contact = contactAfter(socket, "Is the Aurora lamp dimmable?");
            assertThat(admin.get("/api/v1/contacts/" + contact).expect(200).json().getString("name"))
                    .isEqualTo("Olga Formfilled");
            assertThat(emailsOf(contact)).containsExactly("olga@example.com:claimed");
        }
    }

    /**
     * A chat visitor wrongly merged into a customer known by email writes, and the agent's reply to them waits to go
     * by email, to the address of the merged contact. The merge is undone before it goes: the reply is the
     * visitor's again, and that address is not theirs, so it never goes there.
     */
    @Test
    void aFallbackChosenWhileTwoCustomersWereMergedNeverGoesToTheOtherOnceTheyAreSeparated() {
        String tina = "tina@example.com";
        mail.user(tina);
        ApiInbox shop = ApiInbox.create(admin, "Tina's shop", null);
        long tinaContact = shop.send("tina-1", "Tina", new JsonArray().add(ApiInbox.identity("email", tina, true)),
                "Where is my parcel?").expect(201).json().getLong("contactId");
        VisitorClient visitor = new VisitorClient(server.url(), siteKey, Widgets.SHOP).start();
        long reply;
        long visitorContact;
        try (VisitorClient.Socket socket = visitor.connect(visitor.seq())) {
            visitorContact = contactAfter(socket, "Hello, anyone there?");
            admin.post("/api/v1/contacts/" + tinaContact + "/merge", new JsonObject()
                    .put("otherContactId", visitorContact)).expect(200);
            socket.message("Do you have it in blue?");
            long conversation = Widgets.conversationOf(server, socket.next("ack", WAIT).getLong("messageId"));
            reply = agentReplies(conversation, "We do.");
            JsonArray both = deliveries(conversation, reply);
            assertThat(both.getJsonObject(1).getJsonObject("to").getString("value")).isEqualTo(tina);
            assertThat(both.getJsonObject(1).getString("status")).isEqualTo("pending");

            admin.post("/api/v1/contacts/" + tinaContact + "/unmerge", new JsonObject()).expect(200);
        }
        awaitOffline(visitor);
        long visitorConversation = admin.get("/api/v1/contacts/" + visitorContact).json().getLong("conversationId");
        await().atMost(WAIT).until(() -> "skipped".equals(deliveries(visitorConversation, reply).getJsonObject(1)
                .getString("status")));
        assertThat(deliveries(visitorConversation, reply).getJsonObject(1).getString("lastError"))
                .startsWith("the address is no longer this customer's");
        assertThat(mail.inbox(tina)).isEmpty();
    }

    /**
     * A chat visitor merged by mistake into a customer types an address into the chat's form meanwhile: it joined
     * the customer's contact (as claimed), and stayed there when the merge was undone, so that customer's missed
     * chat replies would go by email to the visitor. It goes back with the visitor.
     */
    @Test
    void anAddressTypedWhileMergedGoesBackWithTheVisitorWhenTheMergeIsUndone() {
        ApiInbox shop = ApiInbox.create(admin, "Uma's shop", null);
        long umaContact = shop.send("uma-1", "Uma", new JsonArray().add(ApiInbox.identity("external_id", "cust-uma",
                true)), "Is my order on its way?").expect(201).json().getLong("contactId");
        VisitorClient visitor = new VisitorClient(server.url(), siteKey, Widgets.SHOP).start();
        long visitorContact;
        try (VisitorClient.Socket socket = visitor.connect(visitor.seq())) {
            visitorContact = contactAfter(socket, "Hello, a question about sizes");
        }
        admin.post("/api/v1/contacts/" + umaContact + "/merge", new JsonObject()
                .put("otherContactId", visitorContact)).expect(200);
        visitor.post("/widget/v1/profile", new JsonObject().put("email", "vera@example.com"), true).expect(200);
        assertThat(emailsOf(umaContact)).containsExactly("vera@example.com:claimed");

        admin.post("/api/v1/contacts/" + umaContact + "/unmerge", new JsonObject()).expect(200);
        assertThat(emailsOf(umaContact)).isEmpty();
        assertThat(emailsOf(visitorContact)).containsExactly("vera@example.com:claimed");
    }

    /** Sends a message on the socket and returns, once it is acknowledged, the contact of its conversation. */
    private static long contactAfter(VisitorClient.Socket socket, String text) {
        socket.message(text);
        long conversation = Widgets.conversationOf(server, socket.next("ack", WAIT).getLong("messageId"));
        return admin.get("/api/v1/conversations/" + conversation).expect(200).json().getLong("contactId");
    }

    /** The contact's email identities, each as {@code value:proven} or {@code value:claimed}. */
    private static List<String> emailsOf(long contact) {
        return admin.get("/api/v1/contacts/" + contact).expect(200).json().getJsonArray("identities").stream()
                .map(JsonObject.class::cast).filter(i -> "email".equals(i.getString("kind")))
                .map(i -> i.getString("value") + (i.getBoolean("proven") ? ":proven" : ":claimed")).toList();
    }

    /** A new visitor who typed their email into the chat's form before writing. */
    private static VisitorClient visitorWithEmail(String email) {
        mail.user(email);
        VisitorClient visitor = new VisitorClient(server.url(), siteKey, Widgets.SHOP).start();
        visitor.post("/widget/v1/profile", new JsonObject().put("email", email), true).expect(200);
        return visitor;
    }

    private static void awaitOffline(VisitorClient visitor) {
        long workspace = server.throughline().workspaces().first().orElseThrow();
        VisitorActivity activity = server.throughline().visitorActivity();
        await().atMost(WAIT).until(() -> activity.visitor(workspace, visitor.visitorId())
                .map(status -> !status.online()).orElse(false));
    }

    private static long agentReplies(long conversation, String text) {
        return admin.post("/api/v1/conversations/" + conversation + "/messages", new JsonObject().put("body", text))
                .expect(201).json().getLong("id");
    }

    private static JsonArray deliveries(long conversation, long messageId) {
        return messages(conversation).stream().map(m -> (JsonObject) m).filter(m -> m.getLong("id") == messageId)
                .findFirst().orElseThrow().getJsonArray("deliveries");
    }

    private static JsonObject last(long conversation) {
        JsonArray messages = messages(conversation);
        return messages.getJsonObject(messages.size() - 1);
    }

    private static JsonArray messages(long conversation) {
        return admin.get("/api/v1/conversations/" + conversation + "/messages?limit=200").json()
                .getJsonArray("messages");
    }

    private static String text(MimeMessage message) {
        try {
            return (String) ((MimeMultipart) message.getContent()).getBodyPart(0).getContent();
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }
}
