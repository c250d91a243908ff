package io.throughline.delivery;

import io.throughline.store.Sql;
import io.vertx.core.json.JsonObject;
import java.time.OffsetDateTime;
import java.util.Optional;

/**
 * What must still hold when a scheduled delivery comes due (stored as JSON in {@code deliveries.condition}). The
 * dispatcher checks it right before sending; when it no longer holds, the delivery ends as {@code skipped}.
 */
public sealed interface DeliveryCondition {

    JsonObject toJson();

    /** Why the condition no longer holds, or empty when the delivery should go out. */
    Optional<String> broken(Sql sql, long workspaceId);

    static Optional<DeliveryCondition> from(JsonObject json) {
        if (json == null) {
            return Optional.empty();
        }
        if (Unseen.KIND.equals(json.getString("kind")) && json.getLong("messageId") != null) {
            return Optional.of(new Unseen(json.getLong("messageId")));
        }
        throw new IllegalArgumentException("unknown delivery condition " + json.encode());
    }

    /** The customer has not seen the message on the channel it first went to (the email fallback of a chat reply). */
    record Unseen(long messageId) implements DeliveryCondition {
        static final String KIND = "unseen";

        @Override
        public JsonObject toJson() {
            return new JsonObject().put("kind", KIND).put("messageId", messageId);
        }

        @Override
        public Optional<String> broken(Sql sql, long workspaceId) {
            return sql.one("SELECT channel, seen_at FROM messages WHERE workspace_id = $1 AND id = $2", workspaceId,
                    messageId).flatMap(row -> {
                        OffsetDateTime seen = row.getOffsetDateTime("seen_at");
                        return seen == null ? Optional.empty() : Optional.of("seen on " + row.getString("channel")
                                + " at " + seen.toInstant());
                    });
        }
    }
}
