package io.throughline.telegram;

import static io.throughline.telegram.TelegramSupport.WAIT;
import static io.throughline.telegram.TelegramSupport.awaitMessages;
import static io.throughline.telegram.TelegramSupport.bytes;
import static io.throughline.telegram.TelegramSupport.contact;
import static io.throughline.telegram.TelegramSupport.conversationOf;
import static io.throughline.telegram.TelegramSupport.download;
import static io.throughline.telegram.TelegramSupport.findConversation;
import static io.throughline.telegram.TelegramSupport.identity;
import static io.throughline.telegram.TelegramSupport.messages;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import io.throughline.testing.ApiClient;
import io.throughline.testing.FakeBot;
import io.throughline.testing.FakeBotApi;
import io.throughline.testing.MovableClock;
import io.throughline.testing.TelegramCustomer;
import io.throughline.testing.TestPostgres;
import io.throughline.testing.TestServer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Objects;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

/**
 * Customers writing to a long-polling bot, through the real server and the real TelegramBots client talking to a
 * fake Bot API: what they send appears in their one conversation, as agents should read it.
 */
class TelegramInboundIT {

    private static final String GREETING = "Вітаємо! Напишіть питання, і ми відповімо тут.";

    private static FakeBotApi fake;
    private static FakeBot bot;
    private static TestServer server;
    private static ApiClient admin;
    private static long inboxId;

    @BeforeAll
    static void start() {
        fake = FakeBotApi.start();
        bot = fake.addBot(TelegramSupport.token(7_100_001), 7_100_001, "acme_support_bot");
        // The token was used before by something that asked Telegram for callback queries only, which Telegram
        // keeps until told otherwise: messages and edits arrive only because every getUpdates and setWebhook
        // names the types again (TelegramBots sends an empty allowed_updates: all the usual types).
        bot.allowedUpdates(List.of("callback_query"));
        server = TestServer.start();
        admin = server.admin();
        JsonObject inbox = TelegramSupport.createInbox(admin, fake, bot, new JsonObject().put("greeting", GREETING));
        inboxId = inbox.getLong("id");
        assertThat(inbox.getJsonObject("config").getString("botToken")).isEqualTo("********");
        assertThat(inbox.getJsonObject("config").getString("botUsername")).isEqualTo("acme_support_bot");
        assertThat(inbox.getJsonObject("config").getString("mode")).isNull();
        await().atMost(WAIT).until(bot::pollParked);
    }

    @AfterAll
    static void stop() {
        server.close();
        fake.close();
    }

    @Test
    void textMessagesLandInTheCustomersOneConversationUnderTheirProvenTelegramAccount() {
        TelegramCustomer olena = new TelegramCustomer(bot, 310_000_001L, "Olena", "Kovalenko", "olena_k");
        TelegramCustomer.Sent first = olena.says("Hello, my order #1042 has not arrived");
        long conversation = conversationOf(admin, "Olena Kovalenko");
        olena.says("It was due on Monday");
        olena.says("The courier wrote:\n> parcel 1042 held at the depot");

        List<JsonObject> thread = awaitMessages(admin, conversation, 3);
        assertThat(thread).extracting(m -> m.getString("body"))
                .containsExactly("Hello, my order #1042 has not arrived", "It was due on Monday",
                        "The courier wrote:\n> parcel 1042 held at the depot");
        assertThat(thread.get(2).getValue("display")).as("a chat message has no quote or signature to trim")
                .isNull();
        JsonObject message = thread.getFirst();
        assertThat(message.getString("channel")).isEqualTo("telegram");
        assertThat(message.getString("kind")).isEqualTo("in");
        assertThat(message.getLong("inboxId")).isEqualTo(inboxId);
        assertThat(message.getString("externalId")).isEqualTo("310000001:" + first.messageId());
        assertThat(message.getJsonObject("metadata").getString("chatId")).isEqualTo("310000001");
        assertThat(message.getJsonObject("metadata").getString("username")).isEqualTo("olena_k");
        assertThat(message.getJsonObject("threading").getString("reason")).isEqualTo("new");
        assertThat(thread.get(1).getJsonObject("threading").getString("reason")).isEqualTo("sender");

        JsonObject telegram = identity(contact(admin, conversation), "telegram");
        assertThat(telegram.getString("value")).isEqualTo("310000001");
        assertThat(telegram.getBoolean("proven")).isTrue();
    }

