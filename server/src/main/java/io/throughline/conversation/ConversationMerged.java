package io.throughline.conversation;

/**
 * A message was about to land in a conversation that a merge, committed meanwhile, folded into another. The
 * transaction must roll back and place the message again: it then follows the merge to the conversation that
 * absorbed this one.
 */
public final class ConversationMerged extends RuntimeException {

    private final long conversationId;

    public ConversationMerged(long conversationId) {
        super("conversation " + conversationId + " was merged into another while a message was placed in it");
        this.conversationId = conversationId;
    }

    public long conversationId() {
        return conversationId;
    }
}
