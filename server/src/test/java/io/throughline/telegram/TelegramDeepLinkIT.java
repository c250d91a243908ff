package io.throughline.telegram;

import static io.throughline.telegram.TelegramSupport.WAIT;
import static io.throughline.telegram.TelegramSupport.awaitMessages;
import static io.throughline.telegram.TelegramSupport.contact;
import static io.throughline.telegram.TelegramSupport.conversationOf;
import static io.throughline.telegram.TelegramSupport.findConversation;
import static io.throughline.telegram.TelegramSupport.identity;
import static io.throughline.telegram.TelegramSupport.messages;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.throughline.testing.ApiClient;
import io.throughline.testing.FakeBot;
import io.throughline.testing.FakeBotApi;
import io.throughline.testing.TelegramCustomer;
import io.throughline.testing.TestServer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.net.URI;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * "Continue on Telegram": an agent (or the widget, or an email) offers {@code https://t.me/<bot>?start=<token>};
 * pressing Start makes the Telegram account a proven identity of the existing contact and the chat continues in
 * the same thread. Links are single-use and expire; identity rules still hold (a conflict only suggests a merge).
 */
class TelegramDeepLinkIT {

    private static FakeBotApi fake;
    private static FakeBot bot;
    private static TestServer server;
    private static ApiClient admin;
    private static long telegramInbox;
    private static long apiInbox;
    private static ApiClient shop;

    @BeforeAll
    static void start() {
        fake = FakeBotApi.start();
        bot = fake.addBot(TelegramSupport.token(7_300_001), 7_300_001, "acme_links_bot");
        server = TestServer.start();
        admin = server.admin();
        telegramInbox = TelegramSupport.createInbox(admin, fake, bot, new JsonObject()).getLong("id");
        JsonObject api = admin.post("/api/v1/inboxes", new JsonObject().put("kind", "api").put("name", "Shop")
                .put("config", new JsonObject())).expect(201).json();
        apiInbox = api.getLong("id");
        shop = new ApiClient(server.url()).withToken(api.getString("token"));
        await().atMost(WAIT).until(bot::pollParked);
    }

    @AfterAll
    static void stop() {
        server.close();
        fake.close();
    }

    @Test
    void pressingStartJoinsTheTelegramAccountToTheEmailContactAndTheChatContinuesInTheSameThread() {
        long conversation = customerWritesFrom("email", "olga.marchenko@example.com", "Olga Marchenko",
                "Where is my refund?");
        JsonObject link = admin.post("/api/v1/conversations/" + conversation + "/deep-links", null).expect(201)
                .json();
        assertThat(link.getString("channel")).isEqualTo("telegram");
        assertThat(link.getLong("inboxId")).isEqualTo(telegramInbox);
        assertThat(link.getLong("conversationId")).isEqualTo(conversation);
        assertThat(Instant.parse(link.getString("expiresAt"))).isAfter(Instant.now().plus(Duration.ofDays(6)));
        assertThat(link.getString("url")).matches("https://t\\.me/acme_links_bot\\?start=[A-Za-z0-9_-]{38}");

        TelegramCustomer olga = new TelegramCustomer(bot, 330_000_001L, "Olga", "M", "olga_m");
        TelegramCustomer.Sent pressed = olga.pressesStart(token(link));

        List<JsonObject> thread = awaitMessages(admin, conversation, 3);
        JsonObject start = thread.get(1);
        assertThat(start.getString("channel")).isEqualTo("telegram");
        assertThat(start.getString("body")).isEqualTo("/start");
        assertThat(start.getJsonObject("threading").getString("reason")).isEqualTo("deep_link");
        assertThat(start.getJsonObject("metadata").getJsonObject("deepLink").getString("status")).isEqualTo("linked");
        JsonObject telegram = identity(contact(admin, conversation), "telegram");
        assertThat(telegram.getString("value")).isEqualTo("330000001");
        assertThat(telegram.getBoolean("proven")).isTrue();

        // Editing the /start message (Telegram allows it) does not put the link's token into the thread either.
        olga.edits(pressed.messageId(), "/start " + token(link));
        olga.says("The refund was for order 1042");
        assertThat(awaitMessages(admin, conversation, 4).get(3).getString("body"))
                .isEqualTo("The refund was for order 1042");
        assertThat(admin.get("/api/v1/conversations/" + conversation + "/messages").expect(200).body())
                .doesNotContain(token(link));
        assertThat(findConversation(admin, "Olga M")).as("no second thread").isEmpty();

        admin.post("/api/v1/conversations/" + conversation + "/messages",
                new JsonObject().put("body", "Refund sent today")).expect(201);
        await().atMost(WAIT).until(() -> bot.sent().stream().anyMatch(s -> "330000001".equals(s.chatId())
                && "Refund sent today".equals(s.visibleText())));
    }

    @Test
    void aWidgetVisitorsContactGetsALinkToo() {
        long conversation = customerWritesFrom("widget_visitor", "visitor-4f1c2a", "Dmytro Koval",
                "Chat from the website");
        long contactId = admin.get("/api/v1/conversations/" + conversation).json().getJsonObject("contact")
                .getLong("id");
        JsonObject link = admin.post("/api/v1/contacts/" + contactId + "/deep-links",
                new JsonObject().put("inboxId", telegramInbox)).expect(201).json();
        assertThat(link.getLong("contactId")).isEqualTo(contactId);

        new TelegramCustomer(bot, 330_000_002L, "Dmytro", "K", null).pressesStart(token(link));

        List<JsonObject> thread = awaitMessages(admin, conversation, 2);
        assertThat(thread.get(1).getJsonObject("threading").getString("reason")).isEqualTo("deep_link");
        assertThat(identity(contact(admin, conversation), "telegram").getString("value")).isEqualTo("330000002");
    }

    @Test
    void aLinkWorksOnceAndTheNextAccountStartsItsOwnConversation() {
        long conversation = customerWritesFrom("email", "lesia@example.com", "Lesia Ukrainka", "Hello");
        String token = token(admin.post("/api/v1/conversations/" + conversation + "/deep-links", null).expect(201)
                .json());
        new TelegramCustomer(bot, 330_000_003L, "Lesia", "U", null).pressesStart(token);
        awaitMessages(admin, conversation, 2);

        new TelegramCustomer(bot, 330_000_004L, "Someone", "Forwarded", null).pressesStart(token);

        long other = conversationOf(admin, "Someone Forwarded");
        JsonObject start = awaitMessages(admin, other, 1).getFirst();
        assertThat(start.getJsonArray("flags")).contains("deep_link_rejected");
        assertThat(start.getJsonObject("metadata").getJsonObject("deepLink").getString("status")).isEqualTo("used");
        assertThat(start.getJsonObject("threading").getString("reason")).isEqualTo("new");
        assertThat(contact(admin, conversation).getJsonArray("identities").stream()
                .map(i -> ((JsonObject) i).getString("value"))).doesNotContain("330000004");
    }

    @Test
    void anExpiredLinkIsRejectedAndTheCustomerIsStillGreeted() {
        long conversation = customerWritesFrom("email", "taras@example.com", "Taras Late", "Hi");
        JsonObject link = admin.post("/api/v1/conversations/" + conversation + "/deep-links", null).expect(201)
                .json();
        // A week passes: the link's time is up.
        server.throughline().database().sql().update("UPDATE contact_links SET expires_at = now() - interval '1 s'"
                + " WHERE contact_id = $1", link.getLong("contactId"));

        new TelegramCustomer(bot, 330_000_005L, "Taras", "Telegram", null).pressesStart(token(link));

        long other = conversationOf(admin, "Taras Telegram");
        List<JsonObject> thread = await().atMost(WAIT).until(() -> messages(admin, other), m -> m.size() == 2);
        assertThat(thread.getFirst().getJsonObject("metadata").getJsonObject("deepLink").getString("status"))
                .isEqualTo("expired");
        assertThat(thread.getFirst().getJsonArray("flags")).contains("deep_link_rejected");
        assertThat(thread.get(1).getJsonArray("flags")).contains("auto_reply");
        assertThat(messages(admin, conversation)).hasSize(1);
    }

    @Test
    void aForgedTokenIsRejectedWithoutTouchingAnyContact() {
        new TelegramCustomer(bot, 330_000_006L, "Mallory", "Guess", null)
                .pressesStart("AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA");

        long conversation = conversationOf(admin, "Mallory Guess");
        JsonObject start = awaitMessages(admin, conversation, 1).getFirst();
        assertThat(start.getJsonObject("metadata").getJsonObject("deepLink").getString("status"))
                .isEqualTo("unknown");
        assertThat(start.getJsonArray("flags")).contains("deep_link_rejected");
        assertThat(start.getJsonObject("threading").getString("reason")).isNotEqualTo("deep_link");
    }

    /** What follows /start that is no link token (an order number, a campaign's own link) is the customer's text. */
    @Test
    void aStartWithWordsThatAreNoLinkKeepsThem() {
        new TelegramCustomer(bot, 330_000_016L, "Order", "Number", null).pressesStart("12345");

        long conversation = conversationOf(admin, "Order Number");
        List<JsonObject> thread = await().atMost(WAIT).until(() -> messages(admin, conversation), m -> m.size() == 2);
        assertThat(thread.getFirst().getString("body")).isEqualTo("/start 12345");
        assertThat(thread.getFirst().getJsonArray("flags")).doesNotContain("deep_link_rejected");
        assertThat(thread.getFirst().getJsonObject("metadata").containsKey("deepLink")).isFalse();
        assertThat(thread.get(1).getJsonArray("flags")).contains("auto_reply");
    }

    /**
     * A real link, but for another Telegram inbox (another bot) of the workspace: pressed on this bot, it links
     * nothing. The link's customer gains no Telegram account, and the one who pressed it gets a thread of their own.
     */
    @Test
    void aLinkForAnotherTelegramInboxLinksNothingHere() {
        FakeBot other = fake.addBot(TelegramSupport.token(7_300_002), 7_300_002, "acme_links_other_bot");
        long otherInbox = TelegramSupport.createInbox(admin, fake, other, new JsonObject()).getLong("id");
        long conversation = customerWritesFrom("email", "petro@example.com", "Petro Link", "Please link me");
        JsonObject link = admin.post("/api/v1/conversations/" + conversation + "/deep-links",
                new JsonObject().put("inboxId", otherInbox)).expect(201).json();
        assertThat(link.getString("url")).contains("acme_links_other_bot");

        new TelegramCustomer(bot, 330_000_009L, "Wrong", "Bot", null).pressesStart(token(link));

        long pressed = conversationOf(admin, "Wrong Bot");
        assertThat(pressed).isNotEqualTo(conversation);
        JsonObject start = awaitMessages(admin, pressed, 1).getFirst();
        assertThat(start.getJsonObject("metadata").getJsonObject("deepLink").getString("status"))
                .isEqualTo("unknown");
        assertThat(start.getJsonArray("flags")).contains("deep_link_rejected");
        assertThat(identity(contact(admin, conversation), "telegram")).isNull();
        assertThat(messages(admin, conversation)).hasSize(1);
    }

    @Test
    void anAccountAlreadyProvenForAnotherContactOnlySuggestsAMerge() {
        TelegramCustomer vira = new TelegramCustomer(bot, 330_000_007L, "Vira", "Telegram", null);
        vira.says("I wrote here first");
        long telegramConversation = conversationOf(admin, "Vira Telegram");
        awaitMessages(admin, telegramConversation, 1);
        long emailConversation = customerWritesFrom("email", "vira@example.com", "Vira Email", "And by email");
        String token = token(admin.post("/api/v1/conversations/" + emailConversation + "/deep-links", null)
                .expect(201).json());

        vira.pressesStart(token);

        JsonObject start = awaitMessages(admin, telegramConversation, 2).get(1);
        assertThat(start.getJsonObject("threading").getString("reason")).isEqualTo("sender");
        assertThat(start.getJsonArray("flags")).contains("deep_link_conflict");
        JsonObject emailContact = contact(admin, emailConversation);
        long telegramContactId = contact(admin, telegramConversation).getLong("id");
        JsonArray suggestions = emailContact.getJsonArray("mergeSuggestions");
        assertThat(suggestions.stream().map(s -> ((JsonObject) s).getLong("otherContactId")))
                .containsExactly(telegramContactId);
        assertThat(emailContact.getLong("mergedIntoId")).isNull();
        assertThat(messages(admin, emailConversation)).hasSize(1);
    }

    @Test
    void issuingALinkNeedsAnInboxWithDeepLinks() {
        long conversation = customerWritesFrom("email", "nolink@example.com", "No Link", "Hi");
        admin.post("/api/v1/conversations/" + conversation + "/deep-links",
                new JsonObject().put("inboxId", apiInbox)).expect(400);
        admin.post("/api/v1/conversations/999999/deep-links", null).expect(404);
        admin.post("/api/v1/contacts/999999/deep-links", null).expect(404);
        server.anonymous().post("/api/v1/conversations/" + conversation + "/deep-links", null).expect(401);
    }

    /** A contact merged along a chain too long to follow gets a 409 saying so for a deep link, not a 500. */
    @Test
    void aDeepLinkForAContactAtTheEndOfAVeryLongChainOfMergesIsAConflict() {
        long first = contactOf(customerWritesFrom("external_id", "chain-0", "Link 0", "Hello"));
        long merged = first;
        for (int i = 1; i <= 33; i++) {
            long next = contactOf(customerWritesFrom("external_id", "chain-" + i, "Link " + i, "Hello"));
            admin.post("/api/v1/contacts/" + next + "/merge", new JsonObject().put("otherContactId", merged))
                    .expect(200);
            merged = next;
        }
        assertThat(admin.post("/api/v1/contacts/" + first + "/deep-links", new JsonObject()).expect(409).body())
                .contains("chain of more than 32");
        admin.post("/api/v1/contacts/" + merged + "/deep-links", new JsonObject()).expect(201);
    }

    private static long contactOf(long conversation) {
        return admin.get("/api/v1/conversations/" + conversation).expect(200).json().getJsonObject("contact")
                .getLong("id");
    }

    /** A customer known by another channel, through the API inbox: returns their conversation. */
    private static long customerWritesFrom(String kind, String value, String name, String text) {
        return shop.post("/api/v1/inboxes/" + apiInbox + "/inbound", new JsonObject()
                .put("externalId", "msg-" + value)
                .put("contact", new JsonObject().put("name", name).put("identities", new JsonArray()
                        .add(new JsonObject().put("kind", kind).put("value", value))))
                .put("body", text)).expect(201).json().getLong("conversationId");
    }

    private static String token(JsonObject link) {
        return URI.create(link.getString("url")).getQuery().substring("start=".length());
    }
}