    /**
     * A photo whose file Telegram keeps failing to serve (502 for every getFile) held the bot's later updates back
     * for ever. Past half an hour of such failures, the message is kept with a note for the file, and the updates
     * behind it come in. Its own server, with a clock the test moves forward.
     */
    @Test
    void aFileTelegramKeepsFailingToServeStopsHoldingTheBotBackAfterHalfAnHour() {
        MovableClock clock = new MovableClock();
        FakeBot stuck = fake.addBot(TelegramSupport.token(7_100_077), 7_100_077, "stuck_files_bot");
        try (TestServer own = TestServer.startOn(TestPostgres.newDatabase(), TestServer.tempDir(), Map.of(), clock)) {
            ApiClient agent = own.admin();
            TelegramSupport.createInbox(agent, fake, stuck, new JsonObject());
            await().atMost(WAIT).until(stuck::pollParked);
            for (int i = 0; i < 200; i++) {
                stuck.failNext("getFile", 502, "Bad Gateway", null);
            }
            TelegramCustomer customer = new TelegramCustomer(stuck, 310_000_077L, "Stuck", "Photo", null);
            customer.sendsPhoto("stuck-photo", bytes("lid", 2_000), "The scratch on the lid");
            customer.sendsPhoto("stuck-photo-2", bytes("lid-2", 2_000), "And on the side");
            customer.says("Did the photo arrive?");
            await().atMost(WAIT).until(() -> stuck.callCount("getFile") >= 2);
            assertThat(findConversation(agent, "Stuck Photo")).as("held back while the file may still come")
                    .isEmpty();

            clock.advance(Duration.ofMinutes(31));
            long conversation = await().atMost(WAIT).until(() -> findConversation(agent, "Stuck Photo"),
                    Optional::isPresent).orElseThrow();
            // The second photo, queued behind, does not wait half an hour of its own while Telegram still fails.
            List<JsonObject> thread = awaitMessages(agent, conversation, 3);
            assertThat(thread.getFirst().getString("body")).startsWith("The scratch on the lid")
                    .contains("[File not available").contains("Telegram kept failing to serve it");
            assertThat(thread.get(1).getString("body")).startsWith("And on the side").contains("[File not available");
            assertThat(thread.get(2).getString("body")).isEqualTo("Did the photo arrive?");

            // Half an hour on, a file failing so is waited for again (the trouble may be over).
            clock.advance(Duration.ofMinutes(31));
            long tried = stuck.callCount("getFile");
            customer.sendsPhoto("stuck-photo-3", bytes("lid-3", 2_000), "And the handle");
            await().atMost(WAIT).until(() -> stuck.callCount("getFile") >= tried + 2);
            assertThat(messages(agent, conversation)).as("held back again").hasSize(3);
        }
    }

    /**
     * A file whose download turns out larger than the inbox takes, though Telegram announced less: the message is
     * kept with a "file too large" note (it was taken for the disk refusing it, and retried for ever).
     */
    @Test
    void aDownloadLargerThanAnnouncedIsAFileTooLargeNote() {
        FakeBot small = fake.addBot(TelegramSupport.token(7_100_079), 7_100_079, "small_files_bot");
        TelegramSupport.createInbox(admin, fake, small, new JsonObject().put("maxFileSize", "1KB"));
        await().atMost(WAIT).until(small::pollParked);
        small.addFile("big-scan", "AgADbig-scan", "documents/file_big-scan", bytes("scan", 5_000), 500);
        TelegramCustomer customer = new TelegramCustomer(small, 310_000_079L, "Large", "Scan", null);
        customer.sendsAnnouncedDocument("big-scan", "scan.pdf", "application/pdf", 500, "My scan");
        customer.says("Did it arrive?");
        List<JsonObject> thread = awaitMessages(admin, conversationOf(admin, "Large Scan"), 2);
        assertThat(thread.getFirst().getString("body")).startsWith("My scan").contains("[File too large: \"scan.pdf\"");
        assertThat(thread.getFirst().getJsonArray("attachments")).isEmpty();
    }

    /**
     * Long polling that stopped asking for updates (a batch stuck in a download that never ends, a session that
     * died) said "up, last poll N s ago" for ever: past five minutes without a getUpdates, /health says it stalled.
     */
    @Test
    void longPollingThatStopsAskingForUpdatesIsDownInHealth() {
        MovableClock clock = new MovableClock();
        FakeBot slow = fake.addBot(TelegramSupport.token(7_100_078), 7_100_078, "slow_files_bot");
        try (TestServer own = TestServer.startOn(TestPostgres.newDatabase(), TestServer.tempDir(), Map.of(), clock)) {
            ApiClient agent = own.admin();
            long inbox = TelegramSupport.createInbox(agent, fake, slow, new JsonObject()).getLong("id");
            await().atMost(WAIT).until(slow::pollParked);
            slow.holdDownloads();
            TelegramCustomer customer = new TelegramCustomer(slow, 310_000_078L, "Slow", "Download", null);
            customer.sendsPhoto("slow-photo", bytes("slow", 2_000), "The crack in the glass");
            await().atMost(WAIT).until(() -> slow.heldDownloads() == 1);
            assertThat(pollingHealth(own, inbox).getString("status")).isEqualTo("up");

            clock.advance(Duration.ofMinutes(6));
            JsonObject stalled = pollingHealth(own, inbox);
            assertThat(stalled.getString("status")).isEqualTo("down");
            assertThat(stalled.getString("detail")).startsWith("long polling stalled: no getUpdates for ");

            slow.releaseDownloads();
            awaitMessages(agent, conversationOf(agent, "Slow Download"), 1);
            await().atMost(WAIT).until(() -> "up".equals(pollingHealth(own, inbox).getString("status")));
        }
    }

