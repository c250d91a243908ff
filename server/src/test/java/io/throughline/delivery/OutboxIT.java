package io.throughline.delivery;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.throughline.apichannel.WebhookSignature;
import io.throughline.store.Database;
import io.throughline.store.Sql;
import io.throughline.testing.ApiClient;
import io.throughline.testing.ApiInbox;
import io.throughline.testing.SentOutcomeFailure;
import io.throughline.testing.HeldTransaction;
import io.throughline.testing.StreamClient;
import io.throughline.testing.TestPostgres;
import io.throughline.testing.TestServer;
import io.throughline.testing.WebhookReceiver;
import io.vertx.core.json.JsonObject;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The outbox: retried with backoff while the target is down, delivered once, failures visible with reasons. */
class OutboxIT {

    private TestServer server;
    private WebhookReceiver webhook;

    @BeforeEach
    void start() {
        webhook = new WebhookReceiver();
    }

    @AfterEach
    void stop() {
        if (server != null) {
            server.close();
        }
        webhook.close();
    }

    @Test
    void aWebhookThatIsDownThenUpGetsTheReplyExactlyOnceWithAValidSignature() {
        server = TestServer.start();
        ApiClient admin = server.admin();
        ApiInbox inbox = ApiInbox.create(admin, "Shop", webhook.url());
        long conversation = inbox.say("m1", "c1", "Ann", "Hello").getLong("conversationId");
        webhook.respondWith(503);
        try (StreamClient stream = StreamClient.connect(admin, null)) {
            stream.next(f -> "ready".equals(f.getString("type")), Duration.ofSeconds(5));
            long message = admin.post("/api/v1/conversations/" + conversation + "/messages",
                    new JsonObject().put("body", "We are on it")).expect(201).json().getLong("id");

            await().atMost(Duration.ofSeconds(10)).until(() -> webhook.received().size() >= 2);
            JsonObject retrying = stream.next(f -> "delivery.updated".equals(f.getString("type")),
                    Duration.ofSeconds(5)).getJsonObject("data").getJsonObject("delivery");
            assertThat(retrying.getString("status")).isEqualTo("pending");
            assertThat(retrying.getString("lastError")).contains("503");
            assertThat(retrying.getInteger("attempts")).isGreaterThanOrEqualTo(1);

            webhook.respondWith(200);
            JsonObject sent = stream.next(f -> "delivery.updated".equals(f.getString("type"))
                    && "sent".equals(f.getJsonObject("data").getJsonObject("delivery").getString("status")),
                    Duration.ofSeconds(10)).getJsonObject("data");
            assertThat(sent.getLong("messageId")).isEqualTo(message);
        }
        int attempts = webhook.received().size();
        await().during(Duration.ofSeconds(1)).atMost(Duration.ofSeconds(3))
                .until(() -> webhook.received().size() == attempts);
        List<WebhookReceiver.Received> accepted = webhook.received();
        WebhookReceiver.Received last = accepted.getLast();
        assertThat(accepted).extracting(r -> r.header("Idempotency-Key")).containsOnly(last.header("Idempotency-Key"));
        long timestamp = Long.parseLong(last.header(WebhookSignature.TIMESTAMP_HEADER));
        assertThat(last.header(WebhookSignature.HEADER)).isEqualTo(WebhookSignature.sign(inbox.webhookSecret(),
                timestamp, last.body().getBytes(StandardCharsets.UTF_8)));
    }

    /**
     * The database fails the moment the outcome of a send that went out is written (a transient error): the write is
     * tried again while the lease is kept, and the reply is not sent a second time when the lease would have run
     * out.
     */
    @Test
    void aSentOutcomeTheDatabaseFailsOnceIsWrittenAgainNotSentAgain() {
        sentOnceDespite("3s", sql -> SentOutcomeFailure.once(sql, "40001"));
    }

    /**
     * The database refuses the outcome for longer than half a lease (a failover): the write is tried again for as
     * long as it takes, the lease kept meanwhile, instead of giving up and letting the lease run out, which had the
     * reply claimed and sent a second time.
     */
    @Test
    void aSentOutcomeTheDatabaseRefusesForLongerThanHalfALeaseIsWrittenOnceItCanNotSentAgain() {
        sentOnceDespite("2s", sql -> SentOutcomeFailure.during(sql, "40001", Duration.ofSeconds(4)));
    }

