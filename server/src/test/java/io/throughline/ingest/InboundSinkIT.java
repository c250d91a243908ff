package io.throughline.ingest;

import static org.assertj.core.api.Assertions.assertThat;

import io.throughline.connector.DeliveryReport;
import io.throughline.connector.InboundEdit;
import io.throughline.connector.InboundSink;
import io.throughline.connector.IngestReceipt;
import io.throughline.connector.InboxRef;
import io.throughline.testing.ApiInbox;
import io.throughline.testing.TestServer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.time.Instant;
import java.util.List;
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
}
