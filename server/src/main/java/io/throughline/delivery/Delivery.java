package io.throughline.delivery;

import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Row;
import java.time.Instant;

/**
 * One claimed delivery: which message goes to whom through which inbox, how many attempts it has had (this one
 * included) and how many of the earlier ones ended in a wait the receiver asked for, and the condition that must
 * still hold to send it (null for an ordinary delivery), and what its earlier attempts saved of their progress
 * (see {@link io.throughline.connector.DeliveryProgress}; empty when none).
 */
public record Delivery(long id, long workspaceId, long messageId, long conversationId, long inboxId,
                       String channel, JsonObject target, int attempts, int askedWaits, JsonObject condition,
                       JsonObject progress, Instant inboxUpdatedAt) {

    /** This delivery, its message now in {@code conversation} (a merge moved it since the claim read it). */
    Delivery inConversation(long conversation) {
        return conversation == conversationId ? this : new Delivery(id, workspaceId, messageId, conversation, inboxId,
                channel, target, attempts, askedWaits, condition, progress, inboxUpdatedAt);
    }

    static Delivery from(Row row) {
        JsonObject progress = row.getJsonObject("progress");
        return new Delivery(row.getLong("id"), row.getLong("workspace_id"), row.getLong("message_id"),
                row.getLong("conversation_id"), row.getLong("inbox_id"), row.getString("channel"),
                row.getJsonObject("target"), row.getInteger("attempts"), row.getInteger("asked_waits"),
                row.getJsonObject("condition"), progress == null ? new JsonObject() : progress,
                row.getOffsetDateTime("inbox_updated_at") == null ? null
                        : row.getOffsetDateTime("inbox_updated_at").toInstant());
    }
}