    /**
     * A node cut off from the database for longer than the lease, on a reply's last attempt, after the reply went
     * out: the lease runs out unrenewed and the delivery is given up as cut off, but the node, back, records what
     * happened: sent, not failed with "it may have gone out".
     */
    @Test
    void aLastAttemptSentWhileItsNodeWasCutOffIsRecordedSentOverItsGiveUp() {
        server = TestServer.start(Map.of("outbox.lease", "1s", "outbox.maxAttempts", "1"));
        ApiClient admin = server.admin();
        ApiInbox inbox = ApiInbox.create(admin, "Shop", webhook.url());
        long conversation = inbox.say("m1", "c1", "Ann", "Hello").getLong("conversationId");
        Sql sql = server.throughline().database().sql();
        try (SentOutcomeFailure away = SentOutcomeFailure.awayDuring(sql, "40001", Duration.ofSeconds(4))) {
            long reply = reply(admin, conversation, "On its way");
            await().atMost(Duration.ofSeconds(10)).until(() -> "failed".equals(
                    sql.single("SELECT status FROM deliveries WHERE message_id = $1", reply).getString("status")));
            awaitStatus(admin, conversation, "sent", 20);
            assertThat(away.happened()).as("the sent outcome was refused").isTrue();
            assertThat(lastDelivery(admin, conversation).getString("lastError")).isNull();
            assertThat(webhook.received()).hasSize(1);
        }
    }

    /**
     * The database fails a reply's reads before its channel has it (a connection cut, a failover): nothing was tried,
     * so no attempt counts towards the limit, and the reply goes once the database answers.
     */
    @Test
    void aDatabaseFailureBeforeTheSendCountsNoAttempt() {
        server = TestServer.start();
        ApiClient admin = server.admin();
        ApiInbox inbox = ApiInbox.create(admin, "Shop", webhook.url());
        long conversation = inbox.say("m1", "c1", "Ann", "Hello").getLong("conversationId");
        Database database = server.throughline().database();
        // The outbox claims nothing while the reply is written (claims take turns on this lock) ...
        HeldTransaction<Void> claims = HeldTransaction.start(database, tx -> {
            tx.single("SELECT pg_advisory_xact_lock($1)::text AS locked", 0x746c2d636c61696dL);
            return null;
        });
        HeldTransaction<Void> files;
        try {
            admin.post("/api/v1/conversations/" + conversation + "/messages", new JsonObject()
                    .put("body", "On its way")).expect(201);
            // ... and then waits to read the reply's files, and its connection is cut meanwhile.
            files = HeldTransaction.start(database, tx -> {
                tx.update("LOCK TABLE attachments IN ACCESS EXCLUSIVE MODE");
                return null;
            });
        } finally {
            claims.commit();
        }
        String read = "SELECT id, sha256, size, filename, content_type FROM attachments";
        try {
            await().atMost(Duration.ofSeconds(10)).until(() -> HeldTransaction.waits(database, read));
            database.sql().single("SELECT count(pg_terminate_backend(pid))::int AS n FROM pg_stat_activity"
                    + " WHERE datname = current_database() AND wait_event_type = 'Lock' AND query LIKE $1 || '%'",
                    read);
        } finally {
            files.commit();
        }
        awaitStatus(admin, conversation, "sent", 20);
        assertThat(lastDelivery(admin, conversation).getInteger("attempts")).isEqualTo(1);
        assertThat(webhook.received()).hasSize(1);
    }

    /** A reply goes to the webhook once, though the database refused its "sent" as {@code refusal} has it. */
    private void sentOnceDespite(String lease, Function<Sql, SentOutcomeFailure> refusal) {
        server = TestServer.start(Map.of("outbox.lease", lease));
        ApiClient admin = server.admin();
        ApiInbox inbox = ApiInbox.create(admin, "Shop", webhook.url());
        long conversation = inbox.say("m1", "c1", "Ann", "Hello").getLong("conversationId");
        try (SentOutcomeFailure failure = refusal.apply(server.throughline().database().sql())) {
            admin.post("/api/v1/conversations/" + conversation + "/messages", new JsonObject()
                    .put("body", "On its way")).expect(201);
            awaitStatus(admin, conversation, "sent", 20);
            assertThat(failure.happened()).as("the failure happened").isTrue();
            assertThat(webhook.received()).hasSize(1);
        }
    }

    /**
     * A settings save (a rename) reopens the inbox while a webhook call waits for its answer: the call finishes on
     * the instance it began on, rather than being cut off, counted as an attempt and posted again to a receiver
     * that may have taken it.
     */
    @Test
    void aSettingsSaveWhileAWebhookCallWaitsForItsAnswerLetsTheCallFinish() {
        server = TestServer.start();
        ApiClient admin = server.admin();
        ApiInbox inbox = ApiInbox.create(admin, "Shop", webhook.url());
        long conversation = inbox.say("m1", "c1", "Ann", "Hello").getLong("conversationId");
        webhook.holdResponses(true);
        try {
            admin.post("/api/v1/conversations/" + conversation + "/messages", new JsonObject()
                    .put("body", "On its way")).expect(201);
            await().atMost(Duration.ofSeconds(10)).until(() -> webhook.received().size() == 1);
            // Answered once the inbox was reopened with its new name.
            admin.patch("/api/v1/inboxes/" + inbox.id(), new JsonObject().put("name", "Shop (renamed)"))
                    .expect(200);
        } finally {
            webhook.holdResponses(false);
        }
        awaitStatus(admin, conversation, "sent", 15);
        assertThat(webhook.received()).hasSize(1);
        assertThat(lastDelivery(admin, conversation).getInteger("attempts")).isEqualTo(1);
    }

