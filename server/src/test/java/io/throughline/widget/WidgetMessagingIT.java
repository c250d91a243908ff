package io.throughline.widget;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.throughline.store.Database;
import io.throughline.testing.ApiClient;
import io.throughline.testing.ApiInbox;
import io.throughline.testing.StreamClient;
import io.throughline.testing.TestServer;
import io.throughline.testing.VisitorClient;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.pgclient.PgConnection;
import io.vertx.sqlclient.Transaction;
import io.vertx.sqlclient.Tuple;
import java.net.http.WebSocketHandshakeException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Visitor messages at the protocol level: acked after commit and stored once per client id, agent replies pushed
 * live and resumable after a drop, isolation between visitors, the HTTP fallback, and bad input.
 */
class WidgetMessagingIT {

    private static final Duration WAIT = Duration.ofSeconds(10);

    private static TestServer server;
    private static ApiClient admin;
    private static String siteKey;

    @BeforeAll
    static void start() {
        server = TestServer.start(Map.of("widget.newSessionsPerIp", "1000", "widget.messagesPerIp", "1000",
                "widget.messagesPerVisitor", "100", "widget.longPoll", "2s"));
        admin = server.admin();
        siteKey = Widgets.create(admin, Widgets.SHOP).getString("siteKey");
    }

    @AfterAll
    static void stop() {
        server.close();
    }

    private static VisitorClient visitor() {
        return new VisitorClient(server.url(), siteKey, Widgets.SHOP).start();
    }

    /**
     * An API caller naming a visitor's id (claimed, as the API channel takes it) writes nothing into that visitor's
     * chat: the socket never gets it, the history never shows it, and the visitor's own first message starts its own
     * thread instead of joining the caller's.
     */
    @Test
    void aMessageFromAnotherChannelNamingTheVisitorNeverReachesItsChat() {
        VisitorClient visitor = visitor();
        ApiInbox api = ApiInbox.create(admin, "Partner system", null);
        try (VisitorClient.Socket socket = visitor.connect(visitor.seq())) {
            socket.next("ready", WAIT);
            api.send("spoof-1", "Spoofer", new JsonArray().add(ApiInbox.identity("widget_visitor",
                    visitor.visitorId(), true)), "Your card was charged, reply with the code").expect(201);
            socket.message("Hello, a question about sizes");
            JsonObject own = socket.next(f -> "message".equals(f.getString("type")), WAIT);
            assertThat(own.getJsonObject("message").getString("body")).isEqualTo("Hello, a question about sizes");
            assertThat(socket.received()).noneMatch(f -> f.encode().contains("card was charged"));
        }
        assertThat(visitor.history()).extracting(m -> ((JsonObject) m).getString("body"))
                .containsExactly("Hello, a question about sizes");
    }

    @Test
    void aVisitorMessageIsAckedAfterCommitAndReachesTheAgentInItsConversation() {
        VisitorClient visitor = visitor();
        try (StreamClient agent = StreamClient.connect(admin, null);
             VisitorClient.Socket socket = visitor.connect(visitor.seq())) {
            socket.next("ready", WAIT);
            String clientId = socket.message("Do you ship to Lviv?");
            Map<String, JsonObject> answers = socket.collect(WAIT, "ack", "message");
            JsonObject ack = answers.get("ack");
            assertThat(ack.getString("clientId")).isEqualTo(clientId);
            assertThat(ack.getString("status")).isEqualTo("stored");
            long messageId = ack.getLong("messageId");
            long stored = server.throughline().database().sql().single("SELECT count(*) AS n FROM messages"
                    + " WHERE id = $1 AND external_id = $2", messageId, clientId).getLong("n");
            assertThat(stored).as("the ack names a committed message").isEqualTo(1);

            JsonObject event = agent.next(f -> "message.created".equals(f.getString("type")), WAIT);
            JsonObject message = event.getJsonObject("data").getJsonObject("message");
            assertThat(message.getString("channel")).isEqualTo("widget");
            assertThat(message.getString("externalId")).isEqualTo(clientId);
            long conversation = event.getJsonObject("data").getLong("conversationId");
            JsonArray thread = admin.get("/api/v1/conversations/" + conversation + "/messages").expect(200).json()
                    .getJsonArray("messages");
            assertThat(thread).hasSize(1);
            assertThat(thread.getJsonObject(0).getString("body")).isEqualTo("Do you ship to Lviv?");

            JsonObject echoed = answers.get("message").getJsonObject("message");
            assertThat(echoed.getLong("id")).isEqualTo(messageId);
            assertThat(echoed.getString("clientId")).isEqualTo(clientId);
            assertThat(echoed.getBoolean("own")).isTrue();
            assertThat(echoed.containsKey("metadata")).as("no internals reach the visitor").isFalse();
        }
    }

