package io.throughline.widget;

import io.throughline.connector.DeliveryReport;
import io.throughline.connector.InboxRef;
import io.throughline.failure.NotFound;
import io.throughline.ingest.IngestService;
import io.throughline.realtime.EventLog;
import io.throughline.realtime.EventType;
import io.throughline.store.Database;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Row;
import java.time.OffsetDateTime;
import java.util.List;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Read receipts: the frame says which message the visitor has seen in an open, visible chat. That is stored on the
 * visitor and announced as {@code visitor.seen}, and the widget replies up to it are reported delivered through
 * the ingest path's delivery reports, so agents see "seen" on each reply.
 */
final class VisitorReceipts {

    private static final Logger log = LoggerFactory.getLogger(VisitorReceipts.class);
    private static final int MAX_REPORTS = 50;

    private final Database database;
    private final EventLog events;
    private final IngestService ingest;

    VisitorReceipts(Database database, EventLog events, IngestService ingest) {
        this.database = database;
        this.events = events;
        this.ingest = ingest;
    }

    /** Records that the visitor has seen the thread up to {@code messageId}, a message it can see. */
    void seen(Viewer viewer, long messageId) {
        long before = viewer.seenUpTo();
        if (messageId <= before) {
            return;
        }
        Row message = database.sql().one("SELECT conversation_id, kind, channel, metadata FROM messages"
                + " WHERE workspace_id = $1 AND id = $2", viewer.workspaceId(), messageId)
                .orElseThrow(() -> new NotFound("no message " + messageId));
        if (!viewer.sees(message.getLong("conversation_id"), new JsonObject().put("kind", message.getString("kind"))
                .put("channel", message.getString("channel")).put("metadata", message.getJsonObject("metadata")))) {
            throw new NotFound("no message " + messageId);
        }
        boolean advanced = database.tx(tx -> {
            Optional<Row> updated = tx.one("""
                    UPDATE widget_visitors SET last_read_message_id = $3, last_read_at = now()
                    WHERE workspace_id = $1 AND id = $2
                      AND (last_read_message_id IS NULL OR last_read_message_id < $3)
                    RETURNING last_read_at""", viewer.workspaceId(), viewer.visitor().id(), messageId);
            if (updated.isEmpty()) {
                return false;
            }
            OffsetDateTime at = updated.get().getOffsetDateTime("last_read_at");
            // The widget replies it has now seen will not go out as email fallbacks (rule 4).
            tx.update("""
                    UPDATE messages SET seen_at = $5
                    WHERE workspace_id = $1 AND conversation_id = $2 AND id > $3 AND id <= $4 AND kind = 'out'
                      AND channel = 'widget' AND seen_at IS NULL
                      AND ($6 OR metadata -> 'to' ->> 'value' = $7)""", viewer.workspaceId(),
                    message.getLong("conversation_id"), before, messageId, at, viewer.wholeThread(),
                    viewer.publicId());
            events.append(tx, viewer.workspaceId(), EventType.VISITOR_SEEN, new JsonObject()
                    .put("visitorId", viewer.publicId())
                    .put("contactId", viewer.contactId())
                    .put("conversationId", message.getLong("conversation_id"))
                    .put("messageId", messageId)
                    .put("seenAt", at.toInstant().toString()));
            return true;
        });
        viewer.seen(messageId);
        if (advanced) {
            log.debug("widget visitor saw message visitor={} message={}", viewer.visitor().id(), messageId);
            reportDelivered(viewer, before, messageId);
        }
    }

    /**
     * Reports the widget replies to this visitor in {@code (after, upTo]} as delivered. A reply the visitor saw
     * before the outbox recorded it sent (the hub pushes it at its commit; a busy outbox sends it later) is
     * reported under the id its send will record, and the report is kept until then: it is never asked for again.
     */
    void reportDelivered(Viewer viewer, long after, long upTo) {
        Long conversation = viewer.conversationId();
        if (conversation == null) {
            return;
        }
        List<Row> seen = database.sql().list("""
                SELECT d.inbox_id, d.external_id, m.id AS message_id
                FROM messages m JOIN deliveries d ON d.message_id = m.id
                WHERE m.workspace_id = $1 AND m.conversation_id = $2 AND m.kind = 'out' AND m.id > $3 AND m.id <= $4
                  AND d.channel = 'widget' AND d.status IN ('pending', 'sent')
                  AND d.target ->> 'kind' = 'widget_visitor' AND d.target ->> 'value' = $5
                ORDER BY m.id DESC LIMIT $6""", r -> r, viewer.workspaceId(), conversation, after, upTo,
                viewer.publicId(), MAX_REPORTS);
        for (Row row : seen) {
            String externalId = row.getString("external_id") != null ? row.getString("external_id")
                    : WidgetInbox.externalId(row.getLong("message_id"));
            ingest.report(new InboxRef(row.getLong("inbox_id"), viewer.workspaceId(), WidgetConnector.KIND, ""),
                    new DeliveryReport(externalId, DeliveryReport.Outcome.DELIVERED, "seen by the visitor"));
        }
    }
}