    /**
     * Nothing listening at the webhook (its receiver not started yet): each refused connection is a recorded,
     * retried attempt with its reason, and the reply goes once the receiver is up.
     */
    @Test
    void aWebhookNobodyListensAtYetIsRetriedWithTheReasonShown() throws Exception {
        server = TestServer.start(Map.of("outbox.initialBackoff", "50ms", "outbox.maxBackoff", "200ms"));
        ApiClient admin = server.admin();
        int port;
        try (ServerSocket free = new ServerSocket(0)) {
            port = free.getLocalPort();
        }
        ApiInbox inbox = ApiInbox.create(admin, "Shop", "http://127.0.0.1:" + port + "/hook");
        long conversation = inbox.say("m1", "c1", "Ann", "Hello").getLong("conversationId");
        admin.post("/api/v1/conversations/" + conversation + "/messages", new JsonObject().put("body", "Hi"))
                .expect(201);
        await().atMost(Duration.ofSeconds(10)).until(() -> lastDelivery(admin, conversation)
                .getInteger("attempts") >= 2);
        JsonObject retrying = lastDelivery(admin, conversation);
        assertThat(retrying.getString("status")).isEqualTo("pending");
        assertThat(retrying.getString("lastError")).startsWith("webhook unreachable");

        admin.patch("/api/v1/inboxes/" + inbox.id(), new JsonObject().put("config", new JsonObject()
                .put("webhookUrl", webhook.url()))).expect(200);
        awaitStatus(admin, conversation, "sent", 10);
        assertThat(webhook.received()).hasSize(1);
    }

    /**
     * A wait the receiver asked for (503 with Retry-After) holds when the inbox is saved with the same webhook URL,
     * where the fault the outbox's own backoff waits on might have been fixed; a new URL is another receiver, and
     * the reply goes to it at once.
     */
    @Test
    void aSettingsSaveKeepsTheWaitTheReceiverAskedForUntilTheRepliesGoElsewhere() {
        server = TestServer.start();
        ApiClient admin = server.admin();
        ApiInbox inbox = ApiInbox.create(admin, "Shop", webhook.url());
        long conversation = inbox.say("m1", "c1", "Ann", "Hello").getLong("conversationId");
        webhook.respondWith(503, "3600");
        admin.post("/api/v1/conversations/" + conversation + "/messages", new JsonObject().put("body", "Hi"))
                .expect(201);
        JsonObject waiting = await().atMost(Duration.ofSeconds(10)).until(() -> lastDelivery(admin, conversation),
                d -> d.getInteger("attempts") == 1 && d.getString("lastError") != null);
        assertThat(Duration.between(Instant.parse(waiting.getString("updatedAt")),
                Instant.parse(waiting.getString("nextAttemptAt")))).isEqualTo(Duration.ofHours(1));

        admin.patch("/api/v1/inboxes/" + inbox.id(), new JsonObject().put("config", new JsonObject()
                .put("webhookUrl", webhook.url()))).expect(200);
        assertThat(lastDelivery(admin, conversation).getString("nextAttemptAt"))
                .as("the same receiver still asked to wait").isEqualTo(waiting.getString("nextAttemptAt"));

        try (WebhookReceiver other = new WebhookReceiver()) {
            admin.patch("/api/v1/inboxes/" + inbox.id(), new JsonObject().put("config", new JsonObject()
                    .put("webhookUrl", other.url()))).expect(200);
            awaitStatus(admin, conversation, "sent", 10);
            assertThat(other.received()).hasSize(1);
        }
        assertThat(webhook.received()).hasSize(1);
    }

    /** Retry-After as an HTTP date (RFC 9110 allows both forms) is a wait too, not an ordinary failed attempt. */
    @Test
    void aRetryAfterGivenAsADateIsWaitedFor() {
        server = TestServer.start();
        ApiClient admin = server.admin();
        ApiInbox inbox = ApiInbox.create(admin, "Shop", webhook.url());
        long conversation = inbox.say("m1", "c1", "Ann", "Hello").getLong("conversationId");
        webhook.respondWith(503, DateTimeFormatter.RFC_1123_DATE_TIME.format(
                ZonedDateTime.now(ZoneOffset.UTC).plusMinutes(30)));
        reply(admin, conversation, "Hi");
        JsonObject waiting = await().atMost(Duration.ofSeconds(10)).until(() -> lastDelivery(admin, conversation),
                d -> d.getInteger("attempts") == 1 && d.getString("lastError") != null);
        assertThat(Duration.between(Instant.parse(waiting.getString("updatedAt")),
                Instant.parse(waiting.getString("nextAttemptAt")))).isBetween(Duration.ofMinutes(29),
                Duration.ofMinutes(30));
    }

