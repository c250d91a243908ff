package io.throughline.conversation;

import io.throughline.connector.IdentityKind;
import io.throughline.connector.Recipient;
import io.throughline.failure.Invalid;
import io.throughline.store.Sql;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Row;
import java.util.Optional;

/**
 * Picks where a reply goes (ARCHITECTURE.md rule 4): by default the channel and inbox of the customer's last
 * message; when the agent picks a channel, the inbox the customer last used in it, or any inbox of that channel
 * that can reach one of the contact's identities.
 */
public final class ReplyRouter {

    /** Where one reply goes. */
    public record Route(long inboxId, String channel, Recipient to) {
        public JsonObject targetJson() {
            return new JsonObject().put("kind", to.kind().wireName()).put("value", to.value()).put("name", to.name());
        }
    }

    private final ChannelDirectory channels;

    public ReplyRouter(ChannelDirectory channels) {
        this.channels = channels;
    }

    public Route replyChannelFor(Sql sql, Conversation conversation, String requestedChannel) {
        long workspaceId = conversation.workspaceId();
        String contactName = sql.one("SELECT name FROM contacts WHERE workspace_id = $1 AND id = $2", workspaceId,
                conversation.contactId())
                .map(r -> r.getString("name")).orElse(null);
        Optional<Row> lastInbound = lastInbound(sql, conversation, requestedChannel);
        Long lastInbox = null;
        if (lastInbound.isPresent()) {
            Row row = lastInbound.get();
            long inboxId = row.getLong("inbox_id");
            String channel = row.getString("channel");
            // A sender its channel cannot write to (an email kept unparsed, or from an unusable address, is known
            // by an external id) is no recipient: the contact's own identity of that channel is.
            Optional<Recipient> from = sender(row.getJsonObject("metadata"), contactName)
                    .filter(r -> channels.reaches(channel).map(kind -> kind == r.kind()).orElse(true));
            if (from.isPresent() && channels.enabledInbox(sql, workspaceId, inboxId).isPresent()) {
                return new Route(inboxId, channel, from.get());
            }
            // A channel that reaches only who wrote to the inbox answers through that inbox. A Telegram chat is
            // its bot's: another bot cannot write there (Telegram refuses a bot the customer never started, or it
            // answers from a bot they did not write to); an API inbox's customer is known only to its own system.
            // The reply goes through the inbox that serves the bot now, else waits for the disabled inbox, as the
            // outbox holds a disabled inbox's replies until it is enabled again (an API inbox paused while the
            // shop's receiver is down).
            if (from.isPresent() && channels.reaches(channel).isEmpty()) {
                if (channels.inbox(sql, workspaceId, inboxId).isEmpty()) {
                    throw Invalid.field("channel", "the " + channel + " inbox the customer last wrote to was deleted,"
                            + " so a reply cannot reach them there: pick another channel");
                }
                return new Route(channels.servingInstead(sql, workspaceId, inboxId)
                        .map(ChannelDirectory.InboxInfo::id).orElse(inboxId), channel, from.get());
            }
            if (requestedChannel == null) {
                requestedChannel = channel;
            }
            lastInbox = inboxId;
        }
        if (requestedChannel == null) {
            throw Invalid.field("channel", "the customer has not written yet: pick the channel to reply through");
        }
        return reachable(sql, conversation, requestedChannel, contactName, lastInbox);
    }

    /**
     * A route through {@code channel} to the contact's own identity of it: through the inbox the customer last wrote
     * to there ({@code lastInbox}) while it is enabled, else the channel's oldest enabled inbox.
     */
    private Route reachable(Sql sql, Conversation conversation, String channel, String contactName,
                            Long lastInbox) {
        IdentityKind kind = channels.reaches(channel).orElseThrow(() -> Invalid.field("channel",
                "the customer has not written through " + channel + ", so a reply cannot reach them there"));
        // A chat or a Telegram account is the customer's only once it wrote from it (proven): an API system may
        // name someone else's, and a reply there would show in a stranger's chat. An address the customer typed
        // (claimed) is theirs to be written to, as an email fallback is.
        boolean provenOnly = kind == IdentityKind.WIDGET_VISITOR || kind == IdentityKind.TELEGRAM;
        String value = sql.one("""
                SELECT value FROM identities WHERE workspace_id = $1 AND contact_id = $2 AND kind = $3
                  AND (proven OR NOT $4)
                ORDER BY proven DESC, id DESC LIMIT 1""", conversation.workspaceId(), conversation.contactId(),
                kind.wireName(), provenOnly).map(r -> r.getString("value")).orElseThrow(() -> Invalid.field("channel",
                "the contact has no " + (provenOnly ? "proven " : "") + kind.wireName() + " identity to reach"
                        + " through " + channel));
        ChannelDirectory.InboxInfo inbox = Optional.ofNullable(lastInbox)
                .flatMap(id -> channels.enabledInbox(sql, conversation.workspaceId(), id))
                .or(() -> channels.enabledInboxes(sql, conversation.workspaceId(), channel).stream().findFirst())
                .orElseThrow(() -> Invalid.field("channel", "no enabled " + channel + " inbox"));
        return new Route(inbox.id(), channel, new Recipient(kind, value, contactName));
    }

    /**
     * Who wrote the conversation's last inbound message: by default, the one a reply goes to. An auto-responder's
     * message (an out-of-office, a ticket system's acknowledgement from its own address) and one from an address
     * nobody reads (a mailer daemon's failure notice that joined the thread) count only when there is no other:
     * replies go to the person.
     */
    public static Optional<Recipient> lastSender(Sql sql, long workspaceId, long conversationId) {
        return lastInbound(sql, workspaceId, conversationId, null)
                .flatMap(row -> sender(row.getJsonObject("metadata"), null));
    }

    private static Optional<Row> lastInbound(Sql sql, Conversation conversation, String channel) {
        return lastInbound(sql, conversation.workspaceId(), conversation.id(), channel);
    }

    private static Optional<Row> lastInbound(Sql sql, long workspaceId, long conversationId, String channel) {
        // Two reads in the thread's index order, each stopping at its first row: a sort on the flag first would
        // read and sort every inbound message of a years-long thread, on every reply and typing signal.
        String query = """
                SELECT inbox_id, channel, metadata FROM messages
                WHERE workspace_id = $1 AND conversation_id = $2 AND kind = 'in' AND inbox_id IS NOT NULL
                  AND ($3::text IS NULL OR channel = $3) AND ($4 OR NOT flags && ARRAY['auto_reply', 'no_reply'])
                ORDER BY created_at DESC, id DESC LIMIT 1""";
        return sql.one(query, workspaceId, conversationId, channel, false)
                .or(() -> sql.one(query, workspaceId, conversationId, channel, true));
    }

    /** The identity a message came from, which ingest records in its metadata as {@code from}. */
    private static Optional<Recipient> sender(JsonObject metadata, String contactName) {
        JsonObject from = metadata == null ? null : metadata.getJsonObject("from");
        if (from == null) {
            return Optional.empty();
        }
        return IdentityKind.fromWireName(from.getString("kind"))
                .map(kind -> new Recipient(kind, from.getString("value"), contactName));
    }
}