    /**
     * Long polling that cannot start (a token revoked in @BotFather: the session's deleteWebhook answers 401) shows
     * the inbox down with the refused call, until a later try starts it: it said "up, long polling on another node"
     * on every node while none received.
     */
    @Test
    void longPollingThatCannotStartIsDownInHealthUntilItStarts() {
        FakeBot revoked = fake.addBot(TelegramSupport.token(7_100_083), 7_100_083, "revoked_token_bot");
        long inbox = TelegramSupport.createInbox(admin, fake, revoked, new JsonObject()).getLong("id");
        await().atMost(WAIT).until(revoked::pollParked);
        admin.patch("/api/v1/inboxes/" + inbox, new JsonObject().put("enabled", false)).expect(200);
        for (int i = 0; i < 3; i++) {
            revoked.failNext("deleteWebhook", 401, "Unauthorized", null);
        }
        admin.patch("/api/v1/inboxes/" + inbox, new JsonObject().put("enabled", true)).expect(200);

        JsonObject down = await().atMost(WAIT).until(() -> TelegramSupport.inboxHealth(server, inbox),
                h -> "down".equals(h.getString("status")));
        assertThat(down.getString("detail")).startsWith("long polling could not start: deleteWebhook answered 401")
                .doesNotContain(revoked.token());
        await().atMost(Duration.ofSeconds(40)).until(() -> "up".equals(pollingHealth(server, inbox)
                .getString("status")));
        await().atMost(WAIT).until(revoked::pollParked);
    }

    private static JsonObject pollingHealth(TestServer server, long inbox) {
        JsonObject health = TelegramSupport.inboxHealth(server, inbox);
        assertThat(health.getLong("inboxId")).as("open on the node").isEqualTo(inbox);
        return health;
    }

    /**
     * A proxy in front of a self-hosted Bot API server may echo the request's path in its error page, and the path
     * holds the bot's token: the failure is logged without it.
     */
    @Test
    void aGetUpdatesFailureEchoingTheRequestPathIsLoggedWithoutTheToken() {
        Logger poller = (Logger) LoggerFactory.getLogger("io.throughline.telegram.LongPoller");
        ListAppender<ILoggingEvent> logged = new ListAppender<>();
        logged.start();
        poller.addAppender(logged);
        try {
            bot.failNext("getUpdates", 502, "Bad Gateway: no upstream for /bot" + bot.token() + "/getUpdates (/bot"
                    + URLEncoder.encode(bot.token(), StandardCharsets.UTF_8) + "/getUpdates)", null);
            // Its message ends the waiting poll; the next one meets the proxy's error, and the one after goes on.
            TelegramCustomer customer = new TelegramCustomer(bot, 310_000_061L, "Proxy", "Echo", null);
            customer.says("Is anyone there?");
            customer.says("Hello again");
            awaitMessages(admin, conversationOf(admin, "Proxy Echo"), 2);
            await().atMost(WAIT).until(() -> List.copyOf(logged.list).stream()
                    .anyMatch(e -> e.getFormattedMessage().contains("status=502")));
            String secret = bot.token().substring(bot.token().indexOf(':') + 1);
            assertThat(List.copyOf(logged.list)).extracting(ILoggingEvent::getFormattedMessage)
                    .noneMatch(line -> line.contains(secret))
                    .anyMatch(line -> line.contains("no upstream for /bot<token>/getUpdates (/bot<token>/getUpdates)"));
        } finally {
            poller.detachAppender(logged);
        }
    }

    /**
     * A getUpdates refused with 429 names how long to wait in {@code retry_after}: polling asks again only after it
     * (it asked after half a second, refused again and counted against the bot), and then takes what waited.
     */
    @Test
    void aGetUpdatesRefusedWithRetryAfterWaitsThatLong() {
        bot.failNext("getUpdates", 429, "Too Many Requests: retry after 3", 3);
        int before = bot.callTimes("getUpdates").size();
        // Its message ends the waiting poll; the next one is refused, and the one after takes the second message.
        TelegramCustomer customer = new TelegramCustomer(bot, 310_000_062L, "Patient", "Poller", null);
        customer.says("First, before the refusal");
        customer.says("Second, while polling waits");
        awaitMessages(admin, conversationOf(admin, "Patient Poller"), 2);
        List<Long> polls = bot.callTimes("getUpdates").subList(before, bot.callTimes("getUpdates").size());
        assertThat(polls).as("the refused poll, then the one that took the message").hasSizeGreaterThanOrEqualTo(2);
        assertThat(Duration.ofNanos(polls.get(1) - polls.get(0))).isGreaterThanOrEqualTo(Duration.ofMillis(2_900));
    }