    @Test
    void aRefusalIsFinalAndShowsTheReceiversWords() {
        server = TestServer.start();
        ApiClient admin = server.admin();
        ApiInbox inbox = ApiInbox.create(admin, "Shop", webhook.url());
        long conversation = inbox.say("m1", "c1", "Ann", "Hello").getLong("conversationId");
        webhook.respondWith(422);
        admin.post("/api/v1/conversations/" + conversation + "/messages", new JsonObject().put("body", "Hi"))
                .expect(201);
        awaitStatus(admin, conversation, "failed", 10);
        assertThat(lastDelivery(admin, conversation).getString("lastError")).contains("422").contains("ext-1");
        assertThat(webhook.received()).hasSize(1);

        // A 409 is no refusal: the receiver still works on an attempt with the same Idempotency-Key.
        webhook.respondWith(409);
        reply(admin, conversation, "Hi again");
        await().atMost(Duration.ofSeconds(10)).until(() -> String.valueOf(lastDelivery(admin, conversation)
                .getString("lastError")).contains("409"));
        assertThat(lastDelivery(admin, conversation).getString("status")).isEqualTo("pending");
        webhook.respondWith(200);
        awaitStatus(admin, conversation, "sent", 20);
    }

    /**
     * A receiver's error page that echoes the webhook's path (its secret) shows no part of it to agents: not past
     * the excerpt's cut, not JSON-escaped (PHP's "\/hook\/..."), not the query alone. The cut came before the
     * hiding, so a path across it kept its start.
     */
    @Test
    void aRefusalEchoingTheWebhooksSecretPathShowsNoneOfIt() {
        server = TestServer.start();
        ApiClient admin = server.admin();
        ApiInbox inbox = ApiInbox.create(admin, "Shop", webhook.url() + "/s3cr3t-7f2a?key=q9z8");
        long conversation = inbox.say("m1", "c1", "Ann", "Hello").getLong("conversationId");
        String echo = "{\"detail\":\"no route for \\/hook\\/s3cr3t-7f2a (query key=q9z8)\"} ";
        webhook.answerWith(echo + "x".repeat(300 - echo.length() - 8) + " /hook/s3cr3t-7f2a?key=q9z8 and more");
        webhook.respondWith(404);
        reply(admin, conversation, "Hi");
        await().atMost(Duration.ofSeconds(10)).until(() -> lastDelivery(admin, conversation).getString("lastError")
                != null);
        assertThat(lastDelivery(admin, conversation).getString("lastError")).startsWith("webhook answered 404")
                .contains("no route for (the webhook path)").contains("(the webhook query)")
                .doesNotContain("s3cr3t").doesNotContain("q9z8").doesNotContain("/hook/s");
    }

    @Test
    void retriesStopAfterTheConfiguredAttempts() {
        server = TestServer.start(Map.of("outbox.maxAttempts", "3", "outbox.initialBackoff", "50ms",
                "outbox.maxBackoff", "100ms"));
        ApiClient admin = server.admin();
        ApiInbox inbox = ApiInbox.create(admin, "Shop", webhook.url());
        long conversation = inbox.say("m1", "c1", "Ann", "Hello").getLong("conversationId");
        webhook.respondWith(500);
        admin.post("/api/v1/conversations/" + conversation + "/messages", new JsonObject().put("body", "Hi"))
                .expect(201);
        awaitStatus(admin, conversation, "failed", 10);
        JsonObject delivery = lastDelivery(admin, conversation);
        assertThat(delivery.getString("lastError")).startsWith("gave up after 3 attempts").contains("500");
        assertThat(delivery.getInteger("attempts")).isEqualTo(3);
        assertThat(webhook.received()).hasSize(3);
    }

    /**
     * A receiver's answer PostgreSQL cannot hold as it is (a U+0000, an id longer than an index entry takes) still
     * ends its delivery: an outcome that could not be written left it claimed, to be sent again every lease.
     */
    @Test
    void answersPostgreSqlCannotHoldAsTheyAreStillEndTheDelivery() {
        server = TestServer.start(Map.of("outbox.maxAttempts", "2", "outbox.initialBackoff", "50ms",
                "outbox.maxBackoff", "100ms"));
        ApiClient admin = server.admin();
        ApiInbox inbox = ApiInbox.create(admin, "Shop", webhook.url());
        long conversation = inbox.say("nul-1", "c-nul", "Nia", "Hello").getLong("conversationId");

        webhook.answerWith("{\"id\":\"ord\\u0000er-1\"}");
        long first = reply(admin, conversation, "One");
        awaitStatus(admin, conversation, "sent", 20);
        assertThat(externalId(first)).isEqualTo("order-1");

        webhook.answerWith("{\"id\":\"" + "x".repeat(5_000) + "\"}");
        long second = reply(admin, conversation, "Two");
        awaitStatus(admin, conversation, "sent", 20);
        assertThat(externalId(second)).isNull();

        webhook.respondWith(502);
        webhook.answerWith("bad gateway \u0000 from the proxy");
        reply(admin, conversation, "Three");
        awaitStatus(admin, conversation, "failed", 20);
        assertThat(lastDelivery(admin, conversation).getString("lastError")).contains("502")
                .contains("bad gateway  from the proxy");
        assertThat(webhook.received()).as("each sent once, the failing one twice").hasSize(4);
    }

