package io.throughline.telegram;

import static io.throughline.telegram.TelegramSupport.WAIT;
import static io.throughline.telegram.TelegramSupport.awaitMessages;
import static io.throughline.telegram.TelegramSupport.conversationOf;
import static io.throughline.telegram.TelegramSupport.findConversation;
import static io.throughline.telegram.TelegramSupport.messages;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.throughline.store.Database;
import io.throughline.testing.ApiClient;
import io.throughline.testing.FakeBot;
import io.throughline.testing.FakeBotApi;
import io.throughline.testing.HeldTransaction;
import io.throughline.testing.TelegramCustomer;
import io.throughline.testing.TestServer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * A bot in webhook mode: provisioning registers {@code /hooks/telegram/<inbox id>} with a random secret; Telegram's
 * calls carrying it are committed before the 200; anything else is refused with a 4xx and the bot keeps working.
 */
class TelegramWebhookIT {

    private static final String SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token";

    private static FakeBotApi fake;
    private static FakeBot bot;
    private static TestServer server;
    private static ApiClient admin;
    private static long inboxId;
    private static String hookPath;

    @BeforeAll
    static void start() {
        fake = FakeBotApi.start();
        bot = fake.addBot(TelegramSupport.token(7_400_001), 7_400_001, "acme_hook_bot");
        // The token was used before by something that asked Telegram for callback queries only, which Telegram
        // keeps until told otherwise: messages and edits arrive only because every getUpdates and setWebhook
        // names the types again (TelegramBots sends an empty allowed_updates: all the usual types).
        bot.allowedUpdates(List.of("callback_query"));
        server = TestServer.start();
        admin = server.admin();
        JsonObject inbox = TelegramSupport.createInbox(admin, fake, bot, new JsonObject().put("mode", "webhook"));
        inboxId = inbox.getLong("id");
        hookPath = "/hooks/telegram/" + inboxId;
        assertThat(inbox.getJsonObject("config").getString("webhookSecret")).isEqualTo("********");
    }

    @AfterAll
    static void stop() {
        server.close();
        fake.close();
    }

    @Test
    void provisioningRegistersTheWebhookWithARandomSecretAndUpdatesArriveThroughIt() {
        assertThat(bot.webhookUrl()).isEqualTo(server.url() + hookPath);
        assertThat(bot.webhookSecret()).matches("[A-Za-z0-9_-]{43}");
        assertThat(bot.webhookMaxConnections()).as("one at a time, in order").isEqualTo(1);

        TelegramCustomer halyna = new TelegramCustomer(bot, 340_000_001L, "Halyna", "Hook", null);
        TelegramCustomer.Sent sent = halyna.says("Hello through the webhook");
        long conversation = conversationOf(admin, "Halyna Hook");
        assertThat(awaitMessages(admin, conversation, 1).getFirst().getString("externalId"))
                .isEqualTo("340000001:" + sent.messageId());
        await().atMost(WAIT).until(() -> bot.pending().isEmpty());
        assertThat(bot.webhookAnswers()).contains(200);
        assertThat(bot.callCount("getUpdates")).as("no long polling in webhook mode").isZero();

        JsonObject check = admin.post("/api/v1/inboxes/" + inboxId + "/test", null).expect(200).json();
        assertThat(check.getBoolean("ok")).isTrue();
        assertThat(check.getJsonArray("checks").getJsonObject(1).getString("detail"))
                .startsWith("delivering to " + server.url() + hookPath);
    }

