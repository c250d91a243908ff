package io.throughline.conversation;

import io.throughline.store.Sql;
import io.vertx.sqlclient.Row;
import java.time.Instant;
import java.util.List;
import java.util.Optional;

/** SQL for conversations. Every statement is scoped by workspace. */
public final class ConversationRepository {

    /** The contact's conversation, and whether it was created now. */
    /**
     * The next {@code updated_at} of a conversation: the time of the write, and always later than the one before.
     * {@code now()} is when the transaction began, so a transaction that began first but committed last would
     * stamp the newer state with the older time, and views that keep the newest copy by this stamp would drop it.
     * Writes to one conversation are serialised by its row lock, so this orders them as they committed.
     */
    static final String NEXT_VERSION = "greatest(clock_timestamp(), updated_at + interval '1 microsecond')";

    public record Ensured(Conversation conversation, boolean created) {
    }

    /** A conversation after a change, with the status it had before. */
    public record Changed(Conversation conversation, Status previousStatus) {
        public boolean statusChanged() {
            return conversation.status() != previousStatus;
        }
    }

    /**
     * The contact's one conversation, created if it does not exist yet. Read first (the usual case costs one
     * query); on a race the unique index on contact_id decides, and the loser reads the winner's row.
     */
    public Ensured ensureFor(Sql tx, long workspaceId, long contactId) {
        Optional<Conversation> existing = forContact(tx, workspaceId, contactId);
        if (existing.isPresent()) {
            return new Ensured(existing.get(), false);
        }
        Optional<Row> inserted = tx.one("""
                INSERT INTO conversations (workspace_id, contact_id) VALUES ($1, $2)
                ON CONFLICT (contact_id) DO NOTHING
                RETURNING""" + " " + Conversation.COLUMNS, workspaceId, contactId);
        if (inserted.isPresent()) {
            return new Ensured(Conversation.from(inserted.get()), true);
        }
        return new Ensured(Conversation.from(tx.single("SELECT " + Conversation.COLUMNS
                + " FROM conversations WHERE workspace_id = $1 AND contact_id = $2", workspaceId, contactId)), false);
    }

    public Optional<Conversation> find(Sql sql, long workspaceId, long id) {
        return sql.one("SELECT " + Conversation.COLUMNS + " FROM conversations WHERE workspace_id = $1 AND id = $2",
                workspaceId, id).map(Conversation::from);
    }

    public Optional<Conversation> lock(Sql tx, long workspaceId, long id) {
        return tx.one("SELECT " + Conversation.COLUMNS + " FROM conversations WHERE workspace_id = $1 AND id = $2"
                + " FOR UPDATE", workspaceId, id).map(Conversation::from);
    }

    /**
     * Locks two conversations, lower id first (the order every merge, unmerge and message move takes them in), and
     * returns them in the order asked. A reply or a customer message being written into either commits first, so
     * what moves next includes it; one that comes later sees the move.
     */
    public List<Conversation> lockBoth(Sql tx, long workspaceId, long first, long second) {
        Conversation low = lock(tx, workspaceId, Math.min(first, second)).orElseThrow();
        Conversation high = lock(tx, workspaceId, Math.max(first, second)).orElseThrow();
        return low.id() == first ? List.of(low, high) : List.of(high, low);
    }

    public Optional<Conversation> forContact(Sql sql, long workspaceId, long contactId) {
        return sql.one("SELECT " + Conversation.COLUMNS + " FROM conversations WHERE workspace_id = $1"
                + " AND contact_id = $2", workspaceId, contactId).map(Conversation::from);
    }

    /** Records an agent message: replies become the last message, notes only activity. */
    public Conversation recordOutbound(Sql tx, long workspaceId, long id, long messageId, boolean note,
                                       Instant at) {
        return Conversation.from(tx.single("""
                UPDATE conversations SET
                    last_message_id = CASE WHEN $4 THEN last_message_id ELSE $3 END,
                    last_activity_at = greatest(last_activity_at, $5), updated_at =""" + " " + NEXT_VERSION + """

                WHERE workspace_id = $1 AND id = $2
                RETURNING""" + " " + Conversation.COLUMNS, workspaceId, id, messageId, note, at));
    }