    private static long reply(ApiClient admin, long conversation, String body) {
        return admin.post("/api/v1/conversations/" + conversation + "/messages", new JsonObject().put("body", body))
                .expect(201).json().getLong("id");
    }

    private String externalId(long message) {
        return server.throughline().database().sql().single("SELECT external_id FROM deliveries WHERE message_id = $1",
                message).getString("external_id");
    }

    @Test
    void waitsTheReceiverAsksForCountATenthOfAnAttempt() {
        server = TestServer.start(Map.of("outbox.maxAttempts", "5"));
        ApiClient admin = server.admin();
        ApiInbox inbox = ApiInbox.create(admin, "Shop", webhook.url());
        long conversation = inbox.say("m1", "c1", "Ann", "Hello").getLong("conversationId");
        webhook.respondWith(429, "1");
        admin.post("/api/v1/conversations/" + conversation + "/messages", new JsonObject().put("body", "Hi"))
                .expect(201);
        await().atMost(Duration.ofSeconds(30)).until(() -> webhook.received().size() >= 6);
        assertThat(lastDelivery(admin, conversation).getString("status")).as("6 waits asked for, 5 attempts allowed")
                .isEqualTo("pending");

        // An ordinary failure after them is one failure of the five, not the end.
        webhook.respondWith(500);
        int before = webhook.received().size();
        await().atMost(Duration.ofSeconds(10)).until(() -> webhook.received().size() > before);
        assertThat(lastDelivery(admin, conversation).getString("status")).isEqualTo("pending");

        webhook.respondWith(200);
        awaitStatus(admin, conversation, "sent", 10);
        assertThat(lastDelivery(admin, conversation).getInteger("attempts")).isEqualTo(webhook.received().size());
    }

    @Test
    void aSendInterruptedByARestartIsRetriedWithTheSameIdempotencyKey() {
        long conversation = replyCutOffByARestart(Map.of("outbox.lease", "1s", "http.shutdownGrace", "200ms"));
        await().atMost(Duration.ofSeconds(15)).until(() -> webhook.received().size() == 2);
        assertThat(webhook.received()).extracting(r -> r.header("Idempotency-Key")).containsOnly(
                webhook.received().getFirst().header("Idempotency-Key"));
        ApiClient again = server.admin();
        awaitStatus(again, conversation, "sent", 10);
    }

    /**
     * A reply whose webhook call is under way when its server stops (the answer held until then), and a server
     * started again on the same database, as {@link #server}. Returns the reply's conversation.
     */
    private long replyCutOffByARestart(Map<String, String> settings) {
        String database = TestPostgres.newDatabase();
        Path data = TestServer.tempDir();
        TestServer first = TestServer.startOn(database, data, settings);
        ApiClient admin = first.admin();
        ApiInbox inbox = ApiInbox.create(admin, "Shop", webhook.url());
        long conversation = inbox.say("m1", "c1", "Ann", "Hello").getLong("conversationId");
        webhook.holdResponses(true);
        admin.post("/api/v1/conversations/" + conversation + "/messages", new JsonObject().put("body", "Hi"))
                .expect(201);
        await().atMost(Duration.ofSeconds(10)).until(() -> webhook.received().size() == 1);
        first.close();
        webhook.holdResponses(false);
        server = TestServer.startOn(database, data, settings);
        return conversation;
    }

    /**
     * A send cut off with its node on its last attempt (the node killed mid-send, or unable to write the answer)
     * was claimed again when its lease ran out, and again after every later crash: the claim never looked at the
     * attempts. Once they are spent it fails, saying why, and goes out no more.
     */
    @Test
    void aSendCutOffOnItsLastAttemptFailsInsteadOfGoingOutAgain() {
        long conversation = replyCutOffByARestart(Map.of("outbox.lease", "1s", "http.shutdownGrace", "200ms",
                "outbox.maxAttempts", "1"));
        ApiClient again = server.admin();
        awaitStatus(again, conversation, "failed", 15);
        assertThat(lastDelivery(again, conversation).getString("lastError"))
                .isEqualTo("gave up after 1 attempts: the node sending it stopped before it recorded the outcome"
                        + " (it may have gone out)");
        assertThat(webhook.received()).hasSize(1);
    }