    @Test
    void anUpdateThatCannotBeCommittedYetIsAnswered503AndTelegramsRepeatIsStoredOnce() {
        TelegramCustomer lina = new TelegramCustomer(bot, 340_000_006L, "Lina", "Retry", null);
        // Fetching the photo fails on the way (twice: OkHttp retries a dead pooled connection once by itself).
        bot.dropNext("getFile");
        bot.dropNext("getFile");
        int before = bot.webhookAnswers().size();

        lina.sendsPhoto("AgACretry", TelegramSupport.bytes("jpeg", 4_000), "Receipt photo");

        long conversation = conversationOf(admin, "Lina Retry");
        JsonObject message = awaitMessages(admin, conversation, 1).getFirst();
        assertThat(message.getJsonArray("attachments")).hasSize(1);
        await().atMost(WAIT).until(() -> bot.pending().isEmpty());
        assertThat(bot.webhookAnswers().subList(before, bot.webhookAnswers().size())).contains(503).endsWith(200);
        assertThat(messages(admin, conversation)).hasSize(1);
    }

    @Test
    void aCallWithoutTheExactSecretIsRefusedAndNothingIsStored() {
        TelegramCustomer stranger = new TelegramCustomer(bot, 340_000_002L, "Forged", "Update", null);
        byte[] update = stranger.render("private_text", Map.of("message_id", 1, "text", "Send me everything"))
                .put("update_id", 1).encode().getBytes(StandardCharsets.UTF_8);

        ApiClient.Response wrong = new ApiClient(server.url()).withHeader(SECRET_HEADER, "not-the-secret")
                .raw("POST", hookPath, "application/json", update).expect(403);
        assertThat(wrong.header("Content-Type")).startsWith("application/problem+json");
        new ApiClient(server.url()).raw("POST", hookPath, "application/json", update).expect(403);
        new ApiClient(server.url()).withHeader(SECRET_HEADER, bot.webhookSecret().substring(1))
                .raw("POST", hookPath, "application/json", update).expect(403);

        assertThat(findConversation(admin, "Forged Update")).isEmpty();
    }

    @Test
    void malformedUpdatesAreRefusedWith400AndTheBotKeepsWorking() {
        ApiClient telegram = new ApiClient(server.url()).withHeader(SECRET_HEADER, bot.webhookSecret());
        telegram.raw("POST", hookPath, "application/json", "{\"update_id\": 5, \"message\": {"
                .getBytes(StandardCharsets.UTF_8)).expect(400);
        telegram.raw("POST", hookPath, "application/json", "[1, 2]".getBytes(StandardCharsets.UTF_8)).expect(400);
        telegram.raw("POST", hookPath, "application/json", "{\"message\": {\"text\": \"no id\"}}"
                .getBytes(StandardCharsets.UTF_8)).expect(400);
        telegram.raw("POST", hookPath, "application/json", new byte[0]).expect(400);

        new TelegramCustomer(bot, 340_000_003L, "Still", "Working", null).says("Are you still there?");
        assertThat(awaitMessages(admin, conversationOf(admin, "Still Working"), 1).getFirst().getString("body"))
                .isEqualTo("Are you still there?");
    }

    @Test
    void callsForAnUnknownInboxAre404() {
        byte[] body = "{\"update_id\": 1}".getBytes(StandardCharsets.UTF_8);
        ApiClient telegram = new ApiClient(server.url()).withHeader(SECRET_HEADER, bot.webhookSecret());
        telegram.raw("POST", "/hooks/telegram/999999", "application/json", body).expect(404);
        telegram.raw("POST", "/hooks/telegram/not-a-number", "application/json", body).expect(404);
        JsonObject api = admin.post("/api/v1/inboxes", new JsonObject().put("kind", "api").put("name", "Not a bot")
                .put("config", new JsonObject())).expect(201).json();
        telegram.raw("POST", "/hooks/telegram/" + api.getLong("id"), "application/json", body).expect(404);
    }