    /**
     * A message that fails for now (here PostgreSQL refuses it once) is sent again; those queued behind it on the
     * socket are not stored before it (they were, and the agent read the visitor's messages out of order).
     */
    @Test
    void messagesQueuedBehindOneThatFailedForNowKeepTheirOrder() {
        var sql = server.throughline().database().sql();
        sql.update("CREATE SEQUENCE refuse_once");
        sql.update("""
                CREATE FUNCTION refuse_once() RETURNS trigger LANGUAGE plpgsql AS $$
                BEGIN
                    -- A sequence moves on though the transaction rolls back: refused the first time only.
                    IF NEW.body = 'second, refused once' AND nextval('refuse_once') = 1 THEN
                        RAISE EXCEPTION 'refused by the test';
                    END IF;
                    RETURN NEW;
                END $$""");
        sql.update("CREATE TRIGGER refuse_once BEFORE INSERT ON messages FOR EACH ROW EXECUTE FUNCTION refuse_once()");
        VisitorClient visitor = visitor();
        try (VisitorClient.Socket socket = visitor.connect(visitor.seq())) {
            socket.next("ready", WAIT);
            List<JsonObject> frames = new ArrayList<>();
            for (String body : List.of("first", "second, refused once", "third")) {
                String clientId = UUID.randomUUID().toString();
                JsonObject frame = new JsonObject().put("type", "message").put("clientId", clientId).put("body", body);
                frames.add(frame);
                socket.send(frame);
            }
            // As the frame does: what was refused for now goes again, in order.
            List<JsonObject> pending = new ArrayList<>(frames);
            while (!pending.isEmpty()) {
                JsonObject answer = socket.next(f -> "ack".equals(f.getString("type"))
                        || "nack".equals(f.getString("type")), WAIT);
                JsonObject frame = pending.stream().filter(f -> f.getString("clientId")
                        .equals(answer.getString("clientId"))).findFirst().orElseThrow();
                if ("ack".equals(answer.getString("type"))) {
                    pending.remove(frame);
                } else {
                    socket.send(frame);
                }
            }
        } finally {
            sql.update("DROP TRIGGER refuse_once ON messages");
            sql.update("DROP FUNCTION refuse_once()");
            sql.update("DROP SEQUENCE refuse_once");
        }
        assertThat(visitor.history().stream().map(m -> ((JsonObject) m).getString("body")))
                .containsExactly("first", "second, refused once", "third");
    }

    @Test
    void resendingAClientIdStoresTheMessageExactlyOnce() {
        VisitorClient visitor = visitor();
        String clientId = UUID.randomUUID().toString();
        long first;
        try (VisitorClient.Socket socket = visitor.connect(visitor.seq())) {
            socket.send(new JsonObject().put("type", "message").put("clientId", clientId).put("body", "once"));
            first = socket.next("ack", WAIT).getLong("messageId");
        }
        try (VisitorClient.Socket again = visitor.connect(visitor.seq())) {
            again.send(new JsonObject().put("type", "message").put("clientId", clientId).put("body", "once"));
            JsonObject ack = again.next("ack", WAIT);
            assertThat(ack.getString("status")).isEqualTo("duplicate");
            assertThat(ack.getLong("messageId")).isEqualTo(first);
        }
        JsonObject http = visitor.send(clientId, "once").expect(200).json();
        assertThat(http.getLong("messageId")).isEqualTo(first);
        assertThat(visitor.history()).hasSize(1);

        VisitorClient thief = visitor();
        thief.send(clientId, "once").expect(409);
    }

