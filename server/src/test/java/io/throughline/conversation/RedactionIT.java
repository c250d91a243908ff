package io.throughline.conversation;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.throughline.connector.InboundEdit;
import io.throughline.connector.InboundSink;
import io.throughline.connector.InboxRef;
import io.throughline.connector.IngestReceipt;
import io.throughline.testing.ApiClient;
import io.throughline.testing.ApiInbox;
import io.throughline.testing.TestServer;
import io.throughline.testing.VisitorClient;
import io.throughline.testing.WebhookReceiver;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.UUID;
import org.apache.lucene.index.DirectoryReader;
import org.apache.lucene.index.Term;
import org.apache.lucene.search.IndexSearcher;
import org.apache.lucene.search.TermQuery;
import org.apache.lucene.store.Directory;
import org.apache.lucene.store.FSDirectory;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * {@code POST /api/v1/messages/{id}/redact}: a message's content leaves every place the server keeps it (the
 * thread, files, search, the event log a stream or chat replays), the visitor's chat shows it removed, a reply
 * waiting in the outbox is never sent, and a customer's later edit does not bring it back.
 */
class RedactionIT {

    private static final Duration WAIT = Duration.ofSeconds(15);
    private static final String SHOP = "http://shop.test:8443";

    private static TestServer server;
    private static ApiClient admin;
    private static WebhookReceiver webhook;

    @BeforeAll
    static void start() {
        // Committed often, so the index on disk shows a document's removal soon.
        server = TestServer.start(Map.of("search.commitInterval", "200ms"));
        admin = server.admin();
        webhook = new WebhookReceiver();
    }

    @AfterAll
    static void stop() {
        server.close();
        webhook.close();
    }

    @Test
    void aRedactedMessageLeavesTheThreadItsFilesTheSearchAndTheEventLog() {
        JsonObject widget = admin.post("/api/v1/inboxes", new JsonObject().put("kind", "widget").put("name", "Site")
                .put("config", new JsonObject().put("allowedOrigins", new JsonArray().add(SHOP)))).expect(201).json();
        VisitorClient visitor = new VisitorClient(server.url(), widget.getString("siteKey"), SHOP).start();
        long upload = visitor.upload("front of the card".getBytes(StandardCharsets.UTF_8), "card.txt", "text/plain")
                .expect(201).json().getLong("id");
        try (VisitorClient.Socket socket = visitor.connect(visitor.seq())) {
            socket.next("ready", WAIT);
            long id = visitor.send(new JsonObject().put("clientId", UUID.randomUUID().toString())
                    .put("body", "My card is 4111 1111 1111 1111, Zanzibarova").put("attachmentIds",
                            new JsonArray().add(upload))).expect(201).json().getLong("messageId");
            long conversation = server.throughline().database().sql().single(
                    "SELECT conversation_id FROM messages WHERE id = $1", id).getLong("conversation_id");
            JsonObject stored = thread(conversation, id);
            String file = stored.getJsonArray("attachments").getJsonObject(0).getString("url");
            long fileId = stored.getJsonArray("attachments").getJsonObject(0).getLong("id");
            admin.get(file).expect(200);
            await().atMost(WAIT).until(() -> found("Zanzibarova", id));
            await().atMost(WAIT).until(() -> indexed(id));

            JsonObject redacted = admin.post("/api/v1/messages/" + id + "/redact", null).expect(200).json();

            assertThat(redacted.getString("body")).isEmpty();
            assertThat(redacted.getString("html")).isNull();
            assertThat(redacted.getJsonArray("attachments")).isEmpty();
            assertThat(redacted.getJsonArray("edits")).isEmpty();
            assertThat(redacted.getString("redactedAt")).isNotNull();
            assertThat(redacted.getJsonObject("redactedBy").getString("name")).isEqualTo("Admin");
            assertThat(thread(conversation, id)).isEqualTo(redacted);
            admin.get(file).expect(404);
            visitor.get("/widget/v1/attachments/" + fileId).expect(404);
            // The visitor's open chat shows it removed at once, and so does its history.
            JsonObject pushed = socket.next(f -> "message.updated".equals(f.getString("type"))
                    && f.getJsonObject("message").getLong("id") == id
                    && f.getJsonObject("message").getString("redactedAt") != null, WAIT).getJsonObject("message");
            assertThat(pushed.getString("body")).isEmpty();
            assertThat(pushed.getJsonArray("attachments")).isEmpty();
            JsonObject inHistory = visitor.history().stream().map(JsonObject.class::cast)
                    .filter(m -> m.getLong("id") == id).findFirst().orElseThrow();
            assertThat(inHistory.getString("redactedAt")).isEqualTo(redacted.getString("redactedAt"));
            assertThat(inHistory.getString("body")).isEmpty();
            // Nothing a stream or a chat replays from the log still holds the words.
            assertThat(server.throughline().database().sql().single("SELECT count(*) AS n FROM events"
                    + " WHERE data::text LIKE '%Zanzibarova%' OR data::text LIKE '%card.txt%'").getLong("n"))
                    .isZero();
            JsonObject last = admin.get("/api/v1/conversations/" + conversation).expect(200).json()
                    .getJsonObject("lastMessage");
            assertThat(last.getBoolean("redacted")).isTrue();
            assertThat(last.getString("preview")).isEmpty();
            await().atMost(WAIT).until(() -> !found("Zanzibarova", id));
            // Search reads hits back from PostgreSQL (a removed message is left out there too): the index itself
            // must have dropped the document.
            await().atMost(WAIT).until(() -> !indexed(id));

            // Again: nothing changes, and the answer is the same.
            assertThat(admin.post("/api/v1/messages/" + id + "/redact", null).expect(200).json())
                    .isEqualTo(redacted);
        }
        admin.post("/api/v1/messages/999999999/redact", null).expect(404);
    }

