package io.throughline.ingest;

import io.throughline.connector.Identity;
import io.throughline.connector.InboxRef;
import io.throughline.conversation.Message;
import io.throughline.conversation.MessageKind;
import io.throughline.conversation.MessageRepository;
import io.throughline.conversation.MessageView;
import io.throughline.conversation.NewMessage;
import io.throughline.delivery.DeliveryRepository;
import io.throughline.realtime.EventLog;
import io.throughline.realtime.EventType;
import io.throughline.store.Sql;
import io.vertx.core.json.JsonObject;
import java.util.List;

/**
 * A channel's automatic answer to a message it received (a bot's greeting on {@code /start}): stored in the thread
 * as a system message, with its delivery row, in the ingest transaction. It goes out through the outbox like any
 * reply (retries, delivery status agents see), and a duplicate inbound message never answers twice. It does not
 * count as the team's answer: the conversation's status and last message stay as the customer left them.
 */
public final class AutoReplies {

    private final MessageRepository messages;
    private final MessageView views;
    private final DeliveryRepository deliveries;
    private final EventLog events;
    private final Runnable outboxWake;

    public AutoReplies(MessageRepository messages, MessageView views, DeliveryRepository deliveries, EventLog events,
                       Runnable outboxWake) {
        this.messages = messages;
        this.views = views;
        this.deliveries = deliveries;
        this.events = events;
        this.outboxWake = outboxWake;
    }

    /**
     * Stores and queues the answer to the sender's identity through the inbox the message came in by; 0 when the
     * conversation had one from this inbox within the hour, or has one still waiting to go. A customer (or a script)
     * pressing Start again and again would otherwise queue greeting after greeting, and an agent's reply, which
     * goes to that chat after them in order, would wait behind Telegram's per-chat rate limit.
     */
    long answer(Sql tx, InboxRef inbox, JsonObject conversation, Identity to, String senderName, String text) {
        long conversationId = conversation.getLong("id");
        long workspaceId = inbox.workspaceId();
        boolean answeredLately = tx.one("""
                SELECT 1 FROM messages m
                WHERE m.workspace_id = $1 AND m.conversation_id = $2 AND m.inbox_id = $3
                  AND 'auto_reply' = ANY (m.flags)
                  AND (m.created_at > now() - interval '1 hour'
                       OR EXISTS (SELECT 1 FROM deliveries d WHERE d.message_id = m.id AND d.status = 'pending'))
                LIMIT 1""", workspaceId, conversationId, inbox.id()).isPresent();
        if (answeredLately) {
            return 0;
        }
        JsonObject target = new JsonObject().put("kind", to.kind().wireName()).put("value", to.value())
                .put("name", senderName);
        Message message = messages.insert(tx, new NewMessage(workspaceId, conversationId, inbox.id(), inbox.kind(),
                MessageKind.OUT, "system", null, null, text, null, null, null, null,
                new JsonObject().put("to", target).put("autoReply", true), List.of("auto_reply"), null))
                .orElseThrow();
        deliveries.insert(tx, workspaceId, message.id(), inbox.id(), inbox.kind(), target);
        JsonObject json = views.render(tx, workspaceId, messages.viewRow(tx, workspaceId, message.id()).orElseThrow());
        events.append(tx, workspaceId, EventType.MESSAGE_CREATED, new JsonObject()
                .put("conversationId", conversationId).put("message", json).put("conversation", conversation));
        tx.afterCommit(outboxWake);
        return message.id();
    }
}