    @Test
    void anAgentReplyArrivesLiveWithTheAgentsNameAndIsMarkedSent() {
        VisitorClient visitor = visitor();
        try (VisitorClient.Socket socket = visitor.connect(visitor.seq())) {
            socket.message("Is the green jacket in stock?");
            long conversation = Widgets.conversationOf(server, socket.next("ack", WAIT).getLong("messageId"));
            JsonObject reply = admin.post("/api/v1/conversations/" + conversation + "/messages",
                    new JsonObject().put("body", "Yes, sizes S to XL.")).expect(201).json();

            JsonObject pushed = socket.next(f -> "message".equals(f.getString("type"))
                    && "out".equals(f.getJsonObject("message").getString("kind")), WAIT).getJsonObject("message");
            assertThat(pushed.getString("body")).isEqualTo("Yes, sizes S to XL.");
            assertThat(pushed.getJsonObject("author").getString("name")).isEqualTo("Admin");
            assertThat(pushed.getBoolean("own")).isFalse();

            await().atMost(WAIT).until(() -> "sent".equals(Widgets.deliveryStatus(admin, conversation,
                    reply.getLong("id"))));
        }
    }

    @Test
    void aReconnectingVisitorResumesFromItsLastSeqWithoutGapsOrRepeats() {
        VisitorClient visitor = visitor();
        long conversation;
        long since;
        try (VisitorClient.Socket socket = visitor.connect(visitor.seq())) {
            socket.message("first");
            conversation = Widgets.conversationOf(server, socket.collect(WAIT, "ack", "message").get("ack")
                    .getLong("messageId"));
            socket.send(new JsonObject().put("type", "ping"));
            since = socket.next("pong", WAIT).getLong("seq");
        }
        admin.post("/api/v1/conversations/" + conversation + "/messages", new JsonObject().put("body", "reply one"))
                .expect(201);
        admin.post("/api/v1/conversations/" + conversation + "/messages", new JsonObject().put("body", "reply two"))
                .expect(201);
        try (VisitorClient.Socket resumed = visitor.connect(since)) {
            JsonObject one = resumed.next("message", WAIT);
            JsonObject two = resumed.next("message", WAIT);
            assertThat(one.getJsonObject("message").getString("body")).isEqualTo("reply one");
            assertThat(two.getJsonObject("message").getString("body")).isEqualTo("reply two");
            assertThat(two.getLong("seq")).isGreaterThan(one.getLong("seq"));
            assertThat(resumed.drain(Duration.ofMillis(500))).noneMatch(f -> "message".equals(f.getString("type")));
        }
        try (VisitorClient.Socket tooOld = visitor.connect(0L)) {
            assertThat(tooOld.next(f -> "message".equals(f.getString("type")) || "reset".equals(f.getString("type")),
                    WAIT).getString("type")).as("a client far behind may replay or reload, never miss")
                    .isIn("message", "reset");
        }
    }