    @Test
    void aReplyRemovedWhileItWaitsInTheOutboxIsNeverSent() {
        webhook.respondWith(429, "3600"); // the first reply waits an hour, the second waits behind it
        ApiInbox inbox = ApiInbox.create(admin, "Back office", webhook.url());
        long conversation = inbox.say("w-1", "c-w1", "Wanda", "What is my code?").getLong("conversationId");
        long waiting = reply(conversation, "Your one-time code is 771234");
        long inFlight = reply(conversation, "Or use the backup code 990011");
        await().atMost(WAIT).until(() -> waitsAfterItsFirstAttempt(waiting));
        // Another node is sending the second one right now: its claim holds a lease.
        server.throughline().database().sql().update("UPDATE deliveries SET lease_until = now() + interval '1 hour'"
                + " WHERE message_id = $1", inFlight);

        JsonObject stopped = admin.post("/api/v1/messages/" + waiting + "/redact", null).expect(200).json();
        assertThat(stopped.getJsonObject("delivery").getString("status")).isEqualTo("failed");
        assertThat(stopped.getJsonObject("delivery").getString("lastError")).isEqualTo("removed before it was sent");
        admin.post("/api/v1/messages/" + waiting + "/retry", null).expect(409);
        JsonObject claimed = admin.post("/api/v1/messages/" + inFlight + "/redact", null).expect(200).json();
        assertThat(claimed.getJsonObject("delivery").getString("status")).isEqualTo("pending");

        // The node holding the claim went away before it read the message: the next claim reads it removed.
        webhook.respondWith(200);
        int received = webhook.received().size();
        server.throughline().database().sql().update("UPDATE deliveries SET lease_until = now() - interval '1 second',"
                + " next_attempt_at = now() WHERE message_id = $1", inFlight);
        await().atMost(WAIT).until(() -> "failed".equals(status(inFlight)));
        assertThat(webhook.received()).hasSize(received);
        assertThat(server.throughline().database().sql().single("SELECT last_error FROM deliveries"
                + " WHERE message_id = $1", inFlight).getString("last_error")).isEqualTo("removed before it was sent");
    }

    @Test
    void aCustomersEditDoesNotBringBackWhatWasRemoved() {
        ApiInbox inbox = ApiInbox.create(admin, "Messenger", null);
        JsonObject said = inbox.say("e-1", "c-e1", "Edgar", "My password is hunter2");
        long id = said.getLong("messageId");
        admin.post("/api/v1/messages/" + id + "/redact", null).expect(200);
        // The customer's system sends it again (it never heard the answer): still the same message, not a conflict.
        assertThat(inbox.send("e-1", "Edgar", new JsonArray().add(ApiInbox.identity("external_id", "c-e1", true)),
                "My password is hunter2").expect(200).json().getString("outcome")).isEqualTo("duplicate");
        long workspace = server.throughline().database().sql().single("SELECT workspace_id FROM inboxes"
                + " WHERE id = $1", inbox.id()).getLong("workspace_id");

        InboundSink sink = server.throughline().ingest().sinkFor(new InboxRef(inbox.id(), workspace, "api",
                "Messenger"));
        // What a connector reads before fetching an edit's files again (a Telegram photo): nothing, once removed.
        assertThat(sink.metadata("e-1")).isEmpty();
        IngestReceipt edit = sink.edit(new InboundEdit("e-1", "My password is hunter2, sorry, hunter3", null, null,
                new JsonObject().put("display", new JsonObject().put("body", "hunter3"))));

        assertThat(edit.outcome()).isEqualTo(IngestReceipt.Outcome.DUPLICATE);
        JsonObject shown = thread(said.getLong("conversationId"), id);
        assertThat(shown.getString("body")).isEmpty();
        assertThat(shown.getJsonArray("edits")).isEmpty();
        assertThat(shown.encode()).doesNotContain("hunter");
    }