    /**
     * Each bot numbers its chats and its updates anew: an inbox moved to another bot must neither take the new
     * bot's first message for a duplicate of the old bot's (same chat, same message id) nor confirm, and so drop,
     * the new bot's updates by an offset from the old bot's numbering.
     */
    @Test
    void anInboxMovedToAnotherBotTakesEveryMessageOfTheNewBot() {
        FakeBot before = fake.addBot(TelegramSupport.token(7_100_011), 7_100_011, "acme_before_bot");
        FakeBot after = fake.addBot(TelegramSupport.token(7_100_012), 7_100_012, "acme_after_bot");
        long moving = TelegramSupport.createInbox(admin, fake, before, new JsonObject()).getLong("id");
        await().atMost(WAIT).until(before::pollParked);
        TelegramCustomer toOld = new TelegramCustomer(before, 310_000_050L, "Marta", "Moved", null);
        toOld.says("Written to the old bot");
        TelegramCustomer.Sent second = toOld.says("And once more");
        long conversation = conversationOf(admin, "Marta Moved");
        awaitMessages(admin, conversation, 2);

        after.restartUpdateIds(1_000);
        admin.patch("/api/v1/inboxes/" + moving, new JsonObject().put("config", new JsonObject()
                .put("botToken", after.token()).put("apiUrl", fake.apiUrl()))).expect(200);
        await().atMost(WAIT).until(after::pollParked);
        long reply = admin.post("/api/v1/conversations/" + conversation + "/messages", new JsonObject()
                .put("body", "We have a new bot.")).expect(201).json().getLong("id");
        FakeBotApi.Sent sent = await().atMost(WAIT).until(() -> after.sent().stream()
                .filter(m -> m.visibleText().contains("We have a new bot.")).findFirst(), Optional::isPresent)
                .orElseThrow();
        assertThat(sent.replyTo()).as("the old bot's message number names another message in this chat").isNull();
        await().atMost(WAIT).until(() -> server.throughline().database().sql().one("SELECT external_id FROM"
                + " deliveries WHERE message_id = $1 AND status = 'sent'", reply).isPresent());
        assertThat(server.throughline().database().sql().single("SELECT external_id FROM deliveries"
                + " WHERE message_id = $1", reply).getString("external_id")).startsWith("7100012/");

        TelegramCustomer.Sent toNew = new TelegramCustomer(after, 310_000_050L, "Marta", "Moved", null)
                .says("Written to the new bot");
        assertThat(toNew.messageId()).as("the new bot numbers its chat anew").isEqualTo(second.messageId());
        List<JsonObject> thread = awaitMessages(admin, conversation, 4);
        assertThat(thread).extracting(m -> m.getString("body")).containsExactly("Written to the old bot",
                "And once more", "We have a new bot.", "Written to the new bot");
        assertThat(thread.get(3).getString("externalId")).isEqualTo("7100012/310000050:" + toNew.messageId());
    }

    @Test
    void photosDocumentsVoiceVideoAndStickersAreStoredAsAttachments() {
        TelegramCustomer taras = new TelegramCustomer(bot, 310_000_002L, "Taras", "Melnyk", null);
        byte[] photo = bytes("jpeg", 48_000);
        byte[] invoice = bytes("%PDF-1.7", 120_000);
        byte[] voice = bytes("OggS", 9_000);
        byte[] video = bytes("ftypmp4", 300_000);
        byte[] sticker = bytes("RIFFWEBP", 20_000);
        taras.sendsPhoto("AgACphoto1", photo, "The box arrived like this");
        long conversation = conversationOf(admin, "Taras Melnyk");
        taras.sendsDocument("BQACinvoice", "рахунок-1042.pdf", "application/pdf", invoice, null);
        taras.sendsVoice("AwACvoice", voice);
        taras.sendsVideo("BAACvideo", "unboxing.mp4", video);
        taras.sendsSticker("CAACsticker", sticker);

        List<JsonObject> thread = awaitMessages(admin, conversation, 5);
        assertThat(thread.getFirst().getString("body")).isEqualTo("The box arrived like this");
        assertAttachment(thread.get(0), "photo-AQADAgACphoto1.jpg", "image/jpeg", photo);
        assertAttachment(thread.get(1), "рахунок-1042.pdf", "application/pdf", invoice);
        assertAttachment(thread.get(2), "voice-AwADAwACvoice.ogg", "audio/ogg", voice);
        assertAttachment(thread.get(3), "unboxing.mp4", "video/mp4", video);
        assertThat(thread.get(4).getString("body")).isEqualTo("[Sticker 👍]");
        assertAttachment(thread.get(4), "sticker-CAADCAACsticker.webp", "image/webp", sticker);
        // Of the photo's two sizes only the largest is fetched.
        assertThat(bot.requestedFiles()).contains("AgACphoto1").doesNotContain("AgACphoto1-small");
    }

    /** A getFile refused with 429 is asked again when Telegram's retry_after says, not at the next backoff step. */
    @Test
    void aFileRefusedForFloodControlIsAskedForAgainWhenTelegramSays() {
        TelegramCustomer petro = new TelegramCustomer(bot, 310_000_097L, "Petro", "Flood", null);
        byte[] photo = bytes("jpeg", 12_000);
        long before = bot.callCount("getFile");
        bot.failNext("getFile", 429, "Too Many Requests: retry after 3", 3);
        petro.sendsPhoto("AgACflood", photo, "The dent in the door");
        await().atMost(WAIT).until(() -> bot.callCount("getFile") > before);
        long refusedAt = System.nanoTime();
        await().atMost(WAIT).until(() -> bot.callCount("getFile") > before + 1);
        // The first backoff step is a second; Telegram asked for three (less the test's own polling).
        assertThat(Duration.ofNanos(System.nanoTime() - refusedAt)).isGreaterThan(Duration.ofMillis(2_500));
        JsonObject message = awaitMessages(admin, conversationOf(admin, "Petro Flood"), 1).getFirst();
        assertAttachment(message, "photo-AQADAgACflood.jpg", "image/jpeg", photo);
    }

