package io.throughline.telegram;

import static io.throughline.telegram.TelegramSupport.WAIT;
import static io.throughline.telegram.TelegramSupport.awaitMessages;
import static io.throughline.telegram.TelegramSupport.bytes;
import static io.throughline.telegram.TelegramSupport.conversationOf;
import static io.throughline.telegram.TelegramSupport.messages;
import static io.throughline.telegram.TelegramSupport.upload;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.throughline.testing.ApiClient;
import io.throughline.testing.FakeBot;
import io.throughline.testing.FakeBotApi;
import io.throughline.testing.TelegramCustomer;
import io.throughline.testing.TestPostgres;
import io.throughline.testing.TestServer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Agents answering Telegram customers: the reply goes through the outbox to the customer's chat as escaped HTML,
 * quoting their last message, and Telegram's refusals become delivery states agents can act on.
 */
class TelegramRepliesIT {

    private static FakeBotApi fake;
    private static FakeBot bot;
    private static TestServer server;
    private static ApiClient admin;
    private static long inboxId;

    @BeforeAll
    static void start() {
        fake = FakeBotApi.start();
        bot = fake.addBot(TelegramSupport.token(7_200_001), 7_200_001, "acme_replies_bot");
        server = TestServer.start();
        admin = server.admin();
        inboxId = TelegramSupport.createInbox(admin, fake, bot, new JsonObject()).getLong("id");
        await().atMost(WAIT).until(bot::pollParked);
    }

    @AfterAll
    static void stop() {
        server.close();
        fake.close();
    }

    @Test
    void aReplyArrivesAsEscapedHtmlQuotingTheCustomersLastMessage() {
        Customer customer = customer(320_000_001L, "Andrii", "Hi, is the price with tax?");
        TelegramCustomer.Sent last = customer.telegram().says("And does it ship today?");
        awaitMessages(admin, customer.conversation(), 2);
        String text = "Price <b>5</b> & \"tax\" included.\nSee <https://acme.example/faq> for shipping.";

        JsonObject reply = post(customer.conversation(), new JsonObject().put("body", text));

        FakeBotApi.Sent sent = awaitSent(customer, 1).getFirst();
        assertThat(sent.method()).isEqualTo("sendMessage");
        assertThat(sent.params().getString("parse_mode")).isEqualToIgnoringCase("HTML");
        assertThat(sent.params().getString("text")).isEqualTo("Price &lt;b&gt;5&lt;/b&gt; &amp; &quot;tax&quot;"
                + " included.\nSee &lt;https://acme.example/faq&gt; for shipping.");
        assertThat(sent.visibleText()).as("what the customer sees").isEqualTo(text);
        assertThat(sent.replyTo()).isEqualTo(last.messageId());
        JsonObject delivered = awaitDelivery(customer.conversation(), reply.getLong("id"), "sent");
        assertThat(delivered.getJsonObject("delivery").getInteger("attempts")).isEqualTo(1);
    }

    /**
     * Telegram's answer to a send echoes the message it quotes, as the customer sent it: one the library cannot read
     * (kept as a note, its message id with it) must not make a reply Telegram took count as failed and go again.
     */
    @Test
    void aReplyQuotingAMessageTheLibraryCannotReadIsSentOnce() {
        TelegramCustomer marta = new TelegramCustomer(bot, 320_000_040L, "Marta", "Quoted", null);
        JsonObject unreadable = marta.render("private_text", Map.of("message_id", bot.nextMessageId(),
                "text", "a date the library cannot read"));
        unreadable.getJsonObject("message").put("date", "yesterday");
        bot.push(unreadable);
        long conversation = conversationOf(admin, "Marta Quoted");
        awaitMessages(admin, conversation, 1);

        JsonObject reply = post(conversation, new JsonObject().put("body", "Sorry, say it again?"));

        JsonObject delivered = awaitDelivery(conversation, reply.getLong("id"), "sent");
        assertThat(delivered.getJsonObject("delivery").getInteger("attempts")).isEqualTo(1);
        List<FakeBotApi.Sent> sent = bot.sent().stream().filter(s -> "320000040".equals(s.params()
                .getValue("chat_id").toString())).toList();
        assertThat(sent).hasSize(1);
        assertThat(sent.getFirst().replyTo()).as("it quotes the unreadable message").isNotNull();
    }

