package io.throughline.telegram;

import static io.throughline.telegram.TelegramSupport.WAIT;
import static io.throughline.telegram.TelegramSupport.awaitMessages;
import static io.throughline.telegram.TelegramSupport.bytes;
import static io.throughline.telegram.TelegramSupport.conversationOf;
import static io.throughline.telegram.TelegramSupport.download;
import static io.throughline.telegram.TelegramSupport.messages;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.throughline.testing.ApiClient;
import io.throughline.testing.FakeBot;
import io.throughline.testing.FakeBotApi;
import io.throughline.testing.FreezingProxy;
import io.throughline.testing.SentOutcomeFailure;
import io.throughline.testing.TelegramCustomer;
import io.throughline.testing.TestPostgres;
import io.throughline.testing.TestServer;
import io.vertx.core.json.JsonObject;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Exactly-once in effect across restarts and nodes: the long-poll offset is confirmed only after commit, a
 * repeated update is recognised by its (chat_id, message_id), exactly one node polls a bot, and stopping an inbox
 * ends its poll.
 */
class TelegramRestartIT {

    private FakeBotApi fake;
    private FakeBot bot;
    private String database;
    private Path data;

    @BeforeEach
    void start() {
        fake = FakeBotApi.start();
        bot = fake.addBot(TelegramSupport.token(7_500_001), 7_500_001, "acme_restart_bot");
        database = TestPostgres.newDatabase();
        data = TestServer.tempDir();
    }

    @AfterEach
    void stop() {
        fake.close();
    }

    /**
     * The reply went to Telegram, then the database refused to record it as sent (not a passing failure: nothing
     * retries the write), so the delivery is claimed again when its lease runs out. That attempt finds the reply
     * sent (saved on the delivery, not only in memory) and records it: the customer gets it once.
     */
    @Test
    void aReplyWhoseSentOutcomeTheDatabaseRefusedIsRecordedLaterNotSentAgain() {
        TelegramCustomer customer = new TelegramCustomer(bot, 350_000_019L, "Stepan", "Once", null);
        try (TestServer server = TestServer.startOn(database, data, Map.of("outbox.lease", "3s"))) {
            ApiClient admin = server.admin();
            TelegramSupport.createInbox(admin, fake, bot, new JsonObject());
            await().atMost(WAIT).until(bot::pollParked);
            customer.says("Is it in stock?");
            long conversation = conversationOf(admin, "Stepan Once");
            awaitMessages(admin, conversation, 1);
            var sql = server.throughline().database().sql();
            try (SentOutcomeFailure failure = SentOutcomeFailure.once(sql, "P0001")) {
                long reply = admin.post("/api/v1/conversations/" + conversation + "/messages",
                        new JsonObject().put("body", "Yes, two left")).expect(201).json().getLong("id");
                await().atMost(Duration.ofSeconds(30)).until(() -> sql.one("SELECT 1 FROM deliveries"
                        + " WHERE message_id = $1 AND status = 'sent'", reply).isPresent());
                assertThat(failure.happened()).as("the refusal happened").isTrue();
            }
            assertThat(bot.sent().stream().filter(s -> "350000019".equals(s.chatId()))
                    .map(FakeBotApi.Sent::visibleText)).containsExactly("Yes, two left");
        }
    }

    @Test
    void aRestartBetweenReceiveAndCommitLosesNothingAndDuplicatesNothing() {
        TelegramCustomer customer = new TelegramCustomer(bot, 350_000_001L, "Roksolana", "Restart", null);
        byte[] receipt = bytes("%PDF-receipt", 64_000);
        try (TestServer first = TestServer.startOn(database, data, Map.of())) {
            TelegramSupport.createInbox(first.admin(), fake, bot, new JsonObject());
            await().atMost(WAIT).until(bot::pollParked);
            bot.holdDownloads();
            customer.sendsDocument("BQACreceipt", "receipt.pdf", "application/pdf", receipt, "My receipt");
            // Received and being fetched, not committed: the node goes down now.
            await().atMost(WAIT).until(() -> bot.heldDownloads() == 1);
        }
        assertThat(bot.pending()).as("not confirmed to Telegram").hasSize(1);
        bot.releaseDownloads();

        try (TestServer second = TestServer.startOn(database, data, Map.of())) {
            ApiClient admin = second.admin();
            long conversation = conversationOf(admin, "Roksolana Restart");
            JsonObject message = awaitMessages(admin, conversation, 1).getFirst();
            assertThat(message.getString("body")).isEqualTo("My receipt");
            JsonObject attachment = message.getJsonArray("attachments").getJsonObject(0);
            assertThat(download(admin, attachment.getLong("id"))).isEqualTo(receipt);
            await().atMost(WAIT).until(() -> bot.pending().isEmpty());

            customer.says("Did you get it?");
            assertThat(awaitMessages(admin, conversation, 2)).extracting(m -> m.getString("body"))
                    .containsExactly("My receipt", "Did you get it?");
        }
    }