    /** Nothing of a removed note stays behind: not the hash of the request that sent it, nor a sender's metadata. */
    @Test
    void noHashOfTheRequestNorTheSendersMetadataIsKept() {
        ApiInbox inbox = ApiInbox.create(admin, "Terminal", null);
        JsonObject said = new ApiClient(server.url()).withToken(inbox.token()).post("/api/v1/inboxes/" + inbox.id()
                + "/inbound", new JsonObject().put("externalId", "t-1").put("body", "My PIN is 4821")
                .put("contact", new JsonObject().put("identities", new JsonArray()
                        .add(ApiInbox.identity("external_id", "c-t1", true))))
                .put("metadata", new JsonObject().put("pin", "4821"))).expect(201).json();
        long conversation = said.getLong("conversationId");
        JsonObject note = admin.post("/api/v1/conversations/" + conversation + "/messages",
                new JsonObject().put("body", "Reset PIN to 9907").put("note", true),
                Map.of("Idempotency-Key", "redact-note-1")).expect(201).json();

        admin.post("/api/v1/messages/" + note.getLong("id") + "/redact", null).expect(200);
        JsonObject customer = admin.post("/api/v1/messages/" + said.getLong("messageId") + "/redact", null)
                .expect(200).json();

        assertThat(customer.getJsonObject("metadata").encode()).doesNotContain("4821");
        assertThat(server.throughline().database().sql().single("SELECT request_hash FROM idempotency_keys"
                + " WHERE key = 'redact-note-1'").getString("request_hash")).isEqualTo("redacted");
        // The same request again (its answer was lost) learns what became of it: stored, and removed since.
        ApiClient.Response replay = admin.post("/api/v1/conversations/" + conversation + "/messages",
                new JsonObject().put("body", "Reset PIN to 9907").put("note", true),
                Map.of("Idempotency-Key", "redact-note-1")).expect(201);
        assertThat(replay.header("Idempotent-Replayed")).isEqualTo("true");
        JsonObject again = replay.json();
        assertThat(again.getLong("id")).isEqualTo(note.getLong("id"));
        assertThat(again.getString("redactedAt")).isNotNull();
        // The key reused for another conversation is no replay: that reply would be taken as sent and dropped.
        long elsewhere = inbox.say("t-2", "c-t2", "Other", "Another customer").getLong("conversationId");
        admin.post("/api/v1/conversations/" + elsewhere + "/messages", new JsonObject().put("body", "Hello"),
                Map.of("Idempotency-Key", "redact-note-1")).expect(409);
    }

    private static long reply(long conversation, String body) {
        return admin.post("/api/v1/conversations/" + conversation + "/messages", new JsonObject().put("body", body))
                .expect(201).json().getLong("id");
    }

    /** Its first attempt ended (not one still being made: the claim counts the attempt before it is made). */
    private static boolean waitsAfterItsFirstAttempt(long message) {
        return server.throughline().database().sql().single("SELECT attempts = 1 AND lease_until IS NULL AS waits"
                + " FROM deliveries WHERE message_id = $1", message).getBoolean("waits");
    }

    private static String status(long message) {
        return server.throughline().database().sql().single("SELECT status FROM deliveries WHERE message_id = $1",
                message).getString("status");
    }

    private static JsonObject thread(long conversation, long id) {
        return admin.get("/api/v1/conversations/" + conversation + "/messages").expect(200).json()
                .getJsonArray("messages").stream().map(JsonObject.class::cast).filter(m -> m.getLong("id") == id)
                .findFirst().orElseThrow();
    }

    /** Whether the search index's generation in service holds a document for the message (as committed). */
    private static boolean indexed(long id) throws IOException {
        Path root = server.dataDir().resolve("index");
        Path generation = root.resolve(Files.readString(root.resolve("CURRENT")).strip());
        try (Directory directory = FSDirectory.open(generation);
             DirectoryReader reader = DirectoryReader.open(directory)) {
            return new IndexSearcher(reader).count(new TermQuery(new Term("id", Long.toString(id)))) > 0;
        }
    }

    private static boolean found(String words, long id) {
        return admin.get("/api/v1/search?q=" + words).expect(200).json().getJsonArray("hits").stream()
                .map(JsonObject.class::cast).anyMatch(h -> h.getLong("messageId") == id);
    }
}
