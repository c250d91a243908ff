package io.throughline.delivery;

import io.throughline.connector.ChannelConnector;
import io.throughline.connector.IdentityKind;
import io.throughline.inbox.ConnectorRegistry;
import io.throughline.inbox.Inbox;
import io.throughline.inbox.InboxRepository;
import io.throughline.realtime.EventLog;
import io.throughline.realtime.EventType;
import io.throughline.store.Sql;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Row;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Chat-to-email continuity (ARCHITECTURE.md rule 4): a reply on a live channel gets a second delivery through an
 * inbox that reaches the contact (email), scheduled for when the customer has been away from the chat for the
 * inbox's {@code offlineEmailAfter}, and sent only if they have not seen the reply by then. A newer fallback in
 * the same conversation replaces the pending one: its email carries every reply the customer missed.
 */
public final class ReplyFallbacks {

    /**
     * The reason of a fallback a newer one replaced: the newer email's transcript carries its reply, however far
     * back in the chat (see {@link OutboundAssembler}).
     */
    static final String INCLUDED_LATER = "included in a later email with the replies the customer missed";

    private static final Logger log = LoggerFactory.getLogger(ReplyFallbacks.class);

    private final InboxRepository inboxes;
    private final DeliveryRepository deliveries;
    private final ConnectorRegistry connectors;
    private final LiveChannels live;
    private final EventLog events;
    private final Runnable outboxWake;
    private final Clock clock;

    public ReplyFallbacks(InboxRepository inboxes, DeliveryRepository deliveries,
                          ConnectorRegistry connectors, LiveChannels live, EventLog events, Runnable outboxWake,
                          Clock clock) {
        this.inboxes = inboxes;
        this.deliveries = deliveries;
        this.connectors = connectors;
        this.live = live;
        this.events = events;
        this.outboxWake = outboxWake;
        this.clock = clock;
    }

    /** Called in a reply's transaction: schedules its fallback when it went to a live channel. */
    public Optional<Long> afterReply(Sql tx, long workspaceId, long conversationId, long contactId, long messageId,
                                     String channel) {
        if (channel == null || !live.live(channel)) {
            return Optional.empty();
        }
        return schedule(tx, workspaceId, conversationId, contactId, messageId,
                live.presence(workspaceId, contactId, channel).flatMap(LiveChannels.Presence::offlineSince)
                        .orElse(null));
    }

    /**
     * Schedules the fallback delivery of one reply: through the first enabled inbox whose connector is a fallback
     * and reaches one of the contact's identities, at {@code offlineSince + offlineEmailAfter} (now +
     * offlineEmailAfter when the customer is there or it is unknown), unless the reply is seen first.
     */
    public Optional<Long> schedule(Sql tx, long workspaceId, long conversationId, long contactId, long messageId,
                                   Instant offlineSince) {
        for (Inbox inbox : inboxes.list(tx, workspaceId)) {
            Optional<ChannelConnector> connector = connectors.find(inbox.kind());
            if (!inbox.enabled() || connector.isEmpty()) {
                continue;
            }
            Optional<Duration> after = connector.get().offlineFallbackAfter(inbox.config());
            Optional<IdentityKind> reaches = connector.get().reaches();
            if (after.isEmpty() || reaches.isEmpty()) {
                continue;
            }
            Optional<Row> identity = tx.one("""
                    SELECT i.value, c.name FROM identities i JOIN contacts c ON c.id = i.contact_id
                    WHERE i.workspace_id = $1 AND i.contact_id = $2 AND i.kind = $3
                    ORDER BY i.proven DESC, i.id DESC LIMIT 1""", workspaceId, contactId, reaches.get().wireName());
            if (identity.isEmpty()) {
                continue;
            }
            Instant now = Instant.now(clock);
            Instant base = offlineSince == null ? now : offlineSince;
            Instant sendAt = base.plus(after.get()).isBefore(now) ? now : base.plus(after.get());
            List<Long> replaced = deliveries.skipPendingConditional(tx, workspaceId, conversationId, INCLUDED_LATER);
            JsonObject target = new JsonObject().put("kind", reaches.get().wireName())
                    .put("value", identity.get().getString("value")).put("name", identity.get().getString("name"))
                    .put("fallback", true);
            long id = deliveries.insertScheduled(tx, workspaceId, messageId, inbox.id(), inbox.kind(),
                    target, sendAt, new DeliveryCondition.Unseen(messageId, after.get()).toJson());
            events.append(tx, workspaceId, EventType.DELIVERY_SCHEDULED, new JsonObject()
                    .put("conversationId", conversationId).put("messageId", messageId).put("deliveryId", id)
                    .put("channel", inbox.kind()).put("notBefore", sendAt.toString()).put("replaced", replaced));
            tx.afterCommit(outboxWake);
            log.info("fallback scheduled conversation={} message={} delivery={} inbox={} at={}", conversationId,
                    messageId, id, inbox.id(), sendAt);
            return Optional.of(id);
        }
        return Optional.empty();
    }
}