    @Test
    void twoVisitorsNeverSeeEachOthersMessages() {
        VisitorClient alice = visitor();
        VisitorClient bob = visitor();
        try (VisitorClient.Socket aliceSocket = alice.connect(alice.seq());
             VisitorClient.Socket bobSocket = bob.connect(bob.seq())) {
            aliceSocket.message("alice's secret: order 7781");
            long conversation = Widgets.conversationOf(server,
                    aliceSocket.next("ack", WAIT).getLong("messageId"));
            admin.post("/api/v1/conversations/" + conversation + "/messages",
                    new JsonObject().put("body", "alice, your order ships today")).expect(201);
            aliceSocket.next(f -> "message".equals(f.getString("type"))
                    && "out".equals(f.getJsonObject("message").getString("kind")), WAIT);
            assertThat(bobSocket.drain(Duration.ofSeconds(1)))
                    .noneMatch(f -> f.encode().contains("7781") || f.encode().contains("ships today"));
        }
        assertThat(bob.history()).isEmpty();
        long aliceMessage = alice.history().getJsonObject(0).getLong("id");
        bob.post("/widget/v1/seen", new JsonObject().put("messageId", aliceMessage), true).expect(404);
    }

    /**
     * The history's {@code before} cursor counts only as a message the visitor's own page could show: another
     * customer's message id answers as an unknown one does, so trying ids tells nothing of their existence or time.
     */
    @Test
    void aHistoryCursorNamingAnotherVisitorsMessageShowsNothing() {
        VisitorClient alice = visitor();
        VisitorClient bob = visitor();
        bob.send(UUID.randomUUID().toString(), "bob writes first").expect(201);
        alice.send(UUID.randomUUID().toString(), "alice one").expect(201);
        alice.send(UUID.randomUUID().toString(), "alice two").expect(201);
        JsonArray thread = alice.history();
        long aliceTwo = thread.getJsonObject(1).getLong("id");
        assertThat(thread.getJsonObject(1).getString("body")).isEqualTo("alice two");

        JsonArray older = alice.get("/widget/v1/messages?before=" + aliceTwo).expect(200).json()
                .getJsonArray("messages");
        assertThat(older).extracting(m -> ((JsonObject) m).getString("body")).containsExactly("alice one");
        assertThat(bob.get("/widget/v1/messages?before=" + aliceTwo).expect(200).json().getJsonArray("messages"))
                .isEmpty();
        assertThat(bob.get("/widget/v1/messages?before=" + Long.MAX_VALUE).expect(200).json()
                .getJsonArray("messages")).isEmpty();
        assertThat(bob.history()).extracting(m -> ((JsonObject) m).getString("body"))
                .containsExactly("bob writes first");
    }

    @Test
    void badFramesGetAnErrorAndTheSocketStaysOpen() {
        VisitorClient visitor = visitor();
        try (VisitorClient.Socket socket = visitor.connect(visitor.seq())) {
            socket.sendText("{not json");
            assertThat(socket.next("error", WAIT).getJsonObject("error").getInteger("status")).isEqualTo(400);
            socket.sendText("[1,2]");
            socket.next("error", WAIT);
            socket.send(new JsonObject().put("type", "shout"));
            assertThat(socket.next("error", WAIT).getJsonObject("error").getString("detail")).contains("shout");
            socket.send(new JsonObject().put("type", "message").put("clientId", "not-a-uuid").put("body", "x"));
            JsonObject nack = socket.next("nack", WAIT);
            assertThat(nack.getJsonObject("error").getInteger("status")).isEqualTo(400);
            socket.send(new JsonObject().put("type", "message").put("clientId", UUID.randomUUID().toString())
                    .put("body", "x".repeat(5001)));
            assertThat(socket.next("nack", WAIT).getJsonObject("error").getInteger("status")).isEqualTo(413);
            // NULs only: taken out at ingest, they would have been an empty message.
            socket.send(new JsonObject().put("type", "message").put("clientId", UUID.randomUUID().toString())
                    .put("body", "\u0000\u0000"));
            JsonObject nul = socket.next("nack", WAIT).getJsonObject("error");
            assertThat(nul.getInteger("status")).isEqualTo(400);
            assertThat(nul.encode()).contains("NUL");
            socket.send(new JsonObject().put("type", "ping"));
            socket.next("pong", WAIT);
        }
        visitor.send(UUID.randomUUID().toString(), "y".repeat(5001)).expect(413);
        visitor.send(new JsonObject().put("clientId", UUID.randomUUID().toString())).expect(400);
        visitor.send(new JsonObject().put("body", "no id")).expect(400);
        assertThat(visitor.raw("POST", "/widget/v1/messages", "application/json", "{oops").status()).isEqualTo(400);
        assertThat(visitor.history()).isEmpty();
    }