    /** Telegram answers 400 for a file it cannot serve for a moment too: the update is tried again for it. */
    @Test
    void aPhotoTelegramCannotServeForAMomentIsFetchedOnTheNextTry() {
        TelegramCustomer oksana = new TelegramCustomer(bot, 310_000_091L, "Oksana", "Hnatiuk", null);
        byte[] photo = bytes("jpeg", 30_000);
        bot.failNext("getFile", 400, "Bad Request: wrong file_id or the file is temporarily unavailable", null);
        oksana.sendsPhoto("AgACmoment", photo, "The scratch on the lid");
        long conversation = conversationOf(admin, "Oksana Hnatiuk");

        JsonObject message = awaitMessages(admin, conversation, 1).getFirst();
        assertThat(message.getString("body")).isEqualTo("The scratch on the lid");
        assertAttachment(message, "photo-AQADAgACmoment.jpg", "image/jpeg", photo);

        // A file it never serves keeps the message, on the update's last try, with a note for the file.
        for (int i = 0; i < 5; i++) {
            bot.failNext("getFile", 400, "Bad Request: wrong file_id or the file is temporarily unavailable", null);
        }
        long before = bot.callCount("getFile");
        oksana.sendsPhoto("AgACnever", bytes("jpeg", 10_000), "And the box");
        // Five tries, the poller waiting 1, 2, 4 and 8 seconds between them.
        JsonObject kept = await().atMost(Duration.ofSeconds(45)).until(() -> messages(admin, conversation),
                m -> m.size() >= 2).get(1);
        assertThat(kept.getString("body")).startsWith("And the box\n[File not available:");
        assertThat(kept.getJsonArray("attachments")).isEmpty();
        assertThat(bot.callCount("getFile") - before).isEqualTo(5);
    }

    @Test
    void aFileOverTheTwentyMegabyteLimitIsShownAsTooLargeWithItsNameAndSize() {
        TelegramCustomer ivan = new TelegramCustomer(bot, 310_000_003L, "Ivan", "Bondar", null);
        bot.addFile("BQAChuge", "AgADhuge", "documents/huge.pdf", 26_214_400L);
        ivan.sendsAnnouncedDocument("BQAChuge", "contract-scan.pdf", "application/pdf", 26_214_400L,
                "Signed contract");
        long conversation = conversationOf(admin, "Ivan Bondar");

        JsonObject message = awaitMessages(admin, conversation, 1).getFirst();
        assertThat(message.getString("body")).startsWith("Signed contract\n[File too large: \"contract-scan.pdf\","
                + " 25.0 MB; bots can fetch files up to 20.0 MB.");
        assertThat(message.getJsonArray("attachments")).isEmpty();
        assertThat(bot.requestedFiles()).doesNotContain("BQAChuge");
    }

    @Test
    void aSelfHostedServerInLocalModeHandsFilesOverFromItsDirectoryOnly() {
        Path served = TestServer.tempDir().resolve("bot-api");
        FakeBot local = fake.addBot(TelegramSupport.token(7_100_002), 7_100_002, "acme_local_bot");
        local.keepFilesOnDisk(served);
        TelegramSupport.createInbox(admin, fake, local, new JsonObject().put("localFilesDir", served.toString()));
        // Another bot whose server names files outside its own directory: another bot's, a file of the node.
        FakeBot astray = fake.addBot(TelegramSupport.token(7_100_003), 7_100_003, "acme_astray_bot");
        astray.keepFilesOnDisk(TestServer.tempDir().resolve("elsewhere"));
        TelegramSupport.createInbox(admin, fake, astray, new JsonObject().put("localFilesDir", "/"));
        await().atMost(WAIT).until(() -> local.pollParked() && astray.pollParked());

        byte[] scan = bytes("%PDF-scan", 40_000);
        new TelegramCustomer(local, 310_000_020L, "Olha", "Local", null)
                .sendsDocument("BQAClocal", "scan.pdf", "application/pdf", scan, "The scan");
        assertAttachment(awaitMessages(admin, conversationOf(admin, "Olha Local"), 1).getFirst(), "scan.pdf",
                "application/pdf", scan);

        new TelegramCustomer(astray, 310_000_021L, "Petro", "Astray", null)
                .sendsDocument("BQACastray", "passport.pdf", "application/pdf", scan, "My passport");
        JsonObject refused = awaitMessages(admin, conversationOf(admin, "Petro Astray"), 1).getFirst();
        assertThat(refused.getString("body")).startsWith("My passport\n[File not available: \"passport.pdf\""
                + " (the Bot API server named a file outside this bot's directory in localFilesDir)]");
        assertThat(refused.getJsonArray("attachments")).isEmpty();
    }

    @Test
    void locationsAreShownAsCoordinatesWithAMapLink() {
        TelegramCustomer maria = new TelegramCustomer(bot, 310_000_004L, "Maria", "Shevchenko", null);
        maria.sendsLocation(50.450100, 30.523400);
        long conversation = conversationOf(admin, "Maria Shevchenko");

        assertThat(awaitMessages(admin, conversation, 1).getFirst().getString("body")).isEqualTo(
                "[Location: 50.450100, 30.523400 https://www.openstreetmap.org/?mlat=50.450100&mlon=30.523400"
                        + "#map=17/50.450100/30.523400]");
    }