    @Test
    void aRepeatedUpdateOrTheSameMessageUnderANewUpdateIdIsStoredOnce() {
        TelegramCustomer repeat = new TelegramCustomer(bot, 340_000_004L, "Repeat", "Sender", null);
        JsonObject message = repeat.render("private_text", Map.of("message_id", 77, "text", "Only once please"));
        ApiClient telegram = new ApiClient(server.url()).withHeader(SECRET_HEADER, bot.webhookSecret());

        telegram.raw("POST", hookPath, "application/json", message.copy().put("update_id", 9_000_001).encode()
                .getBytes(StandardCharsets.UTF_8)).expect(200);
        telegram.raw("POST", hookPath, "application/json", message.copy().put("update_id", 9_000_001).encode()
                .getBytes(StandardCharsets.UTF_8)).expect(200);
        telegram.raw("POST", hookPath, "application/json", message.copy().put("update_id", 9_000_002).encode()
                .getBytes(StandardCharsets.UTF_8)).expect(200);

        long conversation = conversationOf(admin, "Repeat Sender");
        assertThat(messages(admin, conversation)).extracting(m -> m.getString("body"))
                .containsExactly("Only once please");
    }

    /**
     * A customer's message TelegramBots cannot read (a field whose type Telegram widened) was answered 400, so
     * Telegram delivered it again and again, the updates behind it waiting, until it gave up: nobody heard of it.
     * It is taken as a note from the customer saying so, and the next update comes in.
     */
    @Test
    void aMessageTheLibraryCannotReadIsANoteFromTheCustomerAndTheNextOneComesIn() {
        TelegramCustomer oksana = new TelegramCustomer(bot, 340_000_021L, "Oksana", "Unreadable", null);
        JsonObject unreadable = oksana.render("private_text", Map.of("message_id", 9_200, "text", "hello"));
        unreadable.getJsonObject("message").put("date", "yesterday");
        ApiClient telegram = new ApiClient(server.url()).withHeader(SECRET_HEADER, bot.webhookSecret());
        telegram.raw("POST", hookPath, "application/json", unreadable.put("update_id", 9_200_001).encode()
                .getBytes(StandardCharsets.UTF_8)).expect(200);
        oksana.says("Did my last message arrive?");

        long conversation = conversationOf(admin, "Oksana Unreadable");
        List<JsonObject> thread = awaitMessages(admin, conversation, 2);
        assertThat(thread.getFirst().getString("body")).startsWith("[A Telegram message could not be read: ")
                .endsWith("(Telegram update 9200001)]");
        assertThat(thread.get(1).getString("body")).isEqualTo("Did my last message arrive?");
    }

    @Test
    void updateTypesWeDoNotKnowAreAcknowledgedAndSkipped() {
        TelegramCustomer future = new TelegramCustomer(bot, 340_000_005L, "Future", "Type", null);
        new ApiClient(server.url()).withHeader(SECRET_HEADER, bot.webhookSecret()).raw("POST", hookPath,
                "application/json", future.futureUpdate().put("update_id", 9_100_001).encode()
                        .getBytes(StandardCharsets.UTF_8)).expect(200);
        assertThat(findConversation(admin, "Future Type")).isEmpty();
    }

    /**
     * Telegram refusing the webhook when the inbox starts receiving (a public URL it cannot reach, say): health
     * says the inbox is down and why, until a later try registers it.
     */
    @Test
    void aWebhookTheInboxCannotRegisterShowsTheInboxDownUntilItIs() {
        FakeBot refusing = fake.addBot(TelegramSupport.token(7_400_021), 7_400_021, "acme_hook_refused_bot");
        long inbox = TelegramSupport.createInbox(admin, fake, refusing, new JsonObject().put("mode", "webhook"))
                .getLong("id");
        await().atMost(WAIT).until(() -> "up".equals(health(inbox).getString("status")));
        admin.patch("/api/v1/inboxes/" + inbox, new JsonObject().put("enabled", false)).expect(200);
        for (int i = 0; i < 3; i++) {
            refusing.failNext("setWebhook", 400, "Bad Request: bad webhook: Failed to resolve host", null);
        }
        admin.patch("/api/v1/inboxes/" + inbox, new JsonObject().put("enabled", true)).expect(200);

        JsonObject down = await().atMost(WAIT).until(() -> health(inbox), h -> "down".equals(h.getString("status")));
        assertThat(down.getString("detail")).contains("webhook not registered")
                .contains("Failed to resolve host");
        await().atMost(Duration.ofSeconds(30)).until(() -> "up".equals(health(inbox).getString("status")));
        assertThat(refusing.webhookUrl()).endsWith("/hooks/telegram/" + inbox);
    }