    /**
     * A customer's chat is the bot's they wrote to: with that bot's inbox disabled, the reply waits for it rather
     * than going out through the workspace's other bot (which Telegram would refuse, or show from a stranger).
     */
    @Test
    void aReplyToACustomerOfADisabledBotWaitsForItNotAnotherBot() {
        FakeBot sales = fake.addBot(TelegramSupport.token(7_200_041), 7_200_041, "acme_sales_bot");
        long salesInbox = TelegramSupport.createInbox(admin, fake, sales, new JsonObject()).getLong("id");
        await().atMost(WAIT).until(sales::pollParked);
        TelegramCustomer olena = new TelegramCustomer(sales, 320_000_061L, "Olena", "Sales", null);
        olena.says("Do you sell wholesale?");
        long conversation = conversationOf(admin, "Olena Sales");
        awaitMessages(admin, conversation, 1);
        admin.patch("/api/v1/inboxes/" + salesInbox, new JsonObject().put("enabled", false)).expect(200);

        JsonObject reply = post(conversation, new JsonObject().put("body", "Yes, from ten boxes."));
        JsonObject waiting = await().atMost(WAIT).until(() -> message(conversation, reply.getLong("id")),
                m -> m.getJsonObject("delivery").getString("lastError") != null);
        assertThat(waiting.getLong("inboxId")).isEqualTo(salesInbox);
        assertThat(waiting.getJsonObject("delivery").getString("status")).isEqualTo("pending");
        assertThat(waiting.getJsonObject("delivery").getString("lastError")).contains("the inbox is disabled");

        admin.patch("/api/v1/inboxes/" + salesInbox, new JsonObject().put("enabled", true)).expect(200);
        awaitDelivery(conversation, reply.getLong("id"), "sent");
        assertThat(sales.sent()).extracting(FakeBotApi.Sent::visibleText).containsExactly("Yes, from ten boxes.");
        assertThat(bot.sent()).noneMatch(s -> "320000061".equals(s.chatId()));

        // The bot moved to a new inbox, the old one disabled: the reply goes through the inbox serving it now.
        admin.patch("/api/v1/inboxes/" + salesInbox, new JsonObject().put("enabled", false)).expect(200);
        long moved = TelegramSupport.createInbox(admin, fake, sales, new JsonObject()).getLong("id");
        JsonObject second = post(conversation, new JsonObject().put("body", "Prices are per box."));
        awaitDelivery(conversation, second.getLong("id"), "sent");
        assertThat(message(conversation, second.getLong("id")).getLong("inboxId")).isEqualTo(moved);
    }

    @Test
    void aReplyLongerThanTelegramsLimitArrivesInSeveralMessagesCutBetweenParagraphs() {
        Customer customer = customer(320_000_002L, "Bohdan", "Please send the full terms");
        String paragraph = "Clause: the goods may be returned within fourteen days of delivery. ".repeat(40).strip();
        String text = String.join("\n\n", paragraph, paragraph, paragraph, "Thank you!");

        post(customer.conversation(), new JsonObject().put("body", text));

        List<FakeBotApi.Sent> sent = await().atMost(WAIT).until(() -> sentTo(customer), s -> s.size() >= 3);
        assertThat(sent).allSatisfy(s -> assertThat(s.visibleText().length()).isLessThanOrEqualTo(4096));
        assertThat(sent.stream().map(FakeBotApi.Sent::visibleText).toList())
                .containsExactly(paragraph, paragraph, paragraph + "\n\nThank you!");
        assertThat(sent.get(0).replyTo()).isNotNull();
        assertThat(sent.subList(1, 3)).allSatisfy(s -> assertThat(s.replyTo()).isNull());
    }