    @Test
    void updateIdsThatTelegramRestartsLowerAreTakenToo() {
        TelegramCustomer customer = new TelegramCustomer(bot, 350_000_009L, "Taras", "Quiet", null);
        try (TestServer server = TestServer.startOn(database, data, Map.of())) {
            ApiClient admin = server.admin();
            TelegramSupport.createInbox(admin, fake, bot, new JsonObject());
            await().atMost(WAIT).until(bot::pollParked);
            customer.says("Before the quiet week");
            long conversation = conversationOf(admin, "Taras Quiet");
            awaitMessages(admin, conversation, 1);
            // Telegram renumbers only after a week without updates, so its queue is empty by then. Renumbered while
            // the first update still waited for its confirmation, the queue held both numberings, which Telegram
            // never does, and the poller went round the old one for ever.
            await().atMost(WAIT).until(() -> bot.pending().isEmpty());

            bot.restartUpdateIds(1_000);
            customer.says("After the quiet week");
            customer.says("And once more");
            assertThat(awaitMessages(admin, conversation, 3)).extracting(m -> m.getString("body"))
                    .containsExactly("Before the quiet week", "After the quiet week", "And once more");
            await().atMost(WAIT).until(() -> bot.pending().isEmpty());
            customer.says("Still here");
            assertThat(awaitMessages(admin, conversation, 4)).extracting(m -> m.getString("body"))
                    .endsWith("Still here");
        }
    }

    @Test
    void aCrashAfterCommitBeforeTheOffsetReachedTelegramDuplicatesNothing() {
        TelegramCustomer customer = new TelegramCustomer(bot, 350_000_002L, "Mykola", "Crash", null);
        bot.ignoreConfirmations();
        int updateId;
        try (TestServer first = TestServer.startOn(database, data, Map.of())) {
            long inbox = TelegramSupport.createInbox(first.admin(), fake, bot, new JsonObject()).getLong("id");
            await().atMost(WAIT).until(bot::pollParked);
            updateId = customer.sendsPhoto("AgACcrash1", TelegramSupport.bytes("jpeg", 30_000), "Please call me back")
                    .updateId();
            awaitMessages(first.admin(), conversationOf(first.admin(), "Mykola Crash"), 1);
            await().atMost(WAIT).until(() -> checkpoint(first, inbox) == updateId);
            // The crash came before the checkpoint was written and before the next getUpdates told Telegram.
            first.throughline().database().sql().update("DELETE FROM inbox_checkpoints WHERE inbox_id = $1", inbox);
        }

        long fetched = bot.callCount("getFile");
        try (TestServer second = TestServer.startOn(database, data, Map.of())) {
            ApiClient admin = second.admin();
            await().atMost(WAIT).until(() -> bot.timesDelivered(updateId) >= 2);
            long conversation = conversationOf(admin, "Mykola Crash");
            await().atMost(WAIT).until(() -> bot.callCount("getUpdates") > 0 && bot.pollParked());
            assertThat(messages(admin, conversation)).extracting(m -> m.getString("body"))
                    .containsExactly("Please call me back");
            assertThat(bot.callCount("getFile")).as("the photo of a message already stored is not fetched again")
                    .isEqualTo(fetched);
        }
    }

