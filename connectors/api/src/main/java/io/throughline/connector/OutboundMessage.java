package io.throughline.connector;

import java.util.List;
import java.util.Objects;

/**
 * One reply to deliver through a channel.
 *
 * @param deliveryId stable across retries of this delivery: the idempotency key towards the channel
 * @param messageId the stored message
 * @param conversationId its conversation
 * @param to the customer identity to deliver to
 * @param authorName the agent's display name
 * @param text the plain text
 * @param html an HTML rendering for channels that carry it, or null
 * @param attachments files to send with it
 * @param thread what the channel needs to thread the reply
 */
public record OutboundMessage(
        long deliveryId,
        long messageId,
        long conversationId,
        Recipient to,
        String authorName,
        String text,
        String html,
        List<OutboundAttachment> attachments,
        ReplyThread thread) {

    public OutboundMessage {
        Objects.requireNonNull(to, "to");
        text = text == null ? "" : text;
        attachments = List.copyOf(attachments == null ? List.of() : attachments);
        thread = thread == null ? ReplyThread.NONE : thread;
    }
}