    /**
     * Telegram does not probe a webhook when it is set, and another system using the bot's token can move it: the
     * receiving node asks Telegram now and then, registers the webhook again when it points elsewhere, and says the
     * inbox is down while Telegram cannot deliver to it.
     */
    @Test
    void aWebhookMovedElsewhereIsRegisteredAgainAndOneNotDeliveredToShowsTheInboxDown() {
        FakeBot watched = fake.addBot(TelegramSupport.token(7_400_031), 7_400_031, "acme_hook_watched_bot");
        try (TestServer own = TestServer.start(Map.of("telegram.webhookCheck", "300ms"))) {
            long inbox = TelegramSupport.createInbox(own.admin(), fake, watched, new JsonObject()
                    .put("mode", "webhook")).getLong("id");
            String ours = "/hooks/telegram/" + inbox;
            await().atMost(WAIT).until(() -> "up".equals(TelegramSupport.inboxHealth(own, inbox)
                    .getString("status")));

            watched.webhookTakenBy("https://staging.example/telegram/hook");
            await().atMost(WAIT).until(() -> watched.webhookUrl() != null && watched.webhookUrl().endsWith(ours));

            watched.webhookUndeliverable("Wrong response from the webhook: 502 Bad Gateway");
            new TelegramCustomer(watched, 340_000_031L, "Proxy", "Broken", null).says("Is anyone there?");
            JsonObject down = await().atMost(WAIT).until(() -> TelegramSupport.inboxHealth(own, inbox),
                    h -> "down".equals(h.getString("status")));
            assertThat(down.getString("detail")).contains("cannot deliver").contains("502 Bad Gateway");

            watched.webhookDeliveredAgain();
            await().atMost(WAIT).until(() -> "up".equals(TelegramSupport.inboxHealth(own, inbox)
                    .getString("status")));
            assertThat(TelegramSupport.messages(own.admin(), TelegramSupport.conversationOf(own.admin(),
                    "Proxy Broken"))).hasSize(1);
        }
    }

    private static JsonObject health(long inbox) {
        return TelegramSupport.inboxHealth(server, inbox);
    }

    /** A disabled webhook inbox has no webhook, and editing its settings while disabled does not register one. */
    @Test
    void aDisabledWebhookInboxStaysWithoutAWebhookWhenItsSettingsChange() {
        FakeBot paused = fake.addBot(TelegramSupport.token(7_400_009), 7_400_009, "acme_hook_paused_bot");
        long inbox = TelegramSupport.createInbox(admin, fake, paused, new JsonObject().put("mode", "webhook"))
                .getLong("id");
        assertThat(paused.webhookUrl()).endsWith("/hooks/telegram/" + inbox);
        admin.patch("/api/v1/inboxes/" + inbox, new JsonObject().put("enabled", false)).expect(200);
        await().atMost(WAIT).until(() -> paused.webhookUrl() == null);

        admin.patch("/api/v1/inboxes/" + inbox, new JsonObject().put("config", new JsonObject()
                .put("apiUrl", fake.apiUrl()).put("mode", "webhook").put("greeting", "Hi, we are back soon")))
                .expect(200);
        assertThat(paused.webhookUrl()).isNull();
        admin.patch("/api/v1/inboxes/" + inbox, new JsonObject().put("enabled", true)).expect(200);
        await().atMost(WAIT).until(() -> paused.webhookUrl() != null);
    }

    @Test
    void deletingAWebhookInboxRemovesTheWebhookFromTelegram() {
        FakeBot other = fake.addBot(TelegramSupport.token(7_400_002), 7_400_002, "acme_hook_two_bot");
        long otherInbox = TelegramSupport.createInbox(admin, fake, other, new JsonObject().put("mode", "webhook"))
                .getLong("id");
        assertThat(other.webhookUrl()).endsWith("/hooks/telegram/" + otherInbox);

        admin.delete("/api/v1/inboxes/" + otherInbox).expect(204);

        await().atMost(WAIT).until(() -> other.webhookUrl() == null);
        new ApiClient(server.url()).withHeader(SECRET_HEADER, "anything").raw("POST",
                "/hooks/telegram/" + otherInbox, "application/json", "{\"update_id\":1}"
                        .getBytes(StandardCharsets.UTF_8)).expect(404);
    }