    /**
     * A merge while a reply is being sent moves it into the kept contact's conversation: its delivery's event named
     * the conversation it was claimed in, which no thread shows any more, so the open thread kept "pending".
     */
    @Test
    void aReplyMergedAwayWhileItIsSentIsReportedInTheConversationItIsIn() {
        server = TestServer.start(Map.of());
        ApiClient admin = server.admin();
        ApiInbox inbox = ApiInbox.create(admin, "Shop", webhook.url());
        JsonObject ann = inbox.say("merge-1", "c-ann", "Ann", "Hello");
        JsonObject kept = inbox.say("merge-2", "c-ann-2", "Ann Again", "It is me again");
        webhook.holdResponses(true);
        long reply = reply(admin, ann.getLong("conversationId"), "Hi Ann");
        await().atMost(Duration.ofSeconds(10)).until(() -> webhook.received().size() == 1);
        admin.post("/api/v1/contacts/" + kept.getLong("contactId") + "/merge",
                new JsonObject().put("otherContactId", ann.getLong("contactId"))).expect(200);
        webhook.holdResponses(false);

        long conversation = kept.getLong("conversationId");
        awaitStatus(admin, conversation, "sent", 10);
        JsonObject event = server.throughline().database().sql().single("""
                SELECT data FROM events WHERE type = 'delivery.updated' AND (data ->> 'messageId')::bigint = $1
                ORDER BY seq DESC LIMIT 1""", reply).getJsonObject("data");
        assertThat(event.getLong("conversationId")).isEqualTo(conversation);
        assertThat(event.getJsonObject("delivery").getString("status")).isEqualTo("sent");
    }

    /**
     * A node that has not heard of an inbox's new settings yet (the event is held up behind a transaction still
     * open) reopens the inbox before it sends: the reply goes to the new webhook, not the one it replaced.
     */
    @Test
    void aNodeThatMissedASettingsSaveSendsWithTheNewSettings() {
        server = TestServer.start(Map.of("outbox.pollInterval", "1h"));
        ApiClient admin = server.admin();
        ApiInbox inbox = ApiInbox.create(admin, "Shop", webhook.url());
        long conversation = inbox.say("m1", "c1", "Ann", "Hello").getLong("conversationId");
        try (WebhookReceiver moved = new WebhookReceiver();
             TestServer second = TestServer.startOn(server.databaseUrl(), TestServer.tempDir(), Map.of())) {
            await().atMost(Duration.ofSeconds(10))
                    .until(() -> second.throughline().supervisor().sender(inbox.id()).isPresent());
            // An event written and not committed: each node's feed waits for it before passing later ones.
            HeldTransaction<Integer> gap = HeldTransaction.start(server.throughline().database(), tx -> tx.update(
                    "INSERT INTO events (xid, workspace_id, type, data) VALUES (pg_current_xact_id(), 1, 'test.gap',"
                            + " '{}')"));
            try {
                admin.patch("/api/v1/inboxes/" + inbox.id(), new JsonObject().put("config", new JsonObject()
                        .put("webhookUrl", moved.url()))).expect(200);
                // The reply is written through the second node, whose dispatcher sends it at once.
                second.admin().post("/api/v1/conversations/" + conversation + "/messages", new JsonObject()
                        .put("body", "Your refund is on its way")).expect(201);
                await().atMost(Duration.ofSeconds(10)).until(() -> moved.received().size() == 1);
                assertThat(webhook.received()).as("the replaced webhook").isEmpty();
            } finally {
                gap.commit();
            }
        }
    }

    @Test
    void aSendSlowerThanTheLeaseKeepsItsLeaseAndIsSentOnce() {
        server = TestServer.start(Map.of("outbox.lease", "1s"));
        ApiClient admin = server.admin();
        ApiInbox inbox = ApiInbox.create(admin, "Slow shop", webhook.url());
        long conversation = inbox.say("slow-1", "c-slow", "Sam", "Hello").getLong("conversationId");
        webhook.holdResponses(true);
        long message = admin.post("/api/v1/conversations/" + conversation + "/messages",
                new JsonObject().put("body", "Hi")).expect(201).json().getLong("id");
        await().atMost(Duration.ofSeconds(10)).until(() -> webhook.received().size() == 1);
        // The webhook holds its answer for three leases and more; the lease keeps moving meanwhile.
        await().atMost(Duration.ofSeconds(15)).until(() -> server.throughline().database().sql().single("""
                SELECT lease_until > created_at + interval '3 seconds' AS renewed FROM deliveries
                WHERE message_id = $1""", message).getBoolean("renewed"));
        assertThat(webhook.received()).as("no second claim sent it again").hasSize(1);
        webhook.holdResponses(false);
        awaitStatus(admin, conversation, "sent", 10);
        assertThat(webhook.received()).hasSize(1);
        assertThat(lastDelivery(admin, conversation).getInteger("attempts")).isEqualTo(1);
    }

