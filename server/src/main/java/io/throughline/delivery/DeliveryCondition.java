package io.throughline.delivery;

import io.throughline.store.Sql;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Row;
import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.util.Optional;

/**
 * What must still hold when a scheduled delivery comes due (stored as JSON in {@code deliveries.condition}). The
 * dispatcher checks it right before sending: the delivery goes out, ends as {@code skipped}, or waits longer.
 */
public sealed interface DeliveryCondition {

    JsonObject toJson();

    /**
     * Whether to send now to {@code target} (the delivery's {kind, value}), given what the live channels say about
     * the customer at this moment.
     */
    Verdict check(Sql sql, long workspaceId, JsonObject target, LiveChannels live, Instant now);

    /** What the dispatcher does with a due conditional delivery. */
    sealed interface Verdict {
        /** The condition holds: send. */
        record Send() implements Verdict {
        }

        /** The condition no longer holds: the delivery ends as skipped, with this reason. */
        record Skip(String reason) implements Verdict {
        }

        /** Not yet: look again at {@code at} (no attempt is spent). */
        record Later(Instant at, String reason) implements Verdict {
        }
    }

    static Optional<DeliveryCondition> from(JsonObject json) {
        if (json == null) {
            return Optional.empty();
        }
        if (Unseen.KIND.equals(json.getString("kind")) && json.getLong("messageId") != null) {
            String awayFor = json.getString("awayFor");
            return Optional.of(new Unseen(json.getLong("messageId"), awayFor == null ? null : Duration.parse(awayFor)));
        }
        throw new IllegalArgumentException("unknown delivery condition " + json.encode());
    }

    /**
     * The email fallback of a chat reply: sent only if the customer has not seen the reply on the channel it first
     * went to, and has been away from that channel for {@code awayFor} (rule 4: "stays offline past the configured
     * time"). A customer back in the chat postpones it; a customer who sees the reply there cancels it. So does an
     * address that is no longer the customer's: it was chosen among the identities of the contact the reply's
     * conversation belonged to, and an undone merge may have given the reply back to the other customer since.
     *
     * @param awayFor how long the customer must have been away from the live channel; null: not checked
     */
    record Unseen(long messageId, Duration awayFor) implements DeliveryCondition {
        static final String KIND = "unseen";

        @Override
        public JsonObject toJson() {
            JsonObject json = new JsonObject().put("kind", KIND).put("messageId", messageId);
            return awayFor == null ? json : json.put("awayFor", awayFor.toString());
        }

        @Override
        public Verdict check(Sql sql, long workspaceId, JsonObject target, LiveChannels live, Instant now) {
            String kind = target == null ? null : target.getString("kind");
            String value = target == null ? null : target.getString("value");
            Optional<Row> found = sql.one("""
                    SELECT m.channel, m.seen_at, c.contact_id,
                           $3::text IS NULL OR EXISTS (SELECT 1 FROM identities i
                               WHERE i.workspace_id = $1 AND i.contact_id = c.contact_id AND i.kind = $3
                                 AND i.value = $4) AS still_theirs
                    FROM messages m
                    JOIN conversations c ON c.id = m.conversation_id
                    WHERE m.workspace_id = $1 AND m.id = $2""", workspaceId, messageId, kind, value);
            if (found.isEmpty()) {
                return new Verdict.Skip("the reply no longer exists");
            }
            Row row = found.get();
            if (!row.getBoolean("still_theirs")) {
                return new Verdict.Skip("the address is no longer this customer's: the contacts were separated since");
            }
            String channel = row.getString("channel");
            OffsetDateTime seen = row.getOffsetDateTime("seen_at");
            if (seen != null) {
                return new Verdict.Skip("seen on " + channel + " at " + seen.toInstant());
            }
            if (awayFor == null || !live.live(channel)) {
                return new Verdict.Send();
            }
            Optional<LiveChannels.Presence> presence = live.presence(workspaceId, row.getLong("contact_id"), channel);
            if (presence.isPresent() && presence.get().online()) {
                return new Verdict.Later(now.plus(awayFor), "the customer is on " + channel + " now");
            }
            Instant since = presence.flatMap(LiveChannels.Presence::offlineSince).orElse(null);
            if (since != null && since.plus(awayFor).isAfter(now)) {
                return new Verdict.Later(since.plus(awayFor), "the customer left " + channel + " at " + since);
            }
            return new Verdict.Send();
        }
    }
}
