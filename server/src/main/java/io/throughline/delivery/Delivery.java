package io.throughline.delivery;

import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Row;

/** One claimed delivery: which message goes to whom through which inbox, and how many attempts it has had. */
public record Delivery(long id, long workspaceId, long messageId, long conversationId, long inboxId,
                       String channel, JsonObject target, int attempts) {

    static Delivery from(Row row) {
        return new Delivery(row.getLong("id"), row.getLong("workspace_id"), row.getLong("message_id"),
                row.getLong("conversation_id"), row.getLong("inbox_id"), row.getString("channel"),
                row.getJsonObject("target"), row.getInteger("attempts"));
    }
}