    @Test
    void anEditReplacesTheTextAndKeepsThePreviousOne() {
        TelegramCustomer petro = new TelegramCustomer(bot, 310_000_005L, "Petro", "Hnatyuk", null);
        TelegramCustomer.Sent sent = petro.says("I ordered 2 pieces");
        long conversation = conversationOf(admin, "Petro Hnatyuk");
        awaitMessages(admin, conversation, 1);
        String read = admin.get("/api/v1/conversations/" + conversation).expect(200).header("ETag");

        petro.edits(sent.messageId(), "I ordered 3 pieces");

        JsonObject edited = await().atMost(WAIT).until(() -> messages(admin, conversation).getFirst(),
                m -> m.getString("body").equals("I ordered 3 pieces"));
        assertThat(messages(admin, conversation)).hasSize(1);
        assertThat(edited.getString("editedAt")).isNotNull();
        JsonArray edits = edited.getJsonArray("edits");
        assertThat(edits).hasSize(1);
        assertThat(edits.getJsonObject(0).getString("body")).isEqualTo("I ordered 2 pieces");
        // What the agent read is not what the customer says now: a resolve on that version is refused.
        admin.patch("/api/v1/conversations/" + conversation, new JsonObject().put("status", "resolved"),
                Map.of("If-Match", read)).expect(412);

        // A NUL in an edit, which PostgreSQL refuses, is taken out as in a new message: the edit is not retried
        // for ever, holding every later update of the bot back.
        petro.edits(sent.messageId(), "I ordered 4\u0000 pieces");
        await().atMost(WAIT).until(() -> messages(admin, conversation).getFirst().getString("body"),
                "I ordered 4 pieces"::equals);
        // An edit that only links a word, the text as it was, is an edit too: the link is what changed.
        JsonObject linked = petro.render("private_edited_text", Map.of("message_id", sent.messageId(),
                "text", "I ordered 4 pieces", "edit_date", Instant.now().getEpochSecond() + 30));
        linked.getJsonObject("edited_message").put("entities", new JsonArray().add(new JsonObject()
                .put("type", "text_link").put("offset", 10).put("length", 1).put("url", "https://shop.example/o/4")));
        bot.push(linked);
        await().atMost(WAIT).until(() -> messages(admin, conversation).getFirst().getString("html"),
                html -> html != null && html.contains("https://shop.example/o/4"));
        petro.says("And one more thing");
        awaitMessages(admin, conversation, 2);
    }

    /**
     * Telegram lets a customer replace the photo of a message they sent: the thread shows the new one, and the one
     * it replaced stays reachable from the message's previous versions. A caption edit keeps the photo as it is, and
     * fetches nothing.
     */
    @Test
    void anEditThatReplacesAPhotoShowsTheNewOneAndKeepsTheOldInThePreviousVersion() {
        TelegramCustomer olena = new TelegramCustomer(bot, 310_000_009L, "Olena", "Kravets", null);
        byte[] wrong = bytes("jpeg-wrong", 30_000);
        byte[] right = bytes("jpeg-right", 31_000);
        TelegramCustomer.Sent sent = olena.sendsPhoto("AgACwrong", wrong, "The damaged part");
        long conversation = conversationOf(admin, "Olena Kravets");
        assertAttachment(awaitMessages(admin, conversation, 1).getFirst(), "photo-AQADAgACwrong.jpg", "image/jpeg",
                wrong);

        olena.editsPhoto(sent.messageId(), "AgACright", right, "The damaged part");
        JsonObject edited = await().atMost(WAIT).until(() -> messages(admin, conversation).getFirst(),
                m -> m.getJsonArray("attachments").size() == 1 && m.getJsonArray("attachments").getJsonObject(0)
                        .getString("filename").equals("photo-AQADAgACright.jpg"));
        assertAttachment(edited, "photo-AQADAgACright.jpg", "image/jpeg", right);
        assertThat(edited.getString("body")).isEqualTo("The damaged part");
        JsonArray previous = edited.getJsonArray("edits").getJsonObject(0).getJsonArray("attachments");
        assertThat(previous).hasSize(1);
        assertThat(previous.getJsonObject(0).getString("filename")).isEqualTo("photo-AQADAgACwrong.jpg");
        assertThat(admin.bytes(previous.getJsonObject(0).getString("url"))).isEqualTo(wrong);

        long fetchedBefore = bot.callCount("getFile");
        olena.editsPhoto(sent.messageId(), "AgACright", right, "The damaged part, left side");
        JsonObject recaptioned = await().atMost(WAIT).until(() -> messages(admin, conversation).getFirst(),
                m -> m.getString("body").equals("The damaged part, left side"));
        assertAttachment(recaptioned, "photo-AQADAgACright.jpg", "image/jpeg", right);
        assertThat(recaptioned.getJsonArray("edits")).hasSize(2);
        assertThat(recaptioned.getJsonArray("edits").getJsonObject(1).containsKey("attachments"))
                .as("a caption edit replaced no file").isFalse();
        assertThat(bot.callCount("getFile")).as("a caption edit fetched nothing").isEqualTo(fetchedBefore);

        // A file Telegram will not hand over at the edit (here, an id it does not know) replaces nothing.
        olena.editsPhotoTheBotCannotFetch(sent.messageId(), "AgACgone", right.length, "The damaged part, again");
        JsonObject unfetched = await().atMost(WAIT).until(() -> messages(admin, conversation).getFirst(),
                m -> m.getString("body").startsWith("The damaged part, again"));
        assertThat(unfetched.getString("body")).contains("[File not available");
        assertAttachment(unfetched, "photo-AQADAgACright.jpg", "image/jpeg", right);

        // An edit of a photo never taken in (sent before the bot was this inbox's) fetches nothing: skipped.
        long fetchedThen = bot.callCount("getFile");
        olena.editsPhoto(sent.messageId() - 100, "AgACbefore", right, "From before");
        olena.says("Is that clear?");
        awaitMessages(admin, conversation, 2);
        assertThat(bot.callCount("getFile")).isEqualTo(fetchedThen);
    }