    /** Writes the agent-editable fields. */
    public Changed update(Sql tx, long workspaceId, long id, Status status, Long assigneeId, Priority priority,
                          List<String> labels, Instant snoozedUntil) {
        Row row = tx.single("""
                UPDATE conversations c SET status = $3, assignee_id = $4, priority = $5, labels = $6,
                    snoozed_until = $7, updated_at =""" + " " + NEXT_VERSION + """

                FROM (SELECT id, status FROM conversations WHERE workspace_id = $1 AND id = $2 FOR UPDATE) old
                WHERE c.id = old.id
                RETURNING old.status AS previous_status,""" + " " + Conversation.columns("c"),
                workspaceId, id, status.wireName(), assigneeId, priority.wireName(), labels, snoozedUntil);
        return changed(row);
    }

    /**
     * Snoozed conversations whose time has come, locked for waking. Not one merged away: its snooze went to the
     * thread it was merged into, and nothing shows or changes it any more.
     */
    public List<Conversation> dueSnoozed(Sql tx, int limit) {
        return tx.list("SELECT " + Conversation.COLUMNS + " FROM conversations WHERE status = 'snoozed'"
                + " AND snoozed_until <= now() AND merged_into_id IS NULL ORDER BY snoozed_until LIMIT $1"
                + " FOR UPDATE SKIP LOCKED",
                Conversation::from, limit);
    }

    /**
     * A new version of the conversation, nothing else changed: what it shows changed (a customer edited a message),
     * so an {@code If-Match} naming the version read before no longer matches.
     */
    public void touch(Sql tx, long workspaceId, long id) {
        tx.update("UPDATE conversations SET updated_at = " + NEXT_VERSION + " WHERE workspace_id = $1 AND id = $2",
                workspaceId, id);
    }

    public void setMergedInto(Sql tx, long workspaceId, long id, Long targetId) {
        tx.update("UPDATE conversations SET merged_into_id = $3, updated_at = " + NEXT_VERSION
                + " WHERE workspace_id = $1 AND id = $2", workspaceId, id, targetId);
    }

    /** A channel's automatic answer (a bot's greeting), which AutoReplies stores without touching the conversation. */
    private static final String AUTOMATIC = "(m.author_type = 'system' AND 'auto_reply' = ANY (m.flags))";

    /**
     * Recomputes the derived fields (last message, activity, channels) from the messages it holds now. An automatic
     * answer is neither its last message nor its activity, as when it was stored, unless the conversation holds
     * nothing else (its /start moved out).
     */
    public Conversation refresh(Sql tx, long workspaceId, long id) {
        return Conversation.from(tx.single("""
                UPDATE conversations c SET
                    last_message_id = (SELECT m.id FROM messages m WHERE m.conversation_id = c.id AND m.kind <> 'note'
                                       ORDER BY """ + AUTOMATIC + """
                                       , m.created_at DESC, m.id DESC LIMIT 1),
                    last_inbound_message_id = (SELECT m.id FROM messages m WHERE m.conversation_id = c.id
                                               AND m.kind = 'in' ORDER BY m.created_at DESC, m.id DESC LIMIT 1),
                    last_inbound_at = (SELECT max(m.created_at) FROM messages m WHERE m.conversation_id = c.id
                                       AND m.kind = 'in'),
                    last_activity_at = coalesce((SELECT max(m.created_at) FROM messages m
                                                 WHERE m.conversation_id = c.id AND NOT """ + AUTOMATIC + """
                                                 ), (SELECT max(m.created_at) FROM messages m
                                                     WHERE m.conversation_id = c.id), c.created_at),
                    channels = coalesce((SELECT array_agg(DISTINCT m.channel) FROM messages m
                                         WHERE m.conversation_id = c.id AND m.kind = 'in'
                                         AND m.channel IS NOT NULL), '{}'),
                    updated_at =""" + " " + NEXT_VERSION + """

                WHERE c.workspace_id = $1 AND c.id = $2
                RETURNING""" + " " + Conversation.columns("c"), workspaceId, id));
    }

    static Changed changed(Row row) {
        return new Changed(Conversation.from(row),
                Status.fromWireName(row.getString("previous_status")).orElseThrow());
    }
}