    /**
     * A reply waits, its attempts untouched, while its inbox is paused or has nowhere to send; enabling the inbox
     * or giving it a webhook URL sends it at once.
     */
    @Test
    void aPausedInboxOrOneWithoutAWebhookKeepsItsRepliesWaiting() {
        server = TestServer.start();
        ApiClient admin = server.admin();
        ApiInbox inbox = ApiInbox.create(admin, "Paused shop", webhook.url());
        long conversation = inbox.say("pause-1", "c-pause", "Pia", "Hello").getLong("conversationId");
        webhook.respondWith(500);
        reply(admin, conversation, "Hi");
        await().atMost(Duration.ofSeconds(10)).until(() -> String.valueOf(lastDelivery(admin, conversation)
                .getString("lastError")).contains("500"));
        admin.patch("/api/v1/inboxes/" + inbox.id(), new JsonObject().put("enabled", false)).expect(200);
        await().atMost(Duration.ofSeconds(20)).until(() -> String.valueOf(lastDelivery(admin, conversation)
                .getString("lastError")).contains("the inbox is disabled"));
        assertThat(lastDelivery(admin, conversation).getString("status")).isEqualTo("pending");
        webhook.respondWith(200);
        admin.patch("/api/v1/inboxes/" + inbox.id(), new JsonObject().put("enabled", true)).expect(200);
        awaitStatus(admin, conversation, "sent", 10);

        ApiInbox unset = ApiInbox.create(admin, "Shop without a webhook", null);
        long other = unset.say("unset-1", "c-unset", "Uma", "Hello").getLong("conversationId");
        reply(admin, other, "Hi Uma");
        await().atMost(Duration.ofSeconds(10)).until(() -> String.valueOf(lastDelivery(admin, other)
                .getString("lastError")).contains("no webhookUrl"));
        assertThat(lastDelivery(admin, other).getString("status")).isEqualTo("pending");
        admin.patch("/api/v1/inboxes/" + unset.id(), new JsonObject().put("config",
                new JsonObject().put("webhookUrl", webhook.url()))).expect(200);
        awaitStatus(admin, other, "sent", 10);
        assertThat(lastDelivery(admin, other).getInteger("attempts")).isEqualTo(1);
    }

    /** A deleted inbox's reply waiting for a retry ends at once, as failed with the reason, not in an hour. */
    @Test
    void aDeletedInboxsWaitingReplyFailsAtOnce() {
        server = TestServer.start();
        ApiClient admin = server.admin();
        ApiInbox inbox = ApiInbox.create(admin, "Closing shop", webhook.url());
        long conversation = inbox.say("close-1", "c-close", "Cleo", "Hello").getLong("conversationId");
        webhook.respondWith(429, "3600");
        reply(admin, conversation, "Hi Cleo");
        await().atMost(Duration.ofSeconds(10)).until(() -> String.valueOf(lastDelivery(admin, conversation)
                .getString("lastError")).contains("429"));

        admin.delete("/api/v1/inboxes/" + inbox.id()).expect(204);

        awaitStatus(admin, conversation, "failed", 10);
        assertThat(lastDelivery(admin, conversation).getString("lastError")).isEqualTo("the inbox was deleted");
    }

    /** Every agent reads a delivery's reason: a webhook's path and query (often its secret) are never in it. */
    @Test
    void aSilentWebhookTimesOutWithoutItsUrlInTheReason() {
        server = TestServer.start();
        ApiClient admin = server.admin();
        ApiInbox inbox = ApiInbox.create(admin, "Silent shop", webhook.url() + "/catch/s3cret-path?token=s3cret-query");
        long conversation = inbox.say("silent-1", "c-silent", "Sid", "Hello").getLong("conversationId");
        webhook.holdResponses(true);
        try {
            reply(admin, conversation, "Hi");
            String reason = await().atMost(Duration.ofSeconds(40)).until(() -> lastDelivery(admin, conversation)
                    .getString("lastError"), error -> error != null);
            assertThat(reason).contains("no answer within 15 s").doesNotContain("s3cret").doesNotContain("/catch");
        } finally {
            webhook.holdResponses(false);
        }
    }

    /** The client's timeout bounds silence only: an answer a byte at a time once held a slot for ever. */
    @Test
    void aWebhookThatNeverFinishesAnsweringFreesItsSendAfterTheDeadline() {
        server = TestServer.start();
        ApiClient admin = server.admin();
        ApiInbox inbox = ApiInbox.create(admin, "Trickling shop", webhook.url());
        long conversation = inbox.say("trickle-1", "c-trickle", "Tia", "Hello").getLong("conversationId");
        webhook.trickle(true);
        try {
            admin.post("/api/v1/conversations/" + conversation + "/messages", new JsonObject().put("body", "Hi"))
                    .expect(201);
            await().atMost(Duration.ofSeconds(60)).until(() -> String.valueOf(lastDelivery(admin, conversation)
                    .getString("lastError")).contains("did not finish answering within 30 s"));
            assertThat(lastDelivery(admin, conversation).getString("status")).isEqualTo("pending");
        } finally {
            webhook.trickle(false);
        }
        awaitStatus(admin, conversation, "sent", 30);
    }

