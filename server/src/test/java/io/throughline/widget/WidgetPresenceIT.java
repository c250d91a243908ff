package io.throughline.widget;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.throughline.store.Database;
import io.throughline.testing.ApiClient;
import io.throughline.testing.HeldTransaction;
import io.throughline.testing.RawHttp;
import io.throughline.testing.StreamClient;
import io.throughline.testing.TestServer;
import io.throughline.testing.VisitorClient;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.math.BigInteger;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.Arrays;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * What agents learn about widget visitors (online, last seen, read receipts, typing) and what visitors may attach,
 * plus the rules that keep a blocked contact out and a merged thread private.
 */
class WidgetPresenceIT {

    private static final Duration WAIT = Duration.ofSeconds(10);
    private static final byte[] PNG = {(byte) 0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n', 0, 0, 0, 13, 'I', 'H', 'D',
        'R', 0, 0, 0, 1, 0, 0, 0, 1, 8, 6, 0, 0, 0};

    private static TestServer server;
    private static ApiClient admin;
    private static String siteKey;

    @BeforeAll
    static void start() {
        server = TestServer.start(Map.of("widget.presenceGrace", "300ms", "widget.newSessionsPerIp", "1000",
                "widget.maxUploadSize", "4KB", "widget.uploadTypes", "image/*,application/pdf,text/plain"));
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

    private static long workspace() {
        return server.throughline().workspaces().first().orElseThrow();
    }

    /**
     * A reply the visitor saw and left before the outbox recorded it sent (the chat shows it at its commit; a busy
     * outbox sends it later) turns delivered once it is sent: with no socket of the visitor left to report it
     * then, the report made when it was seen was dropped, and it stayed "sent".
     */
    @Test
    void aReplySeenBeforeTheOutboxSentItIsDeliveredOnceSent() {
        VisitorClient visitor = visitor();
        long conversation;
        long replyId;
        // The outbox claims nothing meanwhile (claims take turns on this lock): the reply stays waiting.
        HeldTransaction<Void> claims = null;
        try (VisitorClient.Socket socket = visitor.connect(visitor.seq())) {
            socket.message("Is the blue one in stock?");
            conversation = Widgets.conversationOf(server, socket.next("ack", WAIT).getLong("messageId"));
            claims = HeldTransaction.start(server.throughline().database(), tx -> {
                tx.single("SELECT pg_advisory_xact_lock($1)::text AS locked", 0x746c2d636c61696dL);
                return null;
            });
            long reply = admin.post("/api/v1/conversations/" + conversation + "/messages",
                    new JsonObject().put("body", "Yes, two left.")).expect(201).json().getLong("id");
            replyId = reply;
            socket.next(f -> "message".equals(f.getString("type"))
                    && f.getJsonObject("message").getLong("id") == reply, WAIT);
            socket.send(new JsonObject().put("type", "seen").put("messageId", reply));
            // The socket's own answer comes once the report is made (the event's frame carries a seq).
            socket.next(f -> "seen".equals(f.getString("type")) && !f.containsKey("seq"), WAIT);
            assertThat(Widgets.deliveryStatus(admin, conversation, reply)).isEqualTo("pending");
        } finally {
            if (claims != null) {
                // Gone before the send is recorded: the server has let its socket go.
                await().atMost(WAIT).until(() -> !server.throughline().visitorActivity()
                        .visitor(workspace(), visitor.visitorId()).map(VisitorActivity.Status::online).orElse(true));
                claims.commit();
            }
        }
        long seenConversation = conversation;
        long seenReply = replyId;
        await().atMost(WAIT).until(() -> "delivered".equals(Widgets.deliveryStatus(admin, seenConversation,
                seenReply)));
    }

    /**
     * A long poll whose client leaves while it starts (its reads waiting on the database) ends with it: it kept the
     * visitor online, and held one of its poll slots, until its wait was over (a minute here).
     */
    @Test
    void aLongPollLeftWhileItStartsLetsTheVisitorGoOffline() throws IOException {
        VisitorClient visitor = visitor();
        Database database = server.throughline().database();
        try (StreamClient agent = StreamClient.connect(admin, null)) {
            long seq;
            try (VisitorClient.Socket socket = visitor.connect(visitor.seq())) {
                socket.message("One question, then I leave");
                socket.next("ack", WAIT);
                // The log's end, read while the socket keeps the visitor online: a poll from there waits its minute.
                seq = visitor.get("/widget/v1/messages?since=" + visitor.seq() + "&wait=0").expect(200).json()
                        .getLong("seq");
            }
            agent.next(f -> presenceOf(f, visitor) && !f.getJsonObject("data").getBoolean("online"), WAIT);
            HeldTransaction<Void> identities = HeldTransaction.start(database, tx -> {
                tx.update("LOCK TABLE identities IN ACCESS EXCLUSIVE MODE");
                return null;
            });
            try (java.net.Socket poll = new java.net.Socket("127.0.0.1", server.port())) {
                poll.getOutputStream().write(("GET /widget/v1/messages?since=" + seq + "&wait=60"
                        + " HTTP/1.1\r\nHost: 127.0.0.1\r\nOrigin: " + Widgets.SHOP + "\r\nAuthorization: Bearer "
                        + visitor.token() + "\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
                poll.getOutputStream().flush();
                // The poll reads the visitor's thread: it waits for the table, and its client leaves.
                await().atMost(WAIT).until(() -> HeldTransaction.waits(database,
                        "SELECT ct.id AS contact_id, ct.blocked"));
            } finally {
                identities.commit();
            }
            agent.next(f -> presenceOf(f, visitor) && f.getJsonObject("data").getBoolean("online"), WAIT);
            agent.next(f -> presenceOf(f, visitor) && !f.getJsonObject("data").getBoolean("online"), WAIT);
        }
    }

    @Test
    void agentsSeeTheVisitorComeAndGoAndWhatTheyHaveSeen() {
        VisitorClient visitor = visitor();
        VisitorActivity activity = server.throughline().visitorActivity();
        long conversation;
        long replyId;
        try (StreamClient agent = StreamClient.connect(admin, null)) {
            try (VisitorClient.Socket socket = visitor.connect(visitor.seq())) {
                socket.message("hello, anyone there?");
                conversation = Widgets.conversationOf(server, socket.next("ack", WAIT).getLong("messageId"));
                await().atMost(WAIT).until(() -> activity.visitor(workspace(), visitor.visitorId())
                        .map(VisitorActivity.Status::online).orElse(false));

                JsonObject reply = admin.post("/api/v1/conversations/" + conversation + "/messages",
                        new JsonObject().put("body", "Hi! How can I help?")).expect(201).json();
                replyId = reply.getLong("id");
                assertThat(activity.seen(workspace(), replyId)).isFalse();
                socket.next(f -> "message".equals(f.getString("type"))
                        && f.getJsonObject("message").getLong("id") == replyId, WAIT);
                socket.send(new JsonObject().put("type", "seen").put("messageId", replyId));

                JsonObject seen = agent.next(f -> "visitor.seen".equals(f.getString("type")), WAIT)
                        .getJsonObject("data");
                assertThat(seen.getLong("messageId")).isEqualTo(replyId);
                assertThat(seen.getLong("conversationId")).isEqualTo(conversation);
                assertThat(seen.getString("visitorId")).isEqualTo(visitor.visitorId());
                await().atMost(WAIT).until(() -> "delivered".equals(Widgets.deliveryStatus(admin,
                        conversation, replyId)));
                assertThat(activity.seen(workspace(), replyId)).isTrue();
                // Reported again (the frame repeats a report it has no answer to), it is confirmed again: the
                // frame would otherwise keep repeating it, spending the visitor's signals.
                // Three in all: the first report's answer and its event's frame, and the second report's answer.
                socket.send(new JsonObject().put("type", "seen").put("messageId", replyId));
                for (int i = 0; i < 3; i++) {
                    socket.next(f -> "seen".equals(f.getString("type")) && f.getLong("messageId") == replyId, WAIT);
                }

                JsonObject panel = admin.get("/api/v1/conversations/" + conversation + "/visitors").expect(200)
                        .json();
                assertThat(panel.getBoolean("online")).isTrue();
                assertThat(panel.getLong("lastSeenMessageId")).isEqualTo(replyId);
                JsonObject entry = panel.getJsonArray("visitors").getJsonObject(0);
                assertThat(entry.getString("visitorId")).isEqualTo(visitor.visitorId());
                assertThat(entry.getJsonObject("page").getString("url")).isEqualTo(Widgets.SHOP + "/pricing");
            }
            JsonObject offline = agent.next(f -> presenceOf(f, visitor), WAIT).getJsonObject("data");
            assertThat(offline.getBoolean("online")).isFalse();
            assertThat(offline.getLong("conversationId")).isEqualTo(conversation);
            VisitorActivity.Status away = activity.visitor(workspace(), visitor.visitorId()).orElseThrow();
            assertThat(away.online()).isFalse();
            assertThat(away.lastSeenAt()).isBefore(Instant.now().plusSeconds(1));
            assertThat(away.hasSeen(replyId)).isTrue();
            assertThat(away.awayFor(Duration.ZERO, Instant.now())).isTrue();
            assertThat(away.awayFor(Duration.ofHours(1), Instant.now())).isFalse();
            long contact = server.throughline().database().sql().single("SELECT contact_id FROM conversations"
                    + " WHERE id = $1", conversation).getLong("contact_id");
            assertThat(activity.contact(workspace(), contact).orElseThrow().online()).isFalse();

            try (VisitorClient.Socket back = visitor.connect(null)) {
                JsonObject online = agent.next(f -> presenceOf(f, visitor), WAIT).getJsonObject("data");
                assertThat(online.getBoolean("online")).isTrue();
                assertThat(activity.contact(workspace(), contact).orElseThrow().online()).isTrue();
            }
        }
    }

    /**
     * A reload: the page's socket closes, and the new page's opens a moment later, within the grace time (here 2 s,
     * on a server of its own): agents see no offline-online flap. The moment is longer than presence writes take to
     * batch (50 ms), so only the grace holds the departure back.
     */
    @Test
    void aReloadWithinTheGraceTimeDoesNotFlapPresence() throws Exception {
        try (TestServer graceful = TestServer.start(Map.of("widget.presenceGrace", "2s"))) {
            ApiClient agentClient = graceful.admin();
            String key = Widgets.create(agentClient, Widgets.SHOP).getString("siteKey");
            VisitorClient visitor = new VisitorClient(graceful.url(), key, Widgets.SHOP).start();
            visitor.send(UUID.randomUUID().toString(), "about to reload").expect(201);
            try (StreamClient agent = StreamClient.connect(agentClient, null)) {
                VisitorClient.Socket socket = visitor.connect(visitor.seq());
                assertThat(agent.next(f -> presenceOf(f, visitor), WAIT).getJsonObject("data")
                        .getBoolean("online")).isTrue();
                socket.close();
                // The reload's own time: the old page gone, the new one not there yet.
                Thread.sleep(300);
                try (VisitorClient.Socket reloaded = visitor.connect(null)) {
                    reloaded.next("ready", WAIT);
                    assertThat(agent.drain(Duration.ofMillis(900))).noneMatch(f -> presenceOf(f, visitor));
                }
                // Gone for good, the visitor is offline once the grace has passed.
                assertThat(agent.next(f -> presenceOf(f, visitor), WAIT).getJsonObject("data")
                        .getBoolean("online")).isFalse();
            }
        }
    }

    @Test
    void aDepartureTheDatabaseFailedToTakeIsWrittenOnceItIsBack() throws Exception {
        VisitorClient visitor = visitor();
        visitor.send(UUID.randomUUID().toString(), "here for a moment").expect(201);
        VisitorActivity activity = server.throughline().visitorActivity();
        Database database = server.throughline().database();
        try (VisitorClient.Socket socket = visitor.connect(visitor.seq())) {
            socket.next("ready", WAIT);
            await().atMost(WAIT).until(() -> online(activity, visitor));
        }
        // The departure's write waits behind a lock on the visitor's row, and its connection is then cut (what a
        // database failover does to it); the lock goes away after.
        CountDownLatch release = new CountDownLatch(1);
        CountDownLatch locked = new CountDownLatch(1);
        CompletableFuture<Void> holder = CompletableFuture.runAsync(() -> database.tx(tx -> {
            tx.rows("SELECT id FROM widget_visitors WHERE public_id = $1 FOR UPDATE", visitor.visitorId());
            locked.countDown();
            try {
                release.await(30, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            return null;
        }), Thread::startVirtualThread);
        assertThat(locked.await(10, TimeUnit.SECONDS)).isTrue();
        await().atMost(WAIT).until(() -> database.sql().single("""
                SELECT count(pg_terminate_backend(pid)) AS n FROM pg_stat_activity
                WHERE datname = current_database() AND wait_event_type = 'Lock'
                  AND query LIKE '%FROM widget_visitors WHERE id = ANY%FOR UPDATE%'""").getLong("n") > 0);
        release.countDown();
        holder.get(10, TimeUnit.SECONDS);

        await().atMost(Duration.ofSeconds(20)).until(() -> !online(activity, visitor));
    }

    private static boolean online(VisitorActivity activity, VisitorClient visitor) {
        return activity.visitor(workspace(), visitor.visitorId()).map(VisitorActivity.Status::online).orElse(false);
    }

    @Test
    void typingShowsBothWaysWithoutTouchingTheEventLog() {
        VisitorClient visitor = visitor();
        try (StreamClient agent = StreamClient.connect(admin, null);
             VisitorClient.Socket socket = visitor.connect(visitor.seq())) {
            socket.message("let me describe the problem");
            long conversation = Widgets.conversationOf(server, socket.next("ack", WAIT).getLong("messageId"));
            socket.send(new JsonObject().put("type", "typing").put("typing", true));
            JsonObject typing = agent.next(f -> "visitor.typing".equals(f.getString("type")), WAIT);
            assertThat(typing.getLong("seq")).as("transient: no seq").isNull();
            assertThat(typing.getJsonObject("data").getLong("conversationId")).isEqualTo(conversation);
            assertThat(typing.getJsonObject("data").getBoolean("typing")).isTrue();

            admin.post("/api/v1/conversations/" + conversation + "/typing", new JsonObject().put("typing", true))
                    .expect(204);
            JsonObject agentTyping = socket.next("typing", WAIT);
            assertThat(agentTyping.getBoolean("typing")).isTrue();
            assertThat(agentTyping.getJsonObject("agent").getString("name")).isEqualTo("Admin");
            admin.post("/api/v1/conversations/" + conversation + "/typing", new JsonObject().put("typing", false))
                    .expect(204);
            assertThat(socket.next("typing", WAIT).getBoolean("typing")).isFalse();
            assertThat(typingEvents()).as("typing never reaches the event log").isZero();
            admin.post("/api/v1/conversations/999999/typing", new JsonObject().put("typing", true)).expect(404);
        }
    }

    @Test
    void visitorsAttachFilesWithinTheLimitsAndOnlyTheyCanFetchThem() throws Exception {
        VisitorClient visitor = visitor();
        JsonObject upload = visitor.upload(PNG, "photo.png", "image/png").expect(201).json();
        assertThat(upload.getBoolean("image")).isTrue();
        JsonObject ack = visitor.send(new JsonObject().put("clientId", UUID.randomUUID().toString())
                .put("body", "the box arrived crushed").put("attachmentIds", new JsonArray().add(upload.getLong("id"))))
                .expect(201).json();
        long conversation = Widgets.conversationOf(server, ack.getLong("messageId"));
        JsonObject agentView = admin.get("/api/v1/conversations/" + conversation + "/messages").expect(200).json()
                .getJsonArray("messages").getJsonObject(0);
        assertThat(agentView.getJsonArray("attachments").getJsonObject(0).getString("filename"))
                .isEqualTo("photo.png");

        JsonObject file = visitor.history().getJsonObject(0).getJsonArray("attachments").getJsonObject(0);
        assertThat(file.getBoolean("image")).isTrue();
        HttpResponse<byte[]> download = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
                URI.create(server.url() + file.getString("url"))).header("Authorization", "Bearer " + visitor.token())
                .build(), HttpResponse.BodyHandlers.ofByteArray());
        assertThat(download.statusCode()).isEqualTo(200);
        assertThat(download.headers().firstValue("Content-Type")).contains("image/png");
        assertThat(download.headers().firstValue("Cache-Control")).contains("no-store");
        assertThat(download.headers().firstValue("X-Content-Type-Options")).contains("nosniff");
        assertThat(download.body()).isEqualTo(PNG);
        visitor().get(file.getString("url")).expect(404);

        visitor.upload("<script>alert(1)</script>".getBytes(), "cat.png", "image/png").expect(415);
        visitor.upload(new byte[] {'P', 'K', 3, 4}, "archive.zip", "application/zip").expect(415);
        visitor.upload("a".repeat(8 * 1024).getBytes(), "big.txt", "text/plain").expect(413);
        visitor.upload(new byte[64], "zeros.txt", "text/plain").expect(415);
        // Text in the encoding a visitor's Notepad wrote it in is text all the same.
        visitor.upload("Замовлення 1042".getBytes(java.nio.charset.Charset.forName("windows-1251")), "order.txt",
                "text/plain").expect(201);
        // image/* takes the photo formats whose content is checked (a phone's AVIF here), never SVG.
        byte[] avif = {0, 0, 0, 0x1c, 'f', 't', 'y', 'p', 'a', 'v', 'i', 'f', 0, 0, 0, 0};
        visitor.upload(avif, "photo.avif", "image/avif").expect(201);
        visitor.upload(avif, "photo.heic", "image/heic").expect(415);
        visitor.upload("<svg xmlns='http://www.w3.org/2000/svg'/>".getBytes(), "logo.svg", "image/svg+xml")
                .expect(415);
        JsonObject someoneElses = visitor().upload(PNG, "theirs.png", "image/png").expect(201).json();
        visitor.send(new JsonObject().put("clientId", UUID.randomUUID().toString()).put("body", "x")
                .put("attachmentIds", new JsonArray().add(someoneElses.getLong("id")))).expect(400);
        // An id past a long's range names no upload, not the one its low 64 bits name.
        long mine = visitor.upload(PNG, "again.png", "image/png").expect(201).json().getLong("id");
        visitor.send(new JsonObject().put("clientId", UUID.randomUUID().toString()).put("body", "y")
                .put("attachmentIds", new JsonArray().add(BigInteger.TWO.pow(64).add(BigInteger.valueOf(mine)))))
                .expect(400);
        visitor.send(new JsonObject().put("clientId", UUID.randomUUID().toString()).put("body", "y")
                .put("attachmentIds", new JsonArray().add(mine))).expect(201);
    }

    /**
     * A token that only looks like a visitor's, or a body that is not a form (buffered whole in memory), is refused
     * before the body is read: the answer comes while half the declared body is still to be sent (within the upload
     * limit, so the size alone would not refuse it).
     */
    @Test
    void anUploadIsRefusedBeforeItsBodyUnlessItIsAVisitorsForm() throws IOException {
        String head = "POST /widget/v1/uploads HTTP/1.1\r\nHost: localhost\r\nContent-Length: 60000\r\n";
        // Closed after the answer: the unread body cannot be followed by another request.
        assertThat(RawHttp.answerBeforeTheBody(server.port(), head + "Authorization: Bearer made-up\r\n"
                + "Content-Type: multipart/form-data; boundary=xyz", new byte[30_000])).startsWith("HTTP/1.1 401")
                .containsIgnoringCase("connection: close");
        assertThat(RawHttp.answerBeforeTheBody(server.port(), head + "Authorization: Bearer " + visitor().token()
                + "\r\nContent-Type: application/json", new byte[30_000])).startsWith("HTTP/1.1 400");
    }

    /**
     * A file an agent removed (a photo of a card) is gone for the visitor as well: the upload it came from can no
     * longer be attached to a new message, which would bring it back into the thread.
     */
    @Test
    void aRemovedFileCannotBeAttachedAgainFromItsUpload() {
        VisitorClient visitor = visitor();
        byte[] card = java.util.Arrays.copyOf(PNG, PNG.length + 1);
        long upload = visitor.upload(card, "card.png", "image/png").expect(201).json().getLong("id");
        long message = visitor.send(new JsonObject().put("clientId", UUID.randomUUID().toString())
                .put("body", "my card").put("attachmentIds", new JsonArray().add(upload))).expect(201).json()
                .getLong("messageId");
        admin.post("/api/v1/messages/" + message + "/redact", null).expect(200);

        visitor.send(new JsonObject().put("clientId", UUID.randomUUID().toString()).put("body", "here it is again")
                .put("attachmentIds", new JsonArray().add(upload))).expect(400);
        assertThat(server.throughline().database().sql().single("SELECT count(*) AS n FROM attachments a"
                + " JOIN messages m ON m.id = a.message_id WHERE m.body = 'here it is again'").getLong("n")).isZero();
    }

    /** The rate limits bound how often a visitor uploads; a day's budget bounds the bytes (here 10 x 4 KB). */
    @Test
    void aVisitorsUploadsOfADayStopAtTenTimesTheLargestFile() {
        VisitorClient visitor = visitor();
        byte[] image = Arrays.copyOf(PNG, 3_500);
        for (int i = 0; i < 11; i++) {
            visitor.upload(image, "photo-" + i + ".png", "image/png").expect(201);
        }
        JsonObject refused = visitor.upload(image, "one-more.png", "image/png").expect(413).json();
        assertThat(refused.getString("detail")).contains("in a day");
        // Another visitor has a budget of its own.
        visitor().upload(image, "theirs.png", "image/png").expect(201);
    }

    @Test
    void aBlockedContactCanStoreNothing() {
        VisitorClient visitor = visitor();
        JsonObject ack = visitor.send(UUID.randomUUID().toString(), "first").expect(201).json();
        long conversation = Widgets.conversationOf(server, ack.getLong("messageId"));
        server.throughline().database().sql().update("UPDATE contacts SET blocked = true WHERE id ="
                + " (SELECT contact_id FROM conversations WHERE id = $1)", conversation);
        try (VisitorClient.Socket socket = visitor.connect(visitor.seq())) {
            socket.message("spam");
            assertThat(socket.next("nack", WAIT).getJsonObject("error").getInteger("status")).isEqualTo(403);
        }
        visitor.send(UUID.randomUUID().toString(), "more spam").expect(403);
        visitor.upload(PNG, "spam.png", "image/png").expect(403);
        assertThat(admin.get("/api/v1/conversations/" + conversation + "/messages").json().getJsonArray("messages"))
                .hasSize(1);
    }

    @Test
    void anAgentMergeReloadsTheVisitorsThreadButNeverRevealsTheOtherContacts() {
        JsonObject other = backOfficeCustomer("bo-1", "internal: refund approved for card 5555",
                "merge@example.test");
        VisitorClient visitor = visitor();
        try (VisitorClient.Socket socket = visitor.connect(visitor.seq())) {
            writeThenMergeInto(socket, "hi, it's me from the email", other.getLong("contactId"));
            JsonArray thread = visitor.history();
            assertThat(thread).hasSize(1);
            assertThat(thread.encode()).doesNotContain("5555");

            JsonObject reply = admin.post("/api/v1/conversations/" + other.getLong("conversationId") + "/messages",
                    new JsonObject().put("body", "Found you, your refund is on its way")).expect(201).json();
            assertThat(socket.next(f -> "message".equals(f.getString("type"))
                    && "out".equals(f.getJsonObject("message").getString("kind")), WAIT).getJsonObject("message")
                    .getLong("id")).isEqualTo(reply.getLong("id"));
        }
    }

    /** A merge while the visitor was away: resuming, the socket is told to reload, and the thread shows it all. */
    @Test
    void aVisitorAwayDuringAMergeReloadsItsThreadOnResuming() {
        JsonObject other = backOfficeCustomer("bo-away-1", "the order is packed", "away@example.test");
        VisitorClient visitor = visitor();
        long resumeFrom;
        long contact;
        try (VisitorClient.Socket socket = visitor.connect(visitor.seq())) {
            socket.message("hello before the merge");
            // The ack and the message's own frame come in either order (one from the store, one from the feed).
            Map<String, JsonObject> answers = socket.collect(WAIT, "ack", "message");
            JsonObject ack = answers.get("ack");
            resumeFrom = answers.get("message").getLong("seq");
            contact = server.throughline().database().sql().single("SELECT contact_id FROM conversations"
                    + " WHERE id = $1", Widgets.conversationOf(server, ack.getLong("messageId"))).getLong("contact_id");
        }
        admin.post("/api/v1/contacts/" + other.getLong("contactId") + "/merge", new JsonObject()
                .put("otherContactId", contact)).expect(200);

        try (VisitorClient.Socket socket = visitor.connect(resumeFrom)) {
            socket.next("reset", WAIT);
            JsonObject reply = admin.post("/api/v1/conversations/" + other.getLong("conversationId") + "/messages",
                    new JsonObject().put("body", "Merged: we have you now")).expect(201).json();
            assertThat(socket.next("message", WAIT).getJsonObject("message").getLong("id"))
                    .isEqualTo(reply.getLong("id"));
        }
    }

    /**
     * A client that says it has more than the log holds (the database was restored from an older backup) is set
     * back to where the log is, and gets new messages again.
     */
    @Test
    void aClientAheadOfTheLogIsSetBackAndGetsNewMessages() {
        VisitorClient visitor = visitor();
        JsonObject ack = visitor.send(UUID.randomUUID().toString(), "hello").expect(201).json();
        long conversation = Widgets.conversationOf(server, ack.getLong("messageId"));
        for (long by : new long[] {3, 1_000_000}) {
            long ahead = server.throughline().database().sql().single("SELECT max(seq) AS seq FROM events")
                    .getLong("seq") + by;
            try (VisitorClient.Socket socket = visitor.connect(ahead)) {
                assertThat(socket.next("reset", WAIT).getLong("seq")).as("%d ahead", by).isLessThan(ahead);
                JsonObject reply = admin.post("/api/v1/conversations/" + conversation + "/messages",
                        new JsonObject().put("body", "Welcome back")).expect(201).json();
                assertThat(socket.next("message", WAIT).getJsonObject("message").getLong("id"))
                        .isEqualTo(reply.getLong("id"));
            }
        }
    }

    @Test
    void anAgentTypingToTheOtherCustomerOfAMergedThreadIsNotShownToAnAnonymousVisitor() {
        JsonObject api = admin.post("/api/v1/inboxes", new JsonObject().put("kind", "api").put("name", "Back office"))
                .expect(201).json();
        ApiClient backOffice = new ApiClient(server.url()).withToken(api.getString("token"));
        JsonObject customer = new JsonObject().put("identities", new JsonArray()
                .add(new JsonObject().put("kind", "email").put("value", "typing@example.test")));
        JsonObject other = backOffice.post("/api/v1/inboxes/" + api.getLong("id") + "/inbound", new JsonObject()
                .put("externalId", "bo-typing-1").put("body", "first").put("contact", customer)).expect(201).json();
        VisitorClient visitor = visitor();
        try (VisitorClient.Socket socket = visitor.connect(visitor.seq())) {
            writeThenMergeInto(socket, "hello from the chat", other.getLong("contactId"));
            long merged = other.getLong("conversationId");
            // The visitor wrote last: the agent's reply is for it, and it sees the agent typing. Sent again as a
            // composer sends it while the agent types: a signal sent while the merge moves the chat's stream to the
            // merged thread (one re-read per merge event) is not kept, as no typing signal is.
            await().atMost(WAIT).ignoreExceptions().until(() -> {
                admin.post("/api/v1/conversations/" + merged + "/typing", new JsonObject().put("typing", true))
                        .expect(204);
                return socket.next(f -> "typing".equals(f.getString("type")) && f.getBoolean("typing"),
                        Duration.ofSeconds(1)) != null;
            });
            // Every signal sent so far is read off the socket: the stop is the last of them.
            admin.post("/api/v1/conversations/" + merged + "/typing", new JsonObject().put("typing", false))
                    .expect(204);
            socket.next(f -> "typing".equals(f.getString("type")) && !f.getBoolean("typing"), WAIT);
            // The other customer writes last, through the back office: the agent's reply is for them.
            backOffice.post("/api/v1/inboxes/" + api.getLong("id") + "/inbound", new JsonObject()
                    .put("externalId", "bo-typing-2").put("body", "any news?").put("contact", customer)).expect(201);
            admin.post("/api/v1/conversations/" + merged + "/typing", new JsonObject().put("typing", false))
                    .expect(204);
            // The visitor writes again (over HTTP, so nothing is read off the socket): the reply is for it again.
            visitor.send(UUID.randomUUID().toString(), "me again, from the chat").expect(201);
            admin.post("/api/v1/conversations/" + merged + "/typing", new JsonObject().put("typing", true))
                    .expect(204);
            // Typing signals reach a visitor in the order they were sent: the one for the other customer, had it
            // leaked, would be the next typing frame.
            assertThat(socket.next("typing", WAIT).getBoolean("typing")).isTrue();
        }
    }

    /** A customer known by email writes through a back-office API inbox (another channel than the chat). */
    private static JsonObject backOfficeCustomer(String externalId, String body, String email) {
        return Widgets.customerElsewhere(server, admin, externalId, body, new JsonObject().put("identities",
                new JsonArray().add(new JsonObject().put("kind", "email").put("value", email))));
    }

    /** The visitor writes, then an agent merges its contact into another: the socket is told to reload. */
    private static void writeThenMergeInto(VisitorClient.Socket socket, String text, long otherContactId) {
        socket.message(text);
        long conversation = Widgets.conversationOf(server, socket.next("ack", WAIT).getLong("messageId"));
        long contact = server.throughline().database().sql().single("SELECT contact_id FROM conversations"
                + " WHERE id = $1", conversation).getLong("contact_id");
        admin.post("/api/v1/contacts/" + otherContactId + "/merge", new JsonObject().put("otherContactId", contact))
                .expect(200);
        socket.next("reset", WAIT);
    }

    private static boolean presenceOf(JsonObject frame, VisitorClient visitor) {
        return "visitor.presence_changed".equals(frame.getString("type"))
                && visitor.visitorId().equals(frame.getJsonObject("data").getString("visitorId"));
    }

    private static long typingEvents() {
        return server.throughline().database().sql().single("SELECT count(*) AS n FROM events"
                + " WHERE type LIKE '%typing%'").getLong("n");
    }
}