    /**
     * A widget switched off (spammed, say) stores nothing more through the sockets open on it: a message is refused
     * (409) and the socket closed, as a new session or the HTTP fallback would be.
     */
    @Test
    void aSocketOpenWhenItsWidgetIsDisabledStoresNothingMore() {
        JsonObject widget = Widgets.create(admin, Widgets.SHOP);
        VisitorClient visitor = new VisitorClient(server.url(), widget.getString("siteKey"), Widgets.SHOP).start();
        try (VisitorClient.Socket socket = visitor.connect(visitor.seq())) {
            socket.message("Before");
            socket.next("ack", WAIT);
            admin.patch("/api/v1/inboxes/" + widget.getLong("id"), new JsonObject().put("enabled", false))
                    .expect(200);
            // Sent as the server ends the socket (a moment after the switch): refused (409) if it got there first,
            // never stored either way.
            socket.message("After it was switched off");
            assertThat(socket.awaitClose(WAIT)).isEqualTo(4403);
            assertThat(socket.received()).filteredOn(f -> "nack".equals(f.getString("type")))
                    .allMatch(f -> f.getJsonObject("error").getInteger("status") == 409);
        }
        assertThat(server.throughline().database().sql().single("SELECT count(*) AS n FROM messages"
                + " WHERE body = 'After it was switched off'").getLong("n")).isZero();
    }

    /**
     * Switching a widget off ends the sockets and long polls open on it a moment later (4403; the next poll 409), so
     * their chats say at once that they are not available; a settings save, which reopens it, ends none.
     */
    @Test
    void switchingAWidgetOffEndsItsOpenConnectionsButASaveDoesNot() {
        JsonObject widget = Widgets.create(admin, Widgets.SHOP);
        String path = "/api/v1/inboxes/" + widget.getLong("id");
        VisitorClient visitor = new VisitorClient(server.url(), widget.getString("siteKey"), Widgets.SHOP).start();
        try (VisitorClient.Socket socket = visitor.connect(visitor.seq())) {
            socket.next("ready", WAIT);
            admin.patch(path, new JsonObject().put("name", "Renamed while open")).expect(200);
            // Past the moment a closed site is given to reopen, the socket is still open.
            await().during(Duration.ofMillis(1_500)).atMost(WAIT).until(() -> !socket.closedByServer());
            admin.patch(path, new JsonObject().put("enabled", false)).expect(200);
            assertThat(socket.awaitClose(WAIT)).isEqualTo(4403);
        }
        visitor.get("/widget/v1/messages?since=" + visitor.seq() + "&wait=0").expect(409);
    }

    /**
     * Half an emoji sent on the socket (a lone surrogate, as a client's cut leaves one) is kept as U+FFFD, as the
     * HTTP fallback keeps it: the database's encoder wrote "?" for it, so the visitor saw another text than it sent.
     */
    @Test
    void halfAnEmojiSentOnTheSocketIsKeptAsAReplacementCharacter() {
        VisitorClient visitor = visitor();
        String clientId = UUID.randomUUID().toString();
        try (VisitorClient.Socket socket = visitor.connect(visitor.seq())) {
            socket.sendText("{\"type\": \"message\", \"clientId\": \"" + clientId
                    + "\", \"body\": \"Thanks \\ud83d\"}");
            assertThat(socket.next("ack", WAIT).getString("status")).isEqualTo("stored");
        }
        assertThat(visitor.history().getJsonObject(0).getString("body")).isEqualTo("Thanks \uFFFD");
    }