    /**
     * A channel that hangs (here a webhook that never answers; an SMTP server that accepts and goes silent is the
     * same) takes at most outbox.inboxConcurrency of the node's sends: the other inboxes' replies still go out.
     */
    @Test
    void anInboxThatHangsTakesOnlyItsShareOfTheSendsAndOtherInboxesKeepSending() {
        server = TestServer.start(Map.of("outbox.concurrency", "4", "outbox.inboxConcurrency", "2"));
        ApiClient admin = server.admin();
        ApiInbox hung = ApiInbox.create(admin, "Hung shop", webhook.url());
        webhook.holdResponses(true);
        try (WebhookReceiver healthy = new WebhookReceiver()) {
            ApiInbox other = ApiInbox.create(admin, "Healthy shop", healthy.url());
            replyToSixCustomers(admin, hung);
            await().atMost(Duration.ofSeconds(10)).until(() -> webhook.received().size() == 2);

            long conversation = other.say("ok-1", "c-ok", "Olga", "Hello").getLong("conversationId");
            admin.post("/api/v1/conversations/" + conversation + "/messages", new JsonObject().put("body", "Hi Olga"))
                    .expect(201);
            awaitStatus(admin, conversation, "sent", 10);
            assertThat(healthy.received()).hasSize(1);
            assertThat(inFlight(hung)).as("the hung inbox still has only its share in flight").isLessThanOrEqualTo(2);
        } finally {
            webhook.holdResponses(false);
        }
    }

    /** The cap holds across nodes: a second node sends none of the hung inbox's replies while two are in flight. */
    @Test
    void anInboxThatHangsTakesOnlyItsShareAcrossAllNodes() {
        Map<String, String> options = Map.of("outbox.concurrency", "4", "outbox.inboxConcurrency", "2",
                "outbox.pollInterval", "100ms");
        server = TestServer.start(options);
        ApiClient admin = server.admin();
        ApiInbox hung = ApiInbox.create(admin, "Hung shop", webhook.url());
        webhook.holdResponses(true);
        try (TestServer second = TestServer.startOn(server.databaseUrl(), TestServer.tempDir(), options)) {
            replyToSixCustomers(admin, hung);
            await().atMost(Duration.ofSeconds(10)).until(() -> webhook.received().size() == 2);
            // Each node polls ten times a second: two more would be in flight within this if the cap were a node's.
            await().during(Duration.ofSeconds(2)).atMost(Duration.ofSeconds(5))
                    .until(() -> webhook.received().size() == 2);
            assertThat(inFlight(hung)).isEqualTo(2);
            // Answered before the second node stops: a send it still had in flight would keep its lease (two
            // minutes) and, with it, half the inbox's room, as a node that dies does.
            webhook.holdResponses(false);
            await().atMost(Duration.ofSeconds(20)).until(() -> webhook.received().size() >= 6);
        } finally {
            webhook.holdResponses(false);
        }
    }

    /** Six customers write to the inbox, and an agent answers each. */
    private static void replyToSixCustomers(ApiClient admin, ApiInbox inbox) {
        for (int i = 0; i < 6; i++) {
            long conversation = inbox.say("hung-" + i, "c-hung-" + i, "Customer " + i, "Hello")
                    .getLong("conversationId");
            admin.post("/api/v1/conversations/" + conversation + "/messages",
                    new JsonObject().put("body", "Reply " + i)).expect(201);
        }
    }

    /** The inbox's sends in flight on any node: pending deliveries under a live lease. */
    private long inFlight(ApiInbox inbox) {
        return server.throughline().database().sql().single("""
                SELECT count(*) AS n FROM deliveries
                WHERE inbox_id = $1 AND status = 'pending' AND lease_until > now()""", inbox.id()).getLong("n");
    }

    /** Waits until the conversation's last message's delivery has this status. */
    private static void awaitStatus(ApiClient admin, long conversation, String status, int seconds) {
        await().atMost(Duration.ofSeconds(seconds)).until(() -> status.equals(lastDelivery(admin, conversation)
                .getString("status")));
    }

    private static JsonObject lastDelivery(ApiClient admin, long conversation) {
        var messages = admin.get("/api/v1/conversations/" + conversation + "/messages").expect(200).json()
                .getJsonArray("messages");
        return messages.getJsonObject(messages.size() - 1).getJsonObject("delivery");
    }
}