    @Test
    void switchingModesMovesTheBotBetweenLongPollingAndTheWebhook() {
        FakeBot switching = fake.addBot(TelegramSupport.token(7_400_003), 7_400_003, "acme_switch_bot");
        long inbox = TelegramSupport.createInbox(admin, fake, switching, new JsonObject()).getLong("id");
        await().atMost(WAIT).until(switching::pollParked);
        TelegramCustomer customer = new TelegramCustomer(switching, 340_000_007L, "Switch", "Modes", null);

        admin.patch("/api/v1/inboxes/" + inbox, new JsonObject().put("config", new JsonObject()
                .put("apiUrl", fake.apiUrl()).put("mode", "webhook"))).expect(200);
        assertThat(switching.webhookUrl()).isEqualTo(server.url() + "/hooks/telegram/" + inbox);
        customer.says("Sent while on the webhook");
        long conversation = conversationOf(admin, "Switch Modes");
        awaitMessages(admin, conversation, 1);

        admin.patch("/api/v1/inboxes/" + inbox, new JsonObject().put("config", new JsonObject()
                .put("apiUrl", fake.apiUrl()).put("mode", "long_polling"))).expect(200);
        await().atMost(WAIT).until(() -> switching.webhookUrl() == null && switching.pollParked());
        customer.says("Sent while long polling");
        assertThat(awaitMessages(admin, conversation, 2)).extracting(m -> m.getString("body"))
                .containsExactly("Sent while on the webhook", "Sent while long polling");
    }

    @Test
    void movingTheInboxToAnotherBotRotatesTheSecretAndReleasesTheOldBot() {
        FakeBot first = fake.addBot(TelegramSupport.token(7_400_004), 7_400_004, "acme_old_bot");
        FakeBot second = fake.addBot(TelegramSupport.token(7_400_005), 7_400_005, "acme_new_bot");
        long inbox = TelegramSupport.createInbox(admin, fake, first, new JsonObject().put("mode", "webhook"))
                .getLong("id");
        String oldSecret = first.webhookSecret();

        JsonObject moved = admin.patch("/api/v1/inboxes/" + inbox, new JsonObject().put("config", new JsonObject()
                .put("botToken", second.token()).put("apiUrl", fake.apiUrl()).put("mode", "webhook")))
                .expect(200).json();

        assertThat(moved.getJsonObject("config").getString("botUsername")).isEqualTo("acme_new_bot");
        assertThat(second.webhookUrl()).endsWith("/hooks/telegram/" + inbox);
        assertThat(second.webhookSecret()).isNotEqualTo(oldSecret);
        assertThat(first.webhookUrl()).as("the old bot stops calling us").isNull();
        await().atMost(WAIT).untilAsserted(() -> new ApiClient(server.url()).withHeader(SECRET_HEADER, oldSecret)
                .raw("POST", "/hooks/telegram/" + inbox, "application/json", "{\"update_id\": 1}"
                        .getBytes(StandardCharsets.UTF_8)).expect(403));
    }

