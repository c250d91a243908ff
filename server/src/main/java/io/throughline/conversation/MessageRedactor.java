package io.throughline.conversation;

import io.throughline.agent.Caller;
import io.throughline.attachment.AttachmentRepository;
import io.throughline.delivery.DeliveryRepository;
import io.throughline.delivery.OutboundAssembler;
import io.throughline.failure.NotFound;
import io.throughline.realtime.EventLog;
import io.throughline.realtime.EventType;
import io.throughline.store.Database;
import io.vertx.core.json.JsonObject;
import java.time.Instant;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Removes a message's content for good: a card number a customer pasted, a password an agent put in a note. What a
 * person wrote and attached leaves every place Throughline keeps it, in one transaction: the message (text, HTML,
 * subject, previous versions), its files (the store's sweep deletes the content nothing else refers to), the event
 * log (a stream or widget catching up replays the removed version), and the search index (the indexer deletes the
 * document on the event), and the hash of the agent's request that sent it. A reply still waiting in the outbox
 * is not sent. The message keeps its place in the thread, with who removed it and when; removing it again changes
 * nothing. Every other writer of an event carrying the message reads it share-locked
 * ({@link MessageRepository#viewRowForEvent}), so none commits the text after the log was cleaned.
 *
 * <p>What already left Throughline cannot be taken back: a sent email, a Telegram message. Nor can the copies
 * PostgreSQL and Lucene drop in their own time (dead row versions until vacuum, deleted documents until their
 * segment is merged).
 */
public final class MessageRedactor {

    private static final Logger log = LoggerFactory.getLogger(MessageRedactor.class);

    private final Database database;
    private final ConversationRepository conversations;
    private final MessageRepository messages;
    private final MessageView views;
    private final AttachmentRepository attachments;
    private final DeliveryRepository deliveries;
    private final EventLog events;

    public MessageRedactor(Database database, MessageRepository messages, ConversationRepository conversations,
                           MessageView views, AttachmentRepository attachments, DeliveryRepository deliveries,
                           EventLog events) {
        this.database = database;
        this.conversations = conversations;
        this.messages = messages;
        this.views = views;
        this.attachments = attachments;
        this.deliveries = deliveries;
        this.events = events;
    }

    /** Redacts a message of the caller's workspace; returns it as the agent API shows it. Any agent may. */
    public JsonObject redact(Caller caller, long messageId) {
        long workspaceId = caller.workspaceId();
        // Retried: the message is locked before its conversation, which a merge moving it takes the other way round.
        Outcome outcome = database.txWithRetry(3, tx -> {
            Message message = messages.lock(tx, workspaceId, messageId)
                    .orElseThrow(() -> new NotFound("no message " + messageId + " in this workspace"));
            if (message.redactedAt() != null) {
                return new Outcome(views.render(tx, workspaceId, messages.viewRow(tx, workspaceId, messageId)
                        .orElseThrow()), false, 0, 0, 0);
            }
            // The conversation's lock, as posting takes it before it touches the waiting email copies: taken after
            // the message's, the two would wait for each other over a copy's row.
            conversations.lock(tx, workspaceId, message.conversationId());
            messages.redact(tx, workspaceId, messageId, caller.agentId());
            int files = attachments.removeAll(tx, workspaceId, messageId);
            Optional<Instant> copyScheduled = deliveries.waitingCopyScheduledAt(tx, workspaceId, messageId);
            int stopped = deliveries.stopWaiting(tx, workspaceId, messageId, OutboundAssembler.REMOVED);
            if (copyScheduled.isPresent()) {
                // Its email copy had taken the earlier replies the customer missed into its transcript: one of
                // theirs waits again, or they would never be emailed. Under the conversation's lock (above), as a
                // reply scheduling its own copy takes it: the two do not both leave a copy waiting.
                Optional<Long> revived = deliveries.reviveIncluded(tx, workspaceId, message.conversationId(),
                        copyScheduled.get());
                if (revived.isPresent()) {
                    JsonObject carrier = views.render(tx, workspaceId, messages.viewRowForEvent(tx, workspaceId,
                            revived.get()).orElseThrow());
                    events.append(tx, workspaceId, EventType.DELIVERY_UPDATED,
                            MessageView.deliveryUpdated(message.conversationId(), revived.get(), carrier));
                }
            }
            JsonObject view = views.render(tx, workspaceId, messages.viewRow(tx, workspaceId, messageId)
                    .orElseThrow());
            // Every event carrying the message (created, updated, moved, a delivery's change) carries it removed.
            // The log has no index by message: this reads the workspace's events of the retention window, which
            // a rare, deliberate action can afford; an index would cost every event written.
            int scrubbed = tx.update("""
                    UPDATE events SET data = jsonb_set(data, '{message}', $3)
                    WHERE workspace_id = $1 AND data -> 'message' ->> 'id' = $2""",
                    workspaceId, String.valueOf(messageId), view);
            events.append(tx, workspaceId, EventType.MESSAGE_UPDATED, new JsonObject()
                    .put("conversationId", message.conversationId()).put("message", view).put("change", "redacted"));
            return new Outcome(view, true, files, stopped, scrubbed);
        });
        if (outcome.redacted()) {
            log.info("message redacted message={} conversation={} agent={} files={} deliveriesStopped={}"
                    + " eventsScrubbed={}", messageId, outcome.message().getLong("conversationId"), caller.agentId(),
                    outcome.files(), outcome.stopped(), outcome.scrubbed());
        }
        return outcome.message();
    }

    private record Outcome(JsonObject message, boolean redacted, int files, int stopped, int scrubbed) {
    }
}
