package io.throughline.conversation;

import java.util.List;

/**
 * An agent's message to post: a reply to the customer or a private note.
 *
 * @param body the text
 * @param channel the channel to reply through, or null for the routing rule's choice
 * @param note true for a private note, which is never delivered
 * @param attachmentIds files uploaded before, to attach
 */
public record AgentMessage(String body, String channel, boolean note, List<Long> attachmentIds) {

    public AgentMessage {
        attachmentIds = List.copyOf(attachmentIds == null ? List.of() : attachmentIds);
    }
}