    @Test
    void sharingTheirOwnContactGivesAProvenPhoneButAForwardedCardProvesNothing() {
        TelegramCustomer nadia = new TelegramCustomer(bot, 310_000_006L, "Nadia", "Lysenko", null);
        nadia.sharesContactOf("+380671112233", "Her Husband", 310_999_999L);
        long conversation = conversationOf(admin, "Nadia Lysenko");
        assertThat(awaitMessages(admin, conversation, 1).getFirst().getString("body"))
                .isEqualTo("[Contact: Her Husband, +380671112233]");
        assertThat(identity(contact(admin, conversation), "phone")).isNull();

        nadia.sharesOwnContact("380501234567");

        awaitMessages(admin, conversation, 2);
        JsonObject phone = await().atMost(WAIT).until(() -> identity(contact(admin, conversation), "phone"),
                Objects::nonNull);
        assertThat(phone.getString("value")).isEqualTo("+380501234567");
        assertThat(phone.getBoolean("proven")).isTrue();
    }

    @Test
    void bareStartOpensTheConversationAndTheConfiguredGreetingIsSentOnceThroughTheOutbox() {
        TelegramCustomer sofia = new TelegramCustomer(bot, 310_000_007L, "Sofia", "Tkachenko", null);
        sofia.pressesStart(null);
        long conversation = conversationOf(admin, "Sofia Tkachenko");

        List<JsonObject> thread = await().atMost(WAIT).until(() -> messages(admin, conversation),
                m -> m.size() == 2 && "sent".equals(m.get(1).getJsonObject("delivery").getString("status")));
        assertThat(thread.getFirst().getString("body")).isEqualTo("/start");
        JsonObject greeting = thread.get(1);
        assertThat(greeting.getString("kind")).isEqualTo("out");
        assertThat(greeting.getJsonObject("author").getString("type")).isEqualTo("system");
        assertThat(greeting.getString("body")).isEqualTo(GREETING);
        assertThat(greeting.getJsonArray("flags")).contains("auto_reply");

        List<FakeBotApi.Sent> toSofia = bot.sent().stream().filter(s -> "310000007".equals(s.chatId())).toList();
        assertThat(toSofia).hasSize(1);
        assertThat(toSofia.getFirst().visibleText()).isEqualTo(GREETING);
        assertThat(toSofia.getFirst().replyTo()).as("a greeting does not quote /start").isNull();

        // Start pressed again and again within the hour: each press is in the thread, the greeting is not repeated
        // (a burst of them would hold an agent's reply behind Telegram's per-chat limit).
        sofia.pressesStart(null);
        sofia.pressesStart(null);
        sofia.says("Where is my parcel?");
        List<JsonObject> after = awaitMessages(admin, conversation, 5);
        assertThat(after).extracting(m -> m.getString("body"))
                .containsExactly("/start", GREETING, "/start", "/start", "Where is my parcel?");
    }

    /**
     * A merge recomputes the conversation's last message and activity: the bot's greeting, which never counted as
     * either, still does not (the list showed it as the customer's last word).
     */
    @Test
    void aMergeKeepsTheGreetingOutOfTheLastMessage() {
        TelegramCustomer earlier = new TelegramCustomer(bot, 310_000_094L, "Ihor", "Earlier", null);
        earlier.says("Hello from my other account");
        long source = conversationOf(admin, "Ihor Earlier");
        awaitMessages(admin, source, 1);
        TelegramCustomer ihor = new TelegramCustomer(bot, 310_000_095L, "Ihor", "Greeted", null);
        ihor.pressesStart(null);
        long conversation = conversationOf(admin, "Ihor Greeted");
        await().atMost(WAIT).until(() -> messages(admin, conversation), m -> m.size() == 2);
        JsonObject before = admin.get("/api/v1/conversations/" + conversation).expect(200).json();
        assertThat(before.getJsonObject("lastMessage").getString("preview")).isEqualTo("/start");

        admin.post("/api/v1/contacts/" + before.getJsonObject("contact").getLong("id") + "/merge", new JsonObject()
                .put("otherContactId", admin.get("/api/v1/conversations/" + source).json().getJsonObject("contact")
                        .getLong("id"))).expect(200);
        JsonObject after = admin.get("/api/v1/conversations/" + conversation).expect(200).json();
        assertThat(messages(admin, conversation)).hasSize(3);
        assertThat(after.getJsonObject("lastMessage").getString("preview")).isEqualTo("/start");
        assertThat(after.getString("lastActivityAt")).isEqualTo(before.getString("lastActivityAt"));
    }