    /**
     * A client that writes its UUIDs in upper case (as iOS's {@code uuidString} does) gets its ack with the id as it
     * sent it, so its outbox clears; the message itself, and a resend of it, carry the one canonical form.
     */
    @Test
    void anUpperCaseClientIdIsAckedAsItWasSent() {
        VisitorClient visitor = visitor();
        String clientId = UUID.randomUUID().toString().toUpperCase(java.util.Locale.ROOT);
        try (VisitorClient.Socket socket = visitor.connect(visitor.seq())) {
            socket.send(new JsonObject().put("type", "message").put("clientId", clientId).put("body", "Hello"));
            JsonObject ack = socket.next("ack", WAIT);
            assertThat(ack.getString("clientId")).isEqualTo(clientId);
            assertThat(ack.getString("status")).isEqualTo("stored");
            socket.send(new JsonObject().put("type", "message").put("clientId", clientId).put("body", "Hello"));
            JsonObject again = socket.next("ack", WAIT);
            assertThat(again.getString("clientId")).isEqualTo(clientId);
            assertThat(again.getString("status")).isEqualTo("duplicate");
        }
        assertThat(visitor.send(clientId, "Hello").expect(200).json().getString("clientId")).isEqualTo(clientId);
        assertThat(visitor.history()).hasSize(1);
        assertThat(visitor.history().getJsonObject(0).getString("clientId"))
                .isEqualTo(clientId.toLowerCase(java.util.Locale.ROOT));
    }

    /**
     * While storing stalls (here the conversation's row is held by another transaction), a socket queues at most
     * sixteen messages and refuses the rest at once; the queued ones are stored and acked once it moves again.
     */
    @Test
    void aSocketQueuesOnlySoManyMessagesWhileStoringStalls() {
        VisitorClient visitor = visitor();
        long conversation = Widgets.conversationOf(server, visitor.send(UUID.randomUUID().toString(), "first")
                .expect(201).json().getLong("messageId"));
        Database database = server.throughline().database();
        PgConnection holder = PgConnection.connect(database.vertx(), database.connectOptions()).await();
        try (VisitorClient.Socket socket = visitor.connect(visitor.seq())) {
            Transaction held = holder.begin().await();
            holder.preparedQuery("SELECT id FROM conversations WHERE id = $1 FOR UPDATE")
                    .execute(Tuple.of(conversation)).await();
            for (int i = 0; i < SocketStream.MAX_QUEUED_MESSAGES + 4; i++) {
                socket.message("queued " + i);
            }
            for (int i = 0; i < 3; i++) {
                JsonObject refused = socket.next("nack", WAIT).getJsonObject("error");
                assertThat(refused.getInteger("status")).isEqualTo(429);
                assertThat(refused.getString("detail")).contains("waiting to be stored");
            }
            held.commit().await();
            for (int i = 0; i < SocketStream.MAX_QUEUED_MESSAGES; i++) {
                socket.next("ack", WAIT);
            }
        } finally {
            holder.close().await();
        }
        assertThat(visitor.history()).hasSize(1 + SocketStream.MAX_QUEUED_MESSAGES);
    }

    @Test
    void messagesBeyondTheRateLimitGet429WithRetryAfter() {
        try (TestServer limited = TestServer.start(Map.of("widget.messagesPerVisitor", "3",
                "widget.rateWindow", "1h"))) {
            String key = Widgets.create(limited.admin(), Widgets.SHOP).getString("siteKey");
            VisitorClient visitor = new VisitorClient(limited.url(), key, Widgets.SHOP).start();
            String first;
            try (VisitorClient.Socket socket = visitor.connect(visitor.seq())) {
                first = socket.message("message 0");
                socket.next("ack", WAIT);
                for (int i = 1; i < 3; i++) {
                    socket.message("message " + i);
                    socket.next("ack", WAIT);
                }
                socket.message("one too many");
                JsonObject error = socket.next("nack", WAIT).getJsonObject("error");
                assertThat(error.getInteger("status")).isEqualTo(429);
                assertThat(error.getLong("retryAfterSeconds")).isPositive();
                // The one after it waits for it, whatever the limit says by then (a bucket refilling between the
                // two stored the second first): the visitor's messages keep their order.
                socket.message("and the one after it");
                JsonObject behind = socket.next("nack", WAIT).getJsonObject("error");
                assertThat(behind.getInteger("status")).isEqualTo(503);
                assertThat(behind.getString("detail")).contains("an earlier message failed");
            }
            ApiClient.Response refused = visitor.send(UUID.randomUUID().toString(), "still too many").expect(429);
            assertThat(refused.header("Retry-After")).isNotNull();
            // A message stored already, sent again (another tab resending the shared outbox after a drop), costs
            // nothing: it is acknowledged, not refused.
            assertThat(visitor.send(first, "message 0").expect(200).json().getString("status"))
                    .isEqualTo("duplicate");
            assertThat(visitor.history()).hasSize(3);
        }
    }