    @Test
    void aBotServesOneInboxOnlyAndASecondCannotTakeItsWebhook() {
        FakeBot shared = fake.addBot(TelegramSupport.token(7_400_006), 7_400_006, "acme_shared_bot");
        long first = TelegramSupport.createInbox(admin, fake, shared, new JsonObject().put("mode", "webhook"))
                .getLong("id");
        String hook = shared.webhookUrl();

        JsonObject refused = admin.post("/api/v1/inboxes", new JsonObject().put("kind", "telegram")
                .put("name", "Same bot again").put("config", new JsonObject().put("botToken", shared.token())
                        .put("apiUrl", fake.apiUrl()).put("mode", "webhook"))).expect(409).json();
        assertThat(refused.getString("detail")).contains("already serves another enabled inbox (inbox " + first);
        assertThat(shared.webhookUrl()).as("the first inbox keeps its webhook").isEqualTo(hook);

        // Another inbox re-pointed at the bot is refused too; once the first is disabled, the bot is free.
        FakeBot spare = fake.addBot(TelegramSupport.token(7_400_007), 7_400_007, "acme_spare_bot");
        long second = TelegramSupport.createInbox(admin, fake, spare, new JsonObject()).getLong("id");
        JsonObject repoint = new JsonObject().put("config", new JsonObject().put("botToken", shared.token())
                .put("apiUrl", fake.apiUrl()).put("mode", "webhook"));
        admin.patch("/api/v1/inboxes/" + second, repoint).expect(409);
        assertThat(shared.webhookUrl()).isEqualTo(hook);
        admin.patch("/api/v1/inboxes/" + first, new JsonObject().put("enabled", false)).expect(200);
        admin.patch("/api/v1/inboxes/" + second, repoint).expect(200);
        assertThat(shared.webhookUrl()).endsWith("/hooks/telegram/" + second);
        admin.patch("/api/v1/inboxes/" + first, new JsonObject().put("enabled", true)).expect(409);
    }

    @Test
    void aSaveThatFailsLeavesTheOldBotItsWebhook() {
        FakeBot kept = fake.addBot(TelegramSupport.token(7_400_011), 7_400_011, "acme_kept_bot");
        FakeBot raced = fake.addBot(TelegramSupport.token(7_400_012), 7_400_012, "acme_raced_bot");
        FakeBot other = fake.addBot(TelegramSupport.token(7_400_013), 7_400_013, "acme_other_bot");
        long inbox = TelegramSupport.createInbox(admin, fake, kept, new JsonObject().put("mode", "webhook"))
                .getLong("id");
        long rival = TelegramSupport.createInbox(admin, fake, other, new JsonObject()).getLong("id");
        String hook = kept.webhookUrl();
        Database database = server.throughline().database();
        // Another inbox takes the new bot in the instant between this save's check and its commit.
        HeldTransaction<Integer> takeover = HeldTransaction.start(database, tx -> tx.update(
                "UPDATE inboxes SET exclusive_key = '7400012' WHERE id = $1", rival));
        CompletableFuture<Integer> save = CompletableFuture.supplyAsync(() -> admin.patch("/api/v1/inboxes/"
                + inbox, new JsonObject().put("config", new JsonObject().put("botToken", raced.token())
                        .put("apiUrl", fake.apiUrl()).put("mode", "webhook"))).status());
        await().atMost(WAIT).until(() -> HeldTransaction.someoneWaits(database));
        takeover.commit();

        assertThat(save.join()).isEqualTo(409);
        assertThat(kept.webhookUrl()).as("the inbox still speaks for the old bot").isEqualTo(hook);
        TelegramCustomer customer = new TelegramCustomer(kept, 340_000_011L, "Kept", "Hook", null);
        customer.says("Still arriving through the old bot");
        awaitMessages(admin, conversationOf(admin, "Kept Hook"), 1);
    }