    @Test
    void onlyOneNodePollsABotAndAnotherTakesOverWhenItGoesAway() {
        TelegramCustomer customer = new TelegramCustomer(bot, 350_000_003L, "Zoryana", "Nodes", null);
        TestServer nodeA = TestServer.startOn(database, TestServer.tempDir(), Map.of());
        TestServer nodeB = TestServer.startOn(database, TestServer.tempDir(), Map.of());
        TestServer standby = null;
        try {
            long inbox = TelegramSupport.createInbox(nodeA.admin(), fake, bot, new JsonObject()).getLong("id");
            await().atMost(WAIT).until(() -> receivingHere(nodeA, inbox) != null && receivingHere(nodeB, inbox)
                    != null);
            assertThat(List.of(receivingHere(nodeA, inbox), receivingHere(nodeB, inbox)))
                    .containsExactlyInAnyOrder(true, false);

            customer.says("Hello, node?");
            long conversation = conversationOf(nodeB.admin(), "Zoryana Nodes");
            awaitMessages(nodeB.admin(), conversation, 1);

            TestServer polling = receivingHere(nodeA, inbox) ? nodeA : nodeB;
            standby = polling == nodeA ? nodeB : nodeA;
            polling.close();
            TestServer survivor = standby;
            await().atMost(WAIT).until(() -> Boolean.TRUE.equals(receivingHere(survivor, inbox)));

            customer.says("Still there after the failover?");
            assertThat(awaitMessages(survivor.admin(), conversation, 2)).extracting(m -> m.getString("body"))
                    .containsExactly("Hello, node?", "Still there after the failover?");
            assertThat(bot.conflicts()).as("never two getUpdates at once").isZero();
        } finally {
            if (standby != null) {
                standby.close();
            } else {
                nodeA.close();
                nodeB.close();
            }
        }
    }

    @Test
    void deletingTheInboxEndsItsParkedPollAndItsPolling() {
        try (TestServer server = TestServer.startOn(database, data, Map.of())) {
            ApiClient admin = server.admin();
            long inbox = TelegramSupport.createInbox(admin, fake, bot, new JsonObject()).getLong("id");
            await().atMost(WAIT).until(bot::pollParked);

            admin.delete("/api/v1/inboxes/" + inbox).expect(204);

            await().atMost(WAIT).until(() -> bot.cancelledPolls() == 1 && !bot.pollParked());
            long polls = bot.callCount("getUpdates");
            await().during(Duration.ofSeconds(2)).atMost(Duration.ofSeconds(4))
                    .until(() -> bot.callCount("getUpdates") == polls);
            assertThat(receivingHere(server, inbox)).isNull();
        }
    }

    /**
     * A node cut off from the database (no close, only silence) must stop polling on its own: PostgreSQL frees its
     * lock within half a minute and another node takes the bot over, and two pollers would steal each other's
     * updates.
     */
    @Test
    void aNodeCutOffFromTheDatabaseStopsPolling() {
        int port = Integer.parseInt(database.replaceAll(".*:(\\d+)/.*", "$1"));
        try (FreezingProxy network = FreezingProxy.start(port)) {
            TestServer server = TestServer.startOn(network.route(database), data, Map.of());
            try {
                TelegramSupport.createInbox(server.admin(), fake, bot, new JsonObject());
                await().atMost(WAIT).until(bot::pollParked);

                int cancelled = bot.cancelledPolls();
                network.freeze();

                await().atMost(Duration.ofSeconds(45)).until(() -> bot.cancelledPolls() > cancelled
                        && !bot.pollParked());
            } finally {
                network.heal();
                server.close();
            }
        }
    }

    private static int checkpoint(TestServer server, long inbox) {
        return server.throughline().database().sql().one("SELECT value FROM inbox_checkpoints WHERE inbox_id = $1"
                + " AND name = 'updates'", inbox).map(r -> r.getJsonObject("value").getInteger("lastUpdateId"))
                .orElse(0);
    }

    /** What the node's /health says about the inbox: whether it receives here, or null when it is not open. */
    private static Boolean receivingHere(TestServer server, long inbox) {
        return TelegramSupport.inboxHealth(server, inbox).getBoolean("receivingHere");
    }
}