    @Test
    void theHttpFallbackSendsAndLongPollsWithoutAWebSocket() {
        VisitorClient visitor = visitor();
        JsonObject ack = visitor.send(UUID.randomUUID().toString(), "my proxy blocks websockets").expect(201).json();
        // The history's seq is what the live feed has delivered, read before the messages: a message committed but
        // not yet delivered comes again through the stream (the frame keeps it once by id). Here the stream must
        // start empty, so the feed is let past the message first.
        long committed = server.throughline().database().sql().single("SELECT max(seq) AS seq FROM events")
                .getLong("seq");
        await().atMost(WAIT).until(() -> server.throughline().eventFeed().position() >= committed);
        JsonObject history = visitor.get("/widget/v1/messages").expect(200).json();
        long seq = history.getLong("seq");
        long conversation = Widgets.conversationOf(server, ack.getLong("messageId"));

        JsonObject empty = visitor.get("/widget/v1/messages?since=" + seq + "&wait=1").expect(200).json();
        assertThat(empty.getJsonArray("events")).noneMatch(e -> "message".equals(((JsonObject) e).getString("type")));

        CompletableFuture<JsonObject> poll = CompletableFuture.supplyAsync(() ->
                visitor.get("/widget/v1/messages?since=" + empty.getLong("seq") + "&wait=20").expect(200).json());
        await().atMost(WAIT).until(() -> server.throughline().widget().connections() > 0);
        admin.post("/api/v1/conversations/" + conversation + "/messages", new JsonObject().put("body", "then we poll"))
                .expect(201);
        JsonObject polled = poll.orTimeout(15, TimeUnit.SECONDS).join();
        List<JsonObject> messages = polled.getJsonArray("events").stream().map(e -> (JsonObject) e)
                .filter(e -> "message".equals(e.getString("type"))).toList();
        assertThat(messages).hasSize(1);
        assertThat(messages.getFirst().getJsonObject("message").getString("body")).isEqualTo("then we poll");
        assertThat(polled.getLong("seq")).isGreaterThanOrEqualTo(messages.getFirst().getLong("seq"));
        visitor.get("/widget/v1/messages?since=-1").expect(400);
    }

    /**
     * A visitor holds at most twenty long polls open at once (429 beyond): each catches up on the event log, and a
     * token from a public site key held any number open. News answers them, and their slots come back.
     */
    @Test
    void aVisitorHoldsOnlySoManyLongPollsOpen() throws Exception {
        VisitorClient visitor = visitor();
        String poll = "/widget/v1/messages?since=" + visitor.seq();
        List<CompletableFuture<ApiClient.Response>> open = new ArrayList<>();
        try (ExecutorService threads = Executors.newVirtualThreadPerTaskExecutor()) {
            for (int i = 0; i < 20; i++) {
                open.add(CompletableFuture.supplyAsync(() -> visitor.get(poll + "&wait=60"), threads));
            }
            ApiClient.Response refused = await().atMost(WAIT).until(() -> visitor.get(poll + "&wait=0"),
                    r -> r.status() == 429);
            assertThat(refused.header("Retry-After")).isNotNull();
            assertThat(refused.json().getString("detail")).contains("too many connections");
            assertThat(open).noneMatch(CompletableFuture::isDone);

            visitor.send(UUID.randomUUID().toString(), "anyone there?").expect(201);
            CompletableFuture.allOf(open.toArray(CompletableFuture[]::new)).get(30, TimeUnit.SECONDS);
            assertThat(open).allSatisfy(answer -> assertThat(answer.join().status()).isEqualTo(200));
            visitor.get(poll + "&wait=0").expect(200);
        }
    }

