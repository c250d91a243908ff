package io.throughline.search;

import io.throughline.conversation.Status;
import java.time.Instant;

/**
 * A message as the index sees it, read from PostgreSQL together with the conversation-level fields that filters
 * use. The text is the subject, the body and the attachment names, as one string.
 *
 * @param contactId the customer of the conversation the message is in now (after any merge)
 * @param channel the channel, or null for a note
 * @param redacted true when the message was redacted: it must leave the index
 * @param assigneeId the conversation's assignee, or null
 */
record IndexedMessage(
        long id,
        long workspaceId,
        long conversationId,
        long contactId,
        String channel,
        String kind,
        Instant createdAt,
        Status status,
        Long assigneeId,
        String text,
        boolean redacted) {
}