    @Test
    void deletingADisabledInboxLeavesItsBotToTheInboxThatTookItOver() {
        FakeBot handed = fake.addBot(TelegramSupport.token(7_400_014), 7_400_014, "acme_handed_bot");
        FakeBot spare = fake.addBot(TelegramSupport.token(7_400_015), 7_400_015, "acme_spare2_bot");
        long first = TelegramSupport.createInbox(admin, fake, handed, new JsonObject().put("mode", "webhook"))
                .getLong("id");
        long second = TelegramSupport.createInbox(admin, fake, spare, new JsonObject()).getLong("id");
        admin.patch("/api/v1/inboxes/" + first, new JsonObject().put("enabled", false)).expect(200);
        admin.patch("/api/v1/inboxes/" + second, new JsonObject().put("config", new JsonObject()
                .put("botToken", handed.token()).put("apiUrl", fake.apiUrl()).put("mode", "webhook")))
                .expect(200);
        String hook = handed.webhookUrl();
        assertThat(hook).endsWith("/hooks/telegram/" + second);

        admin.delete("/api/v1/inboxes/" + first).expect(204);
        assertThat(handed.webhookUrl()).as("the bot's webhook is the second inbox's").isEqualTo(hook);
        TelegramCustomer customer = new TelegramCustomer(handed, 340_000_014L, "Handed", "Over", null);
        customer.says("Reaching the inbox that took the bot");
        awaitMessages(admin, conversationOf(admin, "Handed Over"), 1);
    }

    @Test
    void aRefusedTokenOrAnInvalidConfigIsA400NamingEveryField() {
        JsonObject refused = admin.post("/api/v1/inboxes", new JsonObject().put("kind", "telegram").put("name", "x")
                .put("config", new JsonObject().put("botToken", "999999:AAHnotaknownbottokenatall000000")
                        .put("apiUrl", fake.apiUrl()))).expect(400).json();
        assertThat(refused.encode()).contains("config.botToken").contains("Telegram refused this token")
                .doesNotContain("AAHnotaknownbottokenatall");

        JsonObject invalid = admin.post("/api/v1/inboxes", new JsonObject().put("kind", "telegram").put("name", "x")
                .put("config", new JsonObject().put("botToken", "oops").put("mode", "push")
                        .put("apiUrl", "https://proxy.example/telegram").put("maxFileSize", "3TB")
                        .put("colour", "blue"))).expect(400).json();
        JsonArray errors = invalid.getJsonArray("errors");
        assertThat(errors.stream().map(e -> ((JsonObject) e).getString("field"))).containsExactlyInAnyOrder(
                "config.botToken", "config.mode", "config.apiUrl", "config.maxFileSize", "config.colour");
        assertThat(invalid.encode()).doesNotContain("oops");
    }

    /**
     * Telegram answering "busy" (flood control, its own 5xx) while a save checks the token or registers the webhook
     * is no fault of the config: a 503 to try again, naming no field, and nothing is stored.
     */
    @Test
    void aBusyTelegramDuringASaveIsA503ToTryAgainNotABadField() {
        FakeBot busy = fake.addBot(TelegramSupport.token(7_400_010), 7_400_010, "acme_hook_busy_bot");
        int before = admin.get("/api/v1/inboxes").json().getJsonArray("inboxes").size();
        busy.failNext("getMe", 502, "Bad Gateway", null);
        ApiClient.Response unchecked = admin.post("/api/v1/inboxes", new JsonObject().put("kind", "telegram")
                .put("name", "Busy").put("config", new JsonObject().put("botToken", busy.token())
                        .put("apiUrl", fake.apiUrl()).put("mode", "webhook")));
        assertThat(unchecked.status()).isEqualTo(503);
        assertThat(unchecked.header("Retry-After")).isEqualTo("5");
        assertThat(unchecked.json().containsKey("errors")).isFalse();

        busy.failNext("setWebhook", 429, "Too Many Requests: retry after 2", 2);
        ApiClient.Response unregistered = admin.post("/api/v1/inboxes", new JsonObject().put("kind", "telegram")
                .put("name", "Busy").put("config", new JsonObject().put("botToken", busy.token())
                        .put("apiUrl", fake.apiUrl()).put("mode", "webhook")));
        assertThat(unregistered.status()).isEqualTo(503);
        assertThat(unregistered.header("Retry-After")).isEqualTo("2");
        assertThat(admin.get("/api/v1/inboxes").json().getJsonArray("inboxes")).hasSize(before);

        TelegramSupport.createInbox(admin, fake, busy, new JsonObject().put("mode", "webhook"));
        assertThat(busy.webhookUrl()).isNotNull();
    }
}