    @Test
    void groupMessagesChannelPostsAndUpdateTypesWeDoNotHandleAreSkippedWithoutStoppingTheBot() {
        TelegramCustomer roman = new TelegramCustomer(bot, 310_000_008L, "Roman", "Savchuk", null);
        roman.saysInGroup("Does anyone know if they ship to Lviv?");
        roman.channelPost("Our store opens at 9");
        roman.pressesInlineButton();
        roman.says("Do you ship to Lviv?");

        long conversation = conversationOf(admin, "Roman Savchuk");
        assertThat(awaitMessages(admin, conversation, 1)).extracting(m -> m.getString("body"))
                .containsExactly("Do you ship to Lviv?");
        await().atMost(WAIT).until(() -> bot.pending().isEmpty());
        assertThat(messages(admin, conversation)).hasSize(1);
        // Nowhere else either: neither the group's message nor the channel's post became a message of anyone's.
        assertThat(server.throughline().database().sql().single("SELECT count(*) AS n FROM messages WHERE body IN"
                + " ('Does anyone know if they ship to Lviv?', 'Our store opens at 9')").getLong("n")).isZero();
    }

    /** One update TelegramBots cannot read must not keep the bot from every later one (long polling). */
    @Test
    void anUpdateTheLibraryCannotReadIsANoteOrSkippedAndTheNextOnesAreTaken() {
        TelegramCustomer petro = new TelegramCustomer(bot, 310_000_092L, "Petro", "Lysenko", null);
        bot.push(new JsonObject().put("message", new JsonObject().put("message_id", 9_001).put("date", "yesterday")
                .put("chat", new JsonObject().put("id", 310_000_092L).put("type", "private"))
                .put("text", "a shape the library cannot read")));
        petro.says("Is the blue one back in stock?");

        long conversation = conversationOf(admin, "Petro Lysenko");
        assertThat(awaitMessages(admin, conversation, 1)).extracting(m -> m.getString("body"))
                .containsExactly("Is the blue one back in stock?");
        await().atMost(WAIT).until(() -> bot.pending().isEmpty());

        // One whose sender can be read is a note from them in their thread: agents learn something came.
        TelegramCustomer marta = new TelegramCustomer(bot, 310_000_093L, "Marta", "Unread", null);
        JsonObject unreadable = marta.render("private_text", Map.of("message_id", bot.nextMessageId(),
                "text", "a date the library cannot read"));
        unreadable.getJsonObject("message").put("date", "yesterday");
        int updateId = bot.push(unreadable);
        marta.says("Did that arrive?");
        List<JsonObject> thread = awaitMessages(admin, conversationOf(admin, "Marta Unread"), 2);
        assertThat(thread.getFirst().getString("body")).startsWith("[A Telegram message could not be read: ")
                .endsWith("(Telegram update " + updateId + ")]");
        assertThat(thread.get(1).getString("body")).isEqualTo("Did that arrive?");

        // An edit that cannot be read says so on the message it edits, whose earlier text stays a previous version.
        TelegramCustomer.Sent sent = marta.says("I need 2 boxes");
        long martas = conversationOf(admin, "Marta Unread");
        awaitMessages(admin, martas, 3);
        JsonObject unreadableEdit = marta.render("private_edited_text", Map.of("message_id", sent.messageId(),
                "text", "I need 5 boxes", "edit_date", Instant.now().getEpochSecond() + 30));
        unreadableEdit.getJsonObject("edited_message").put("date", "yesterday");
        int editId = bot.push(unreadableEdit);
        JsonObject edited = await().atMost(WAIT).until(() -> messages(admin, martas).getLast(),
                m -> m.getString("body").startsWith("[An edit of this Telegram message could not be read: "));
        assertThat(edited.getString("body")).endsWith("(Telegram update " + editId + ")]");
        assertThat(edited.getJsonArray("edits").getJsonObject(0).getString("body")).isEqualTo("I need 2 boxes");
        assertThat(messages(admin, martas)).hasSize(3);
    }

    private static void assertAttachment(JsonObject message, String filename, String contentType, byte[] content) {
        JsonArray attachments = message.getJsonArray("attachments");
        assertThat(attachments).as("attachments of %s", message.getString("body")).hasSize(1);
        JsonObject attachment = attachments.getJsonObject(0);
        assertThat(attachment.getString("filename")).isEqualTo(filename);
        assertThat(attachment.getString("contentType")).isEqualTo(contentType);
        assertThat(attachment.getLong("size")).isEqualTo(content.length);
        assertThat(download(admin, attachment.getLong("id"))).isEqualTo(content);
    }
}
