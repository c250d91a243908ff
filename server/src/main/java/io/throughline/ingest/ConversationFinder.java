package io.throughline.ingest;

import io.throughline.connector.ThreadHints;
import io.throughline.conversation.ConversationRepository;
import io.throughline.conversation.MessageRepository;
import io.throughline.conversation.ReplyTokens;
import io.throughline.store.Sql;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Finds the conversation a message continues by what its headers say, as a sequence of named strategies (after
 * Chatwoot's {@code Mailbox::ConversationFinder}): the reply token, then In-Reply-To, then References from the
 * newest. A conversation merged since is followed to the one that absorbed it. Sender-based threading is the
 * fallback, decided in {@link IngestService} from the sender's proven identities.
 */
public final class ConversationFinder {

    private final ReplyTokens tokens;
    private final MessageRepository messages;
    private final ConversationRepository conversations;

    public ConversationFinder(ReplyTokens tokens, MessageRepository messages, ConversationRepository conversations) {
        this.tokens = tokens;
        this.messages = messages;
        this.conversations = conversations;
    }

    /** @param channel the kind of the inbox the message came through: headers name ids of that channel only */
    public Optional<ThreadingDecision.ByHeaders> byHeaders(Sql tx, long workspaceId, String channel,
                                                           ThreadHints hints) {
        if (hints.replyToken() != null) {
            Optional<Long> byToken = tokens.verify(workspaceId, hints.replyToken()).flatMap(id -> live(tx,
                    workspaceId, id));
            if (byToken.isPresent()) {
                return Optional.of(new ThreadingDecision.ByReplyToken(byToken.get(), hints.replyToken()));
            }
        }
        if (hints.inReplyTo() != null) {
            Optional<Long> byReply = messages.conversationOfExternalId(tx, workspaceId, channel, hints.inReplyTo())
                    .flatMap(id -> live(tx, workspaceId, id));
            if (byReply.isPresent()) {
                return Optional.of(new ThreadingDecision.ByInReplyTo(byReply.get(), hints.inReplyTo()));
            }
        }
        List<String> references = hints.references();
        Map<String, Long> known = messages.conversationsOfExternalIds(tx, workspaceId, channel, references);
        for (int i = references.size() - 1; i >= 0; i--) {
            String reference = references.get(i);
            Optional<Long> byReference = Optional.ofNullable(known.get(reference))
                    .flatMap(id -> live(tx, workspaceId, id));
            if (byReference.isPresent()) {
                return Optional.of(new ThreadingDecision.ByReferences(byReference.get(), reference));
            }
        }
        return Optional.empty();
    }

    /** The conversation, or the one it was merged into (following a chain of merges). */
    private Optional<Long> live(Sql tx, long workspaceId, long conversationId) {
        Long current = conversationId;
        for (int hops = 0; current != null && hops < 32; hops++) {
            var found = conversations.find(tx, workspaceId, current);
            if (found.isEmpty()) {
                return Optional.empty();
            }
            if (found.get().mergedIntoId() == null) {
                return Optional.of(current);
            }
            current = found.get().mergedIntoId();
        }
        return Optional.empty();
    }
}
