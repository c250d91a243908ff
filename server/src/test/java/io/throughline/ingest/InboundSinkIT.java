package io.throughline.ingest;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.throughline.attachment.FileStore;
import io.throughline.connector.DeliveryReport;
import io.throughline.connector.Identity;
import io.throughline.connector.IdentityKind;
import io.throughline.connector.InboundAttachment;
import io.throughline.connector.InboundEdit;
import io.throughline.connector.InboundMessage;
import io.throughline.connector.InboundSink;
import io.throughline.connector.InboxRef;
import io.throughline.connector.IngestReceipt;
import io.throughline.connector.Sender;
import io.throughline.connector.StoredFile;
import io.throughline.store.Database;
import io.throughline.testing.ApiInbox;
import io.throughline.testing.HeldTransaction;
import io.throughline.testing.TestServer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Row;
import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** What a connector reads back through its sink: the metadata it noted on a message, with its edits'. */
class InboundSinkIT {

    private static TestServer server;
    private static InboundSink sink;

    @BeforeAll
    static void start() {
        server = TestServer.start();
        ApiInbox inbox = ApiInbox.create(server.admin(), "Shop", null);
        inbox.say("m-1", "c-1", "Ann", "A photo of the damage");
        long workspace = server.throughline().database().sql().single("SELECT workspace_id FROM inboxes"
                + " WHERE id = $1", inbox.id()).getLong("workspace_id");
        sink = server.throughline().ingest().sinkFor(new InboxRef(inbox.id(), workspace, "api", "Shop"));
    }

    @AfterAll
    static void stop() {
        server.close();
    }

    @Test
    void anEditsMetadataIsKeptEvenWhenNothingAnAgentSeesChanged() {
        JsonObject files = new JsonObject().put("fileUniqueIds", new JsonArray().add("AQADsame"));
        IngestReceipt receipt = sink.edit(new InboundEdit("m-1", "A photo of the damage", null, null, files));

        assertThat(receipt.outcome()).as("the text is the same").isEqualTo(IngestReceipt.Outcome.DUPLICATE);
        assertThat(sink.metadata("m-1")).hasValueSatisfying(m -> assertThat(m.getJsonArray("fileUniqueIds"))
                .containsExactly("AQADsame"));
        assertThat(sink.metadata("no-such-message")).isEmpty();
    }

    /** Two edits of one message can land on two nodes: the older one, committed last, must not win. */
    @Test
    void anOlderEditDeliveredLateLeavesTheNewerOneShown() {
        ApiInbox inbox = ApiInbox.create(server.admin(), "Edits", null);
        inbox.say("e-1", "c-2", "Bo", "First words");
        long workspace = server.throughline().database().sql().single("SELECT workspace_id FROM inboxes"
                + " WHERE id = $1", inbox.id()).getLong("workspace_id");
        InboundSink edits = server.throughline().ingest().sinkFor(new InboxRef(inbox.id(), workspace, "api",
                "Edits"));
        Instant first = Instant.parse("2026-12-05T10:00:00Z");
        assertThat(edits.edit(new InboundEdit("e-1", "Second words", null, first.plusSeconds(60),
                new JsonObject().put("version", 2))).outcome()).isEqualTo(IngestReceipt.Outcome.STORED);

        IngestReceipt late = edits.edit(new InboundEdit("e-1", "Words edited first", null, first,
                new JsonObject().put("version", 1)));
        assertThat(late.outcome()).isEqualTo(IngestReceipt.Outcome.DUPLICATE);
        assertThat(server.throughline().database().sql().single("SELECT body FROM messages WHERE inbox_id = $1"
                + " AND external_id = 'e-1'", inbox.id()).getString("body")).isEqualTo("Second words");
        assertThat(edits.metadata("e-1")).hasValueSatisfying(m -> assertThat(m.getInteger("version"))
                .isEqualTo(2));
    }

    /** Every way a connector names a message takes U+0000 (a mail header can carry one) as accept stores it. */
    @Test
    void idsWithNulBytesNameTheMessagesStoredWithoutThem() {
        assertThat(sink.stored(List.of("m-1\u0000", "m-none\u0000"))).containsExactly("m-1\u0000");
        assertThat(sink.metadata("m-1\u0000")).isPresent();
        assertThat(sink.edit(new InboundEdit("m-1\u0000", "A photo of the damage", null, null, null)).outcome())
                .isEqualTo(IngestReceipt.Outcome.DUPLICATE);
        sink.report(new DeliveryReport("reply\u0000@example.com", DeliveryReport.Outcome.FAILED,
                "550 no\u0000such user", "dsn\u0000-1@example.com"));
    }