    @Test
    void attachmentsGoAsAPhotoOrADocument() {
        Customer customer = customer(320_000_003L, "Kateryna", "Can you send the invoice and a photo?");
        byte[] png = bytes("\u0089PNG", 30_000);
        byte[] pdf = bytes("%PDF-1.7", 70_000);
        long photoId = upload(admin, "parcel.png", "image/png", png);
        long invoiceId = upload(admin, "invoice-1042.pdf", "application/pdf", pdf);

        post(customer.conversation(), new JsonObject().put("body", "Here you are")
                .put("attachments", new JsonArray().add(photoId).add(invoiceId)));

        List<FakeBotApi.Sent> sent = await().atMost(WAIT).until(() -> sentTo(customer), s -> s.size() >= 3);
        assertThat(sent).extracting(FakeBotApi.Sent::method).containsExactly("sendMessage", "sendPhoto",
                "sendDocument");
        assertThat(sent.get(1).fileName()).isEqualTo("parcel.png");
        assertThat(sent.get(1).file()).isEqualTo(png);
        assertThat(sent.get(2).fileName()).isEqualTo("invoice-1042.pdf");
        assertThat(sent.get(2).file()).isEqualTo(pdf);
    }

    @Test
    void aCustomerWhoBlockedTheBotEndsAsFailedWithTelegramsReason() {
        Customer customer = customer(320_000_004L, "Oleh", "Thanks, bye");
        bot.blockedBy(320_000_004L);

        JsonObject reply = post(customer.conversation(), new JsonObject().put("body", "Anything else?"));

        JsonObject failed = awaitDelivery(customer.conversation(), reply.getLong("id"), "failed");
        JsonObject delivery = failed.getJsonObject("delivery");
        assertThat(delivery.getString("lastError")).isEqualTo("Telegram: Forbidden: bot was blocked by the user");
        assertThat(delivery.getInteger("attempts")).as("no retry can help").isEqualTo(1);
        assertThat(sentTo(customer)).isEmpty();
    }

    /**
     * A proxy in front of the Bot API that echoes the request's path (the bot token in it) in its refusal: the
     * delivery's error, which every agent sees, says where the token was but not the token.
     */
    @Test
    void aRefusalEchoingTheRequestPathShowsTheDeliveryErrorWithoutTheToken() {
        Customer customer = customer(320_000_041L, "Taras", "Hello?");
        bot.failNext("sendMessage", 400, "Bad Request: no route for /bot" + bot.token() + "/sendMessage (/bot"
                + URLEncoder.encode(bot.token(), StandardCharsets.UTF_8) + "/sendMessage)", null);

        JsonObject reply = post(customer.conversation(), new JsonObject().put("body", "Hi Taras"));

        JsonObject failed = awaitDelivery(customer.conversation(), reply.getLong("id"), "failed");
        String secret = bot.token().substring(bot.token().indexOf(':') + 1);
        assertThat(failed.getJsonObject("delivery").getString("lastError")).doesNotContain(secret)
                .isEqualTo("Telegram: Bad Request: no route for /bot<token>/sendMessage (/bot<token>/sendMessage)");
    }

    @Test
    void imagesTelegramWillNotShowAsPhotosGoAsDocuments() throws IOException {
        Customer customer = customer(320_000_010L, "Stepan", "Can you send me the screenshots?");
        long fullPage = upload(admin, "full-page.png", "image/png", png(60, 1_500));
        long receipt = upload(admin, "receipt.png", "image/png", png(400, 300));
        // Telegram refuses the second as a photo (its dimensions, as Telegram sees them).
        bot.failNext("sendPhoto", 400, "Bad Request: PHOTO_INVALID_DIMENSIONS", null);

        JsonObject reply = post(customer.conversation(), new JsonObject().put("body", "Both screenshots")
                .put("attachments", new JsonArray().add(fullPage).add(receipt)));

        awaitDelivery(customer.conversation(), reply.getLong("id"), "sent");
        List<FakeBotApi.Sent> sent = sentTo(customer);
        assertThat(sent).extracting(FakeBotApi.Sent::method).containsExactly("sendMessage", "sendDocument",
                "sendDocument");
        assertThat(sent.subList(1, 3)).extracting(FakeBotApi.Sent::fileName).containsExactly("full-page.png",
                "receipt.png");
    }

