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
 * @param transcript for a reply that falls back from a live channel the customer left (a chat reply sent by email):
 *     the earlier messages they have not seen there, oldest first; empty otherwise
 * @param progress what earlier attempts of this delivery saved (see {@link DeliveryProgress}), and where to save
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
        ReplyThread thread,
        List<TranscriptLine> transcript,
        DeliveryProgress progress) {

    public OutboundMessage {
        Objects.requireNonNull(to, "to");
        text = text == null ? "" : text;
        attachments = List.copyOf(attachments == null ? List.of() : attachments);
        thread = thread == null ? ReplyThread.NONE : thread;
        transcript = List.copyOf(transcript == null ? List.of() : transcript);
        progress = progress == null ? DeliveryProgress.NONE : progress;
    }

    /** A reply whose attempts keep no progress. */
    public OutboundMessage(long deliveryId, long messageId, long conversationId, Recipient to, String authorName,
                           String text, String html, List<OutboundAttachment> attachments, ReplyThread thread,
                           List<TranscriptLine> transcript) {
        this(deliveryId, messageId, conversationId, to, authorName, text, html, attachments, thread, transcript,
                DeliveryProgress.NONE);
    }

    /** A reply with no transcript: the usual case. */
    public OutboundMessage(long deliveryId, long messageId, long conversationId, Recipient to, String authorName,
                           String text, String html, List<OutboundAttachment> attachments, ReplyThread thread) {
        this(deliveryId, messageId, conversationId, to, authorName, text, html, attachments, thread, List.of(),
                DeliveryProgress.NONE);
    }
}