    /**
     * One edit that replaces a file, delivered twice at once (a webhook resent to another node while a slow
     * download held the first): applied once, the second reading what the first wrote. Both had read the original
     * files and each replaced them: two entries in the edit history, and a copy of the new file replaced unseen.
     */
    @Test
    void oneEditDeliveredTwiceAtOnceIsAppliedOnce() throws Exception {
        Database database = server.throughline().database();
        ApiInbox inbox = ApiInbox.create(server.admin(), "Twice", null);
        long workspace = workspaceOf(inbox);
        InboxRef ref = new InboxRef(inbox.id(), workspace, "api", "Twice");
        FileStore store = new FileStore(server.throughline().config().attachmentsDir());
        StoredFile before = store.store(new ByteArrayInputStream("old photo".getBytes(StandardCharsets.UTF_8)),
                "photo.jpg", "image/jpeg", 1_000);
        StoredFile after = store.store(new ByteArrayInputStream("new photo".getBytes(StandardCharsets.UTF_8)),
                "photo.jpg", "image/jpeg", 1_000);
        long message = server.throughline().ingest().accept(ref, InboundMessage.builder("twice-1",
                Sender.of("Tom Twice", Identity.proven(IdentityKind.EXTERNAL_ID, "cust-twice"))).text("Look")
                .attachment(InboundAttachment.of(before)).build()).messageId();
        InboundEdit edit = new InboundEdit("twice-1", "Look again", null, Instant.parse("2026-01-01T00:00:00Z"),
                null, List.of(InboundAttachment.of(after)));

        // Both deliveries start while the message row is held, as the first one's slow download would hold it.
        HeldTransaction<Integer> held = HeldTransaction.start(database, tx -> tx.update(
                "UPDATE messages SET metadata = metadata WHERE id = $1", message));
        CompletableFuture<IngestReceipt> first = CompletableFuture.supplyAsync(
                () -> server.throughline().ingest().edit(ref, edit), Thread::startVirtualThread);
        CompletableFuture<IngestReceipt> second = CompletableFuture.supplyAsync(
                () -> server.throughline().ingest().edit(ref, edit), Thread::startVirtualThread);
        await().atMost(Duration.ofSeconds(10)).until(() -> HeldTransaction.waiting(database) >= 2);
        held.commit();

        assertThat(List.of(first.get(10, TimeUnit.SECONDS).outcome(), second.get(10, TimeUnit.SECONDS).outcome()))
                .containsExactlyInAnyOrder(IngestReceipt.Outcome.STORED, IngestReceipt.Outcome.DUPLICATE);
        assertThat(database.sql().single("SELECT jsonb_array_length(edits) AS n FROM messages WHERE id = $1",
                message).getInteger("n")).isEqualTo(1);
        assertThat(database.sql().single("SELECT count(*) FILTER (WHERE replaced_at IS NULL) AS current,"
                + " count(*) FILTER (WHERE replaced_at IS NOT NULL) AS replaced FROM attachments"
                + " WHERE message_id = $1", message).toJson())
                .isEqualTo(new JsonObject().put("current", 1L).put("replaced", 1L));
        assertThat(database.sql().single("SELECT count(*) AS n FROM events WHERE type = 'message.updated'"
                + " AND (data #>> '{message,id}')::bigint = $1", message).getLong("n")).isEqualTo(1);
    }

    /** A blocked customer's edits of what they wrote before change nothing: a block refuses what they send. */
    @Test
    void aBlockedContactsEditChangesNothing() {
        ApiInbox inbox = ApiInbox.create(server.admin(), "Blocked edits", null);
        JsonObject said = inbox.say("b-1", "c-blocked", "Bea", "A polite first message");
        server.admin().patch("/api/v1/contacts/" + said.getLong("contactId"), new JsonObject().put("blocked", true))
                .expect(200);
        InboxRef ref = new InboxRef(inbox.id(), workspaceOf(inbox), "api", "Blocked edits");
        IngestReceipt receipt = server.throughline().ingest().edit(ref, new InboundEdit("b-1",
                "Something abusive instead", null, null, null));

        assertThat(receipt.outcome()).isEqualTo(IngestReceipt.Outcome.BLOCKED);
        Row row = server.throughline().database().sql().single("SELECT body, edits FROM messages WHERE id = $1",
                said.getLong("messageId"));
        assertThat(row.getString("body")).isEqualTo("A polite first message");
        assertThat(server.throughline().database().sql().single("SELECT count(*) AS n FROM events"
                + " WHERE type = 'message.updated' AND (data #>> '{message,id}')::bigint = $1",
                said.getLong("messageId")).getLong("n")).isZero();
    }

    /**
     * The author of a message merged into another contact since: a block is the merged contact's, and it refuses
     * the edits of what the author wrote before the merge too.
     */
    @Test
    void anEditOfAMessageWhoseAuthorWasMergedIntoABlockedContactChangesNothing() {
        ApiInbox inbox = ApiInbox.create(server.admin(), "Merged edits", null);
        JsonObject before = inbox.say("mb-1", "c-merged-away", "Max", "Written before the merge");
        long target = inbox.say("mb-2", "c-merged-into", "Max Again", "Hello").getLong("contactId");
        server.admin().post("/api/v1/contacts/" + target + "/merge", new JsonObject()
                .put("otherContactId", before.getLong("contactId"))).expect(200);
        server.admin().patch("/api/v1/contacts/" + target, new JsonObject().put("blocked", true)).expect(200);
        InboxRef ref = new InboxRef(inbox.id(), workspaceOf(inbox), "api", "Merged edits");

        assertThat(server.throughline().ingest().edit(ref, new InboundEdit("mb-1", "Changed after the block", null,
                null, null)).outcome()).isEqualTo(IngestReceipt.Outcome.BLOCKED);
        assertThat(server.throughline().database().sql().single("SELECT body FROM messages WHERE id = $1",
                before.getLong("messageId")).getString("body")).isEqualTo("Written before the merge");
    }

    private static long workspaceOf(ApiInbox inbox) {
        return server.throughline().database().sql().single("SELECT workspace_id FROM inboxes WHERE id = $1",
                inbox.id()).getLong("workspace_id");
    }
}