    /** A real PNG of the given size (one 25 times taller than wide is beyond Telegram's photo limits). */
    private static byte[] png(int width, int height) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ImageIO.write(new BufferedImage(width, height, BufferedImage.TYPE_INT_RGB), "png", out);
        return out.toByteArray();
    }

    @Test
    void floodControlWaitsAsLongAsTelegramsRetryAfterSays() {
        Customer customer = customer(320_000_005L, "Iryna", "Hello?");
        bot.failNext("sendMessage", 429, "Too Many Requests: retry after 3", 3);

        JsonObject reply = post(customer.conversation(), new JsonObject().put("body", "Hello Iryna!"));

        JsonObject waiting = await().atMost(WAIT).until(() -> message(customer.conversation(), reply.getLong("id")),
                m -> m.getJsonObject("delivery").getInteger("attempts") == 1
                        && m.getJsonObject("delivery").getString("lastError") != null);
        JsonObject delivery = waiting.getJsonObject("delivery");
        assertThat(delivery.getString("status")).isEqualTo("pending");
        assertThat(delivery.getString("lastError")).isEqualTo("Telegram: Too Many Requests: retry after 3");
        // The outbox's own first backoff here is 200ms: the wait comes from retry_after.
        Duration wait = Duration.between(Instant.parse(delivery.getString("updatedAt")),
                Instant.parse(delivery.getString("nextAttemptAt")));
        assertThat(wait).isBetween(Duration.ofMillis(2_900), Duration.ofMillis(3_100));

        JsonObject sent = awaitDelivery(customer.conversation(), reply.getLong("id"), "sent");
        assertThat(sent.getJsonObject("delivery").getInteger("attempts")).isEqualTo(2);
        assertThat(sentTo(customer)).hasSize(1);
    }

    /** A wait asked for beyond reason (2^31 seconds) is held for an hour, not for decades. */
    @Test
    void aFloodWaitBeyondReasonIsCutToAnHour() {
        Customer customer = customer(320_000_013L, "Zoryana", "Still there?");
        bot.failNext("sendMessage", 429, "Too Many Requests: retry after 2147483647", 2_147_483_647);
        JsonObject reply = post(customer.conversation(), new JsonObject().put("body", "Yes, looking into it."));
        JsonObject delivery = await().atMost(WAIT).until(() -> message(customer.conversation(), reply.getLong("id")),
                m -> m.getJsonObject("delivery").getInteger("attempts") == 1
                        && m.getJsonObject("delivery").getString("lastError") != null).getJsonObject("delivery");
        assertThat(delivery.getString("status")).isEqualTo("pending");
        assertThat(Duration.between(Instant.parse(delivery.getString("updatedAt")),
                Instant.parse(delivery.getString("nextAttemptAt")))).isBetween(Duration.ofMinutes(59),
                Duration.ofMinutes(61));
    }

    /** Saving the inbox's settings, the same bot still, does not cut short the wait Telegram asked for. */
    @Test
    void aSettingsSaveKeepsTelegramsFloodWait() {
        Customer customer = customer(320_000_011L, "Marko", "Any news?");
        bot.failNext("sendMessage", 429, "Too Many Requests: retry after 600", 600);
        JsonObject reply = post(customer.conversation(), new JsonObject().put("body", "Not yet, sorry."));
        JsonObject waiting = await().atMost(WAIT).until(() -> message(customer.conversation(), reply.getLong("id")),
                m -> m.getJsonObject("delivery").getInteger("attempts") == 1
                        && m.getJsonObject("delivery").getString("lastError") != null).getJsonObject("delivery");

        admin.patch("/api/v1/inboxes/" + inboxId, new JsonObject().put("config", new JsonObject()
                .put("apiUrl", fake.apiUrl()))).expect(200);
        await().atMost(WAIT).until(bot::pollParked);

        JsonObject after = message(customer.conversation(), reply.getLong("id")).getJsonObject("delivery");
        assertThat(after.getString("status")).isEqualTo("pending");
        assertThat(after.getString("nextAttemptAt")).isEqualTo(waiting.getString("nextAttemptAt"));
        assertThat(sentTo(customer)).isEmpty();
    }

    @Test
    void repliesToOneChatArriveInTheOrderTheyWereWrittenThoughTheFirstIsRetried() {
        Customer customer = customer(320_000_009L, "Danylo", "Where is my order?");
        bot.failNext("sendMessage", 429, "Too Many Requests: retry after 1", 1);

        JsonObject first = post(customer.conversation(), new JsonObject().put("body", "Let me check."));
        JsonObject second = post(customer.conversation(), new JsonObject().put("body", "It left today."));

        awaitDelivery(customer.conversation(), second.getLong("id"), "sent");
        assertThat(message(customer.conversation(), first.getLong("id")).getJsonObject("delivery")
                .getString("status")).isEqualTo("sent");
        assertThat(sentTo(customer)).extracting(FakeBotApi.Sent::visibleText)
                .containsExactly("Let me check.", "It left today.");
    }

    /** Any edit of an inbox reloads it on every node; Telegram may already have the reply being sent. */
    @Test
    void aReplyInFlightWhenTheInboxReloadsIsNotCancelledAndSentTwice() {
        Customer customer = customer(320_000_008L, "Roksolana", "Is the lamp in stock?");
        bot.holdSends();
        long reply;
        try {
            reply = post(customer.conversation(), new JsonObject().put("body", "Yes, two left.")).getLong("id");
            await().atMost(WAIT).until(() -> bot.heldSends() == 1);
            admin.patch("/api/v1/inboxes/" + inboxId, new JsonObject().put("name", "Acme bot (renamed)"))
                    .expect(200);
            await().atMost(WAIT).until(bot::pollParked);
        } finally {
            bot.releaseSends();
        }
        JsonObject sent = awaitDelivery(customer.conversation(), reply, "sent");
        assertThat(sent.getJsonObject("delivery").getInteger("attempts")).isEqualTo(1);
        assertThat(sentTo(customer)).extracting(FakeBotApi.Sent::visibleText).containsExactly("Yes, two left.");
    }

    @Test
    void aNetworkFailureIsRetriedAndTheCustomerGetsTheReplyOnce() {
        Customer customer = customer(320_000_006L, "Yurii", "Are you there?");
        // Twice: OkHttp itself retries once when a pooled connection turns out dead.
        bot.dropNext("sendMessage");
        bot.dropNext("sendMessage");

        JsonObject reply = post(customer.conversation(), new JsonObject().put("body", "Yes, we are!"));

        JsonObject sent = awaitDelivery(customer.conversation(), reply.getLong("id"), "sent");
        assertThat(sent.getJsonObject("delivery").getInteger("attempts")).isGreaterThanOrEqualTo(2);
        assertThat(sentTo(customer)).extracting(FakeBotApi.Sent::visibleText).containsExactly("Yes, we are!");
    }

    /**
     * Telegram has no idempotency key: a long reply whose second part failed is retried by another node (the first
     * stopped meanwhile), which sends the parts not sent yet, not the first again.
     */
    @Test
    void aLongReplyRetriedOnAnotherNodeSendsOnlyThePartsNotSentYet() {
        FakeBot parted = fake.addBot(TelegramSupport.token(7_200_009), 7_200_009, "acme_parts_bot");
        String database = TestPostgres.newDatabase();
        Map<String, String> options = Map.of("http.shutdownGrace", "200ms");
        TestServer first = TestServer.startOn(database, TestServer.tempDir(), options);
        ApiClient firstAdmin = first.admin();
        TelegramSupport.createInbox(firstAdmin, fake, parted, new JsonObject());
        await().atMost(WAIT).until(parted::pollParked);
        TelegramCustomer customer = new TelegramCustomer(parted, 320_000_020L, "Zoreslava", "Test", null);
        customer.says("Please send the whole warranty text");
        long conversation = conversationOf(firstAdmin, "Zoreslava Test");
        String paragraph = "Warranty: parts and labour are covered for twenty-four months. ".repeat(45).strip();
        parted.passNext("sendMessage");
        parted.failNext("sendMessage", 429, "Too Many Requests: retry after 5", 5);
        long reply = firstAdmin.post("/api/v1/conversations/" + conversation + "/messages", new JsonObject()
                .put("body", String.join("\n\n", paragraph, paragraph, paragraph, "Regards"))).expect(201).json()
                .getLong("id");
        await().atMost(WAIT).until(() -> firstAdmin.get("/api/v1/conversations/" + conversation + "/messages").json()
                .getJsonArray("messages").stream().map(JsonObject.class::cast).filter(m -> m.getLong("id") == reply)
                .anyMatch(m -> m.getJsonObject("delivery").getString("lastError") != null));
        first.close();
        assertThat(parted.sent()).extracting(FakeBotApi.Sent::visibleText).containsExactly(paragraph);

        try (TestServer second = TestServer.startOn(database, TestServer.tempDir(), options)) {
            ApiClient secondAdmin = second.admin();
            await().atMost(Duration.ofSeconds(30)).until(() -> secondAdmin.get("/api/v1/conversations/"
                    + conversation + "/messages").json().getJsonArray("messages").stream().map(JsonObject.class::cast)
                    .filter(m -> m.getLong("id") == reply)
                    .anyMatch(m -> "sent".equals(m.getJsonObject("delivery").getString("status"))));
        }
        assertThat(parted.sent()).extracting(FakeBotApi.Sent::visibleText)
                .containsExactly(paragraph, paragraph, paragraph + "\n\nRegards");
    }

    @Test
    void withGroupsAcceptedAGroupMessageIsTakenInAndAnsweredInTheGroup() {
        FakeBot groupBot = fake.addBot(TelegramSupport.token(7_200_002), 7_200_002, "acme_group_bot");
        TelegramSupport.createInbox(admin, fake, groupBot, new JsonObject().put("acceptGroups", true));
        await().atMost(WAIT).until(groupBot::pollParked);
        TelegramCustomer member = new TelegramCustomer(groupBot, 320_000_007L, "Group", "Member", null);
        TelegramCustomer.Sent asked = member.saysInGroup("Does the shop deliver to Lviv?");
        long conversation = conversationOf(admin, "Group Member");
        JsonObject message = awaitMessages(admin, conversation, 1).getFirst();
        assertThat(message.getJsonObject("metadata").getString("chatType")).isEqualTo("supergroup");
        assertThat(message.getJsonObject("metadata").getString("chatTitle")).isEqualTo("Customers of Acme");

        post(conversation, new JsonObject().put("body", "Yes, in two days."));

        FakeBotApi.Sent sent = await().atMost(WAIT).until(() -> groupBot.sent(), s -> !s.isEmpty()).getFirst();
        assertThat(sent.chatId()).isEqualTo("-1001987654321");
        assertThat(sent.replyTo()).isEqualTo(asked.messageId());
        assertThat(sent.params().containsKey("message_thread_id")).as("no topic outside a forum").isFalse();
    }

    /**
     * A customer writing in a forum topic gets every part of the reply, files included, in that topic: only the
     * first part quotes them, and a part without the topic's id goes to General.
     */
    @Test
    void aReplyToAForumTopicSendsEveryPartToThatTopic() {
        FakeBot forumBot = fake.addBot(TelegramSupport.token(7_200_006), 7_200_006, "acme_forum_bot");
        TelegramSupport.createInbox(admin, fake, forumBot, new JsonObject().put("acceptGroups", true));
        await().atMost(WAIT).until(forumBot::pollParked);
        TelegramCustomer member = new TelegramCustomer(forumBot, 320_000_071L, "Forum", "Member", null);
        TelegramCustomer.Sent asked = member.saysInTopic(77, "Was I charged twice?");
        long conversation = conversationOf(admin, "Forum Member");
        JsonObject message = awaitMessages(admin, conversation, 1).getFirst();
        assertThat(message.getJsonObject("metadata").getInteger("messageThreadId")).isEqualTo(77);
        long invoice = upload(admin, "invoice-77.pdf", "application/pdf", bytes("%PDF-1.7", 2_000));

        String paragraph = "We refunded the second charge. ".repeat(100).strip();
        long reply = post(conversation, new JsonObject().put("body", paragraph + "\n\n" + paragraph)
                .put("attachments", new JsonArray().add(invoice))).getLong("id");

        awaitDelivery(conversation, reply, "sent");
        List<FakeBotApi.Sent> sent = forumBot.sent();
        assertThat(sent).extracting(FakeBotApi.Sent::method).containsExactly("sendMessage", "sendMessage",
                "sendDocument");
        assertThat(sent).extracting(FakeBotApi.Sent::chatId).containsOnly("-1001555000111");
        assertThat(sent).extracting(s -> s.params().getValue("message_thread_id"))
                .as("every part in the topic").allSatisfy(id -> assertThat(String.valueOf(id)).isEqualTo("77"));
        assertThat(sent.getFirst().replyTo()).isEqualTo(asked.messageId());
    }

    /**
     * A group upgraded to a supergroup gets a new chat id, and Telegram refuses sends to the old one, naming the new
     * (migrate_to_chat_id): every part of the reply goes there, and so does the next reply.
     */
    @Test
    void aReplyToAGroupThatBecameASupergroupGoesToTheSupergroup() {
        FakeBot groupBot = fake.addBot(TelegramSupport.token(7_200_004), 7_200_004, "acme_upgraded_group_bot");
        TelegramSupport.createInbox(admin, fake, groupBot, new JsonObject().put("acceptGroups", true));
        await().atMost(WAIT).until(groupBot::pollParked);
        TelegramCustomer member = new TelegramCustomer(groupBot, 320_000_042L, "Upgraded", "Member", null);
        member.saysInBasicGroup("Do you ship to Odesa?");
        long conversation = conversationOf(admin, "Upgraded Member");
        awaitMessages(admin, conversation, 1);
        groupBot.migrate(-4_012_345_678L, -1_004_012_345_678L);

        String paragraph = "Yes, we do. ".repeat(300).strip();
        long reply = post(conversation, new JsonObject().put("body", paragraph + "\n\n" + paragraph)).getLong("id");
        awaitDelivery(conversation, reply, "sent");
        long next = post(conversation, new JsonObject().put("body", "Anything else?")).getLong("id");
        awaitDelivery(conversation, next, "sent");
        assertThat(groupBot.sent()).extracting(FakeBotApi.Sent::chatId).containsExactly("-1004012345678",
                "-1004012345678", "-1004012345678");
        assertThat(groupBot.sent()).extracting(FakeBotApi.Sent::replyTo).containsOnlyNulls();
    }

    /**
     * The group becomes a supergroup between two parts of a reply: the second part goes to the supergroup, and the
     * delivery still names the chat and message of its first part.
     */
    @Test
    void aGroupUpgradedBetweenTwoPartsOfAReplyGetsTheRestInTheSupergroup() {
        FakeBot groupBot = fake.addBot(TelegramSupport.token(7_200_005), 7_200_005, "acme_midway_group_bot");
        TelegramSupport.createInbox(admin, fake, groupBot, new JsonObject().put("acceptGroups", true));
        await().atMost(WAIT).until(groupBot::pollParked);
        TelegramCustomer member = new TelegramCustomer(groupBot, 320_000_043L, "Midway", "Member", null);
        member.saysInBasicGroup("Do you ship to Kharkiv?");
        long conversation = conversationOf(admin, "Midway Member");
        awaitMessages(admin, conversation, 1);

        groupBot.holdSends();
        String paragraph = "We do. ".repeat(500).strip();
        long reply = post(conversation, new JsonObject().put("body", paragraph + "\n\n" + paragraph)).getLong("id");
        await().atMost(WAIT).until(() -> groupBot.heldSends() == 1);
        groupBot.migrate(-4_012_345_678L, -1_004_012_345_678L);
        groupBot.releaseSends();
        awaitDelivery(conversation, reply, "sent");

        assertThat(groupBot.sent()).extracting(FakeBotApi.Sent::chatId).containsExactly("-4012345678",
                "-1004012345678");
        JsonObject delivery = server.throughline().database().sql().single(
                "SELECT external_id, metadata FROM deliveries WHERE message_id = $1", reply).toJson();
        long first = delivery.getJsonObject("metadata").getJsonArray("messageIds").getLong(0);
        assertThat(delivery.getString("external_id")).endsWith("-4012345678:" + first);
        assertThat(delivery.getJsonObject("metadata").getString("chatId")).isEqualTo("-4012345678");
        assertThat(delivery.getJsonObject("metadata").getString("laterPartsChatId")).isEqualTo("-1004012345678");
    }

    /**
     * A reply waiting for its retry goes where it was written to go: the customer's private chat, though they wrote
     * in a group meanwhile (what the group's members must not read).
     */
    @Test
    void aRetriedReplyGoesToTheChatItAnsweredThoughTheCustomerWroteInAGroupMeanwhile() {
        FakeBot groupBot = fake.addBot(TelegramSupport.token(7_200_003), 7_200_003, "acme_groups_retry_bot");
        TelegramSupport.createInbox(admin, fake, groupBot, new JsonObject().put("acceptGroups", true));
        await().atMost(WAIT).until(groupBot::pollParked);
        TelegramCustomer member = new TelegramCustomer(groupBot, 320_000_031L, "Private", "Asker", null);
        TelegramCustomer.Sent asked = member.says("What address do you have for order 123?");
        long conversation = conversationOf(admin, "Private Asker");
        awaitMessages(admin, conversation, 1);
        groupBot.failNext("sendMessage", 429, "Too Many Requests: retry after 3", 3);

        long reply = post(conversation, new JsonObject().put("body", "12 Shevchenka St, flat 4.")).getLong("id");
        await().atMost(WAIT).until(() -> message(conversation, reply).getJsonObject("delivery")
                .getString("lastError") != null);
        member.saysInGroup("hi all");
        awaitMessages(admin, conversation, 3);

        awaitDelivery(conversation, reply, "sent");
        FakeBotApi.Sent sent = groupBot.sent().getLast();
        assertThat(sent.visibleText()).isEqualTo("12 Shevchenka St, flat 4.");
        assertThat(sent.chatId()).isEqualTo("320000031");
        assertThat(sent.replyTo()).isEqualTo(asked.messageId());
    }

    private record Customer(TelegramCustomer telegram, long conversation) {
    }

    private static Customer customer(long userId, String firstName, String firstWords) {
        TelegramCustomer telegram = new TelegramCustomer(bot, userId, firstName, "Test", null);
        telegram.says(firstWords);
        long conversation = conversationOf(admin, firstName + " Test");
        awaitMessages(admin, conversation, 1);
        return new Customer(telegram, conversation);
    }

    private static JsonObject post(long conversation, JsonObject body) {
        return admin.post("/api/v1/conversations/" + conversation + "/messages", body).expect(201).json();
    }

    private static JsonObject message(long conversation, long messageId) {
        return messages(admin, conversation).stream().filter(m -> m.getLong("id") == messageId).findFirst()
                .orElseThrow();
    }

    private static JsonObject awaitDelivery(long conversation, long messageId, String status) {
        return await().atMost(WAIT).until(() -> message(conversation, messageId),
                m -> status.equals(m.getJsonObject("delivery").getString("status")));
    }

    private static List<FakeBotApi.Sent> sentTo(Customer customer) {
        String chat = String.valueOf(customer.telegram().userId());
        return bot.sent().stream().filter(s -> chat.equals(s.chatId())).toList();
    }

    private static List<FakeBotApi.Sent> awaitSent(Customer customer, int count) {
        return await().atMost(WAIT).until(() -> sentTo(customer), s -> s.size() >= count);
    }
}