    @Test
    void theServerRefusesWebSocketsWhenTurnedOffAndTheFallbackStillWorks() {
        try (TestServer noSockets = TestServer.start(Map.of("widget.webSocket", "false"))) {
            String key = Widgets.create(noSockets.admin(), Widgets.SHOP).getString("siteKey");
            VisitorClient visitor = new VisitorClient(noSockets.url(), key, Widgets.SHOP).start();
            // Refused at the handshake (403), not by anything else a socket can meet (an origin, a ticket).
            assertThatThrownBy(() -> visitor.connect(null)).hasCauseInstanceOf(WebSocketHandshakeException.class)
                    .rootCause().hasMessageContaining("status code 403");
            visitor.send(UUID.randomUUID().toString(), "over http").expect(201);
            assertThat(visitor.history()).hasSize(1);
        }
    }

    /**
     * A shutdown answers a waiting long poll at once (the visitor polls again, elsewhere): the poll held the HTTP
     * drain for its whole wait, past the time container runtimes give a process before they kill it mid-send.
     */
    @Test
    void aShutdownAnswersAWaitingLongPollRatherThanWaitingForIt() {
        TestServer stopping = TestServer.start(Map.of("widget.longPoll", "60s", "http.shutdownGrace", "30s"));
        JsonObject inbox = Widgets.create(stopping.admin(), Widgets.SHOP);
        VisitorClient visitor = new VisitorClient(stopping.url(), inbox.getString("siteKey"), Widgets.SHOP).start();
        long seq = visitor.get("/widget/v1/messages").expect(200).json().getLong("seq");
        CompletableFuture<ApiClient.Response> poll = CompletableFuture.supplyAsync(() ->
                visitor.get("/widget/v1/messages?since=" + seq + "&wait=60"));
        await().atMost(WAIT).until(() -> stopping.throughline().widget().connections() > 0);

        long started = System.nanoTime();
        stopping.close();
        Duration took = Duration.ofNanos(System.nanoTime() - started);
        assertThat(poll.orTimeout(5, TimeUnit.SECONDS).join().status()).as("answered, not cut").isEqualTo(200);
        assertThat(took).as("not held for the poll's wait nor the grace").isLessThan(Duration.ofSeconds(20));
    }

    /** From the shutdown's first step on, new long polls and sockets are refused (503), to try again elsewhere. */
    @Test
    void pollsAndSocketsDuringTheDrainAreRefusedWithRetryAfter() {
        TestServer stopping = TestServer.start(Map.of("widget.longPoll", "60s"));
        try {
            JsonObject inbox = Widgets.create(stopping.admin(), Widgets.SHOP);
            VisitorClient visitor = new VisitorClient(stopping.url(), inbox.getString("siteKey"), Widgets.SHOP)
                    .start();
            long seq = visitor.get("/widget/v1/messages").expect(200).json().getLong("seq");
            stopping.throughline().widget().stop();
            ApiClient.Response poll = visitor.get("/widget/v1/messages?since=" + seq + "&wait=60").expect(503);
            assertThat(poll.header("Retry-After")).isEqualTo("1");
            assertThatThrownBy(() -> visitor.connect(seq)).hasCauseInstanceOf(WebSocketHandshakeException.class)
                    .rootCause().hasMessageContaining("status code 503");
        } finally {
            stopping.close();
        }
    }
}
