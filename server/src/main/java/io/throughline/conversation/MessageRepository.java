package io.throughline.conversation;

import io.throughline.store.Sql;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Row;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/** SQL for messages. */
public final class MessageRepository {

    /** The request hash of an Idempotency-Key whose message was redacted (never a SHA-256 in hex). */
    public static final String REDACTED_REQUEST = "redacted";
    /** The flag of an auto-responder's message (InboundFlag.AUTO_REPLY, as stored). */
    public static final String AUTO_REPLY_FLAG = "auto_reply";

    /** A stored message located by its external id. */
    public record Located(long messageId, long conversationId, Long authorContactId) {
    }

    public Optional<Located> byExternalId(Sql sql, long inboxId, String externalId) {
        return locate(sql, inboxId, externalId, "");
    }

    /**
     * The same, the row locked for an edit: two deliveries of one edit (a webhook resent to another node) apply it
     * once, the second reading what the first wrote (its files among them).
     */
    public Optional<Located> lockByExternalId(Sql tx, long inboxId, String externalId) {
        return locate(tx, inboxId, externalId, " FOR UPDATE");
    }

    private static Optional<Located> locate(Sql sql, long inboxId, String externalId, String lock) {
        return sql.one("SELECT id, conversation_id, author_contact_id FROM messages WHERE inbox_id = $1"
                + " AND external_id = $2" + lock, inboxId, externalId)
                .map(r -> new Located(r.getLong("id"), r.getLong("conversation_id"), r.getLong("author_contact_id")));
    }

    /**
     * The copy another inbox of the same kind in the workspace received of one message: the same external id from
     * the same sender (one mail sent To one address and Cc another, each an inbox). Locked per workspace and id, so
     * two inboxes taking it at once store it once. The sender is part of the key: a sloppy script's fixed
     * Message-ID ({@code <1@localhost>}) from two senders names two mails.
     */
    public Optional<Located> copyInAnotherInbox(Sql tx, long workspaceId, long inboxId, String kind,
                                                String externalId, String fromKind, String fromValue) {
        tx.lockKey("message-copy:" + workspaceId + ":" + kind + ":" + externalId);
        return tx.one("""
                SELECT m.id, m.conversation_id, m.author_contact_id FROM messages m
                JOIN inboxes i ON i.id = m.inbox_id AND i.kind = $4
                WHERE m.workspace_id = $1 AND m.external_id = $2 AND m.inbox_id <> $3 AND m.kind = 'in'
                  AND m.metadata -> 'from' ->> 'kind' = $5 AND m.metadata -> 'from' ->> 'value' = $6
                ORDER BY m.id LIMIT 1""", workspaceId, externalId, inboxId, kind, fromKind, fromValue)
                .map(r -> new Located(r.getLong("id"), r.getLong("conversation_id"), r.getLong("author_contact_id")));
    }

    /**
     * The metadata of the message an inbox received under an external id, unless an agent removed it: an edit of a
     * removed message is refused anyway, and its files must not be fetched and stored again before that.
     */
    public Optional<JsonObject> metadataByExternalId(Sql sql, long inboxId, String externalId) {
        return sql.one("SELECT metadata FROM messages WHERE inbox_id = $1 AND external_id = $2"
                        + " AND redacted_at IS NULL", inboxId, externalId)
                .map(r -> r.getJsonObject("metadata"));
    }

    /** Which of these external ids an inbox holds, as a message it received or one it sent (a delivery). */
    public Set<String> storedExternalIds(Sql sql, long inboxId, Collection<String> externalIds) {
        Set<String> out = new HashSet<>();
        if (externalIds.isEmpty()) {
            return out;
        }
        String[] ids = externalIds.toArray(new String[0]);
        out.addAll(sql.list("""
                SELECT external_id FROM messages WHERE inbox_id = $1 AND external_id = ANY($2)
                UNION
                SELECT external_id FROM deliveries WHERE inbox_id = $1 AND external_id = ANY($2)""",
                r -> r.getString("external_id"), inboxId, ids));
        return out;
    }

    /**
     * The conversation holding a message or a delivery with this external id on this channel, in any inbox of the
     * workspace (an email's In-Reply-To names a Message-ID we sent or received). Only ids of the same channel
     * count: another channel's ids (a widget reply's {@code widget-msg-<id>}, an API system's order number) are
     * guessable, and a mail naming one must not join that customer's conversation.
     */
    public Optional<Long> conversationOfExternalId(Sql sql, long workspaceId, String channel, String externalId) {
        return Optional.ofNullable(conversationsOfExternalIds(sql, workspaceId, channel, List.of(externalId))
                .get(externalId));
    }

    /**
     * For each of these external ids that names a message of the channel (or a delivery's copy of one), the
     * conversation of its newest: one query for a mail's References, which may name a hundred ids.
     */
    public Map<String, Long> conversationsOfExternalIds(Sql sql, long workspaceId, String channel,
                                                        List<String> externalIds) {
        Map<String, Long> found = new HashMap<>();
        if (externalIds.isEmpty()) {
            return found;
        }
        sql.rows("""
                SELECT DISTINCT ON (external_id) external_id, conversation_id FROM (
                    SELECT m.external_id, m.conversation_id, m.created_at FROM messages m
                    WHERE m.workspace_id = $1 AND m.external_id = ANY ($2::text[]) AND m.channel = $3
                    UNION ALL
                    SELECT d.external_id, m.conversation_id, m.created_at
                    FROM deliveries d JOIN messages m ON m.id = d.message_id
                    WHERE d.workspace_id = $1 AND d.external_id = ANY ($2::text[]) AND d.channel = $3
                ) matched ORDER BY external_id, created_at DESC""", workspaceId, externalIds.toArray(String[]::new),
                channel).forEach(row -> found.put(row.getString("external_id"), row.getLong("conversation_id")));
        return found;
    }

    /**
     * Whether this sender wrote into the conversation as a stranger: a message of theirs there is flagged
     * {@code unverified_sender} (a colleague answering in CC, someone a thread was forwarded to).
     */
    public boolean wroteAsStranger(Sql sql, long workspaceId, long conversationId, String kind, String value) {
        return sql.one("""
                SELECT 1 FROM messages
                WHERE workspace_id = $1 AND conversation_id = $2 AND kind = 'in' AND 'unverified_sender' = ANY(flags)
                  AND metadata -> 'from' ->> 'kind' = $3 AND metadata -> 'from' ->> 'value' = $4
                LIMIT 1""", workspaceId, conversationId, kind, value).isPresent();
    }

    /** Inserts unless (inbox, external id) exists; empty means a concurrent ingest stored it first. */
    public Optional<Message> insert(Sql tx, NewMessage m) {
        return tx.one("""
                INSERT INTO messages (workspace_id, conversation_id, origin_conversation_id, inbox_id, channel, kind,
                                      author_type, author_contact_id, author_agent_id, body, html, subject,
                                      external_id, threading, metadata, flags, sent_at)
                VALUES ($1, $2, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16)
                ON CONFLICT (inbox_id, external_id) WHERE external_id IS NOT NULL DO NOTHING
                RETURNING""" + " " + Message.COLUMNS,
                m.workspaceId(), m.conversationId(), m.inboxId(), m.channel(), m.kind().wireName(), m.authorType(),
                m.authorContactId(), m.authorAgentId(), m.body(), m.html(), m.subject(), m.externalId(),
                m.threading(), m.metadata() == null ? new JsonObject() : m.metadata(),
                m.flags() == null ? List.of() : m.flags(), m.sentAt()).map(Message::from);
    }

    /** An inbound message, stored together with the conversation change it causes. */
    public record Stored(Message message, ConversationRepository.Changed conversation) {
    }

    /**
     * Stores a customer message and records it on its conversation in one statement: it becomes the last activity,
     * its channel joins the conversation's channels, and a snoozed or resolved conversation reopens. Empty when
     * (inbox, external id) was stored first by a concurrent ingest (nothing changed then). Throws
     * {@link ConversationMerged} when the conversation was merged into another after it was chosen (a merge that
     * committed while this transaction placed the message): the caller rolls back and places it again.
     */
    public Optional<Stored> insertInbound(Sql tx, NewMessage m) {
        // An auto-responder's message (an out-of-office, a ticket system's acknowledgement) is kept in the thread
        // but does not reopen a resolved conversation or wake a snoozed one: nobody needs to answer it.
        return tx.one("""
                WITH m AS (
                    INSERT INTO messages (workspace_id, conversation_id, origin_conversation_id, inbox_id, channel, kind,
                                          author_type, author_contact_id, author_agent_id, body, html, subject,
                                          external_id, threading, metadata, flags, sent_at)
                    VALUES ($1, $2, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16)
                    ON CONFLICT (inbox_id, external_id) WHERE external_id IS NOT NULL DO NOTHING
                    RETURNING id, created_at
                ), old AS (
                    SELECT c.id, c.status FROM conversations c, m
                    WHERE c.workspace_id = $1 AND c.id = $2 AND c.merged_into_id IS NULL
                    FOR UPDATE OF c
                ), changed AS (
                    UPDATE conversations c SET
                        last_message_id = m.id, last_activity_at = greatest(c.last_activity_at, m.created_at),
                        last_inbound_message_id = m.id, last_inbound_at = m.created_at,
                        channels = CASE WHEN $4::text IS NULL OR $4 = ANY(c.channels) THEN c.channels
                                        ELSE array_append(c.channels, $4) END,
                        status = CASE WHEN c.status IN ('snoozed', 'resolved') AND NOT $17 THEN 'open'
                                      ELSE c.status END,
                        snoozed_until = CASE WHEN c.status IN ('snoozed', 'resolved') AND NOT $17 THEN NULL
                                             ELSE c.snoozed_until END,
                        updated_at =""" + " " + ConversationRepository.NEXT_VERSION + """

                    FROM old, m WHERE c.id = old.id
                    RETURNING old.status AS previous_status,""" + " " + Conversation.columns("c") + """

                )
                SELECT m.id AS message_id, m.created_at AS message_created_at, changed.* FROM m LEFT JOIN changed ON true""",
                m.workspaceId(), m.conversationId(), m.inboxId(), m.channel(), m.kind().wireName(), m.authorType(),
                m.authorContactId(), m.authorAgentId(), m.body(), m.html(), m.subject(), m.externalId(),
                m.threading(), m.metadata() == null ? new JsonObject() : m.metadata(),
                m.flags() == null ? List.of() : m.flags(), m.sentAt(),
                m.flags() != null && m.flags().contains(AUTO_REPLY_FLAG)).map(row -> {
                    if (row.getValue("previous_status") == null) {
                        throw new ConversationMerged(m.conversationId());
                    }
                    Instant createdAt = row.getOffsetDateTime("message_created_at").toInstant();
                    Message message = new Message(row.getLong("message_id"), m.workspaceId(), m.conversationId(),
                            m.conversationId(), m.inboxId(), m.channel(), m.kind(), m.authorType(),
                            m.authorContactId(), m.authorAgentId(), m.body(), m.html(), m.subject(), m.externalId(),
                            m.threading(), m.metadata(), m.flags(), new JsonArray(), m.sentAt(), createdAt, null, null,
                            null);
                    return new Stored(message, ConversationRepository.changed(row));
                });
    }

    public Optional<Message> find(Sql sql, long workspaceId, long id) {
        return byId(sql, workspaceId, id, "");
    }

    /** The message, locked until the transaction ends. */
    public Optional<Message> lock(Sql tx, long workspaceId, long id) {
        return byId(tx, workspaceId, id, " FOR UPDATE");
    }

    /** The message, share-locked until the transaction ends (a redaction waits for it, and it for a redaction). */
    public Optional<Message> lockShared(Sql tx, long workspaceId, long id) {
        return byId(tx, workspaceId, id, " FOR SHARE");
    }

    private static Optional<Message> byId(Sql sql, long workspaceId, long id, String lock) {
        return sql.one("SELECT " + Message.COLUMNS + " FROM messages WHERE workspace_id = $1 AND id = $2" + lock,
                workspaceId, id).map(Message::from);
    }

    /**
     * Removes what a person wrote from a message: its text, HTML, subject and previous versions, the metadata that
     * repeats them (the trimmed rendering, the names of files a channel could not take, the authors and subjects of
     * mails it forwarded as attachments) or that a sender attached ({@code api}), and the hash of the agent's request
     * that sent it. What routes replies
     * and threads mail (sender, recipients, chat and message ids, headers' ids) stays, so the thread still works.
     */
    public void redact(Sql tx, long workspaceId, long id, long agentId) {
        tx.update("""
                UPDATE messages SET body = '', html = NULL, subject = NULL, edits = '[]',
                    metadata = (metadata - $4 - 'fileUniqueIds' - 'api') #- '{email,omittedAttachments}'
                        #- '{email,forwarded}',
                    redacted_at = now(), redacted_by = $3
                WHERE workspace_id = $1 AND id = $2""", workspaceId, id, agentId, MessageView.DISPLAY);
        // An agent's reply is also kept as the hash of its Idempotency-Key request (its text in it): a short secret
        // could be found again from the hash. The key stays spent: the request sent again gets the removed message.
        tx.update("UPDATE idempotency_keys SET request_hash = $3 WHERE workspace_id = $1 AND message_id = $2",
                workspaceId, id, REDACTED_REQUEST);
    }

    /** Rewrites a message's HTML and metadata (inline images pointed at their stored attachments). */
    public Message replaceHtml(Sql tx, long workspaceId, long id, String html, JsonObject metadata) {
        return Message.from(tx.single("UPDATE messages SET html = $3, metadata = $4 WHERE workspace_id = $1"
                + " AND id = $2 RETURNING " + Message.COLUMNS, workspaceId, id, html, metadata));
    }

    /**
     * Replaces the body of an inbound message, keeping the previous text in {@code edits}. The HTML is replaced
     * with the edit's (null when it has none), so it never shows the text from before the edit.
     */
    public Optional<Message> edit(Sql tx, long inboxId, String externalId, String body, String html,
                                  JsonObject metadata, Instant editedAt) {
        return edit(tx, inboxId, externalId, body, html, metadata, editedAt, null);
    }

    /**
     * Records a customer's edit: the previous text goes to {@code edits}, with the files the edit replaced when {@code
     * replacedFiles} is not null (then the edit counts even when the text stayed the same); a change of formatting or
     * of a link alone counts too. Empty when nothing changed (a repeated edit), or when the message holds a later edit
     * already (an older edit delivered late: a webhook resent to another node, a slow file download), or when an agent
     * redacted the message: the customer's edit must not bring back what was removed.
     */
    public Optional<Message> edit(Sql tx, long inboxId, String externalId, String body, String html,
                                  JsonObject metadata, Instant editedAt, JsonArray replacedFiles) {
        return tx.one("""
                UPDATE messages SET
                    edits = edits || jsonb_build_array(jsonb_build_object('body', body, 'replacedAt', $4::timestamptz)
                        || CASE WHEN html IS DISTINCT FROM $6 THEN jsonb_build_object('html', html) ELSE '{}'::jsonb END
                        || CASE WHEN $7::jsonb IS NULL THEN '{}'::jsonb
                                ELSE jsonb_build_object('attachments', $7::jsonb) END),
                    body = $3, html = $6, metadata = metadata || $5, edited_at = $4
                WHERE inbox_id = $1 AND external_id = $2
                  AND (body IS DISTINCT FROM $3 OR html IS DISTINCT FROM $6 OR $7::jsonb IS NOT NULL)
                  AND (edited_at IS NULL OR edited_at <= $4) AND redacted_at IS NULL
                RETURNING""" + " " + Message.COLUMNS, inboxId, externalId, body, editedAt, metadata, html,
                replacedFiles).map(Message::from);
    }

    /**
     * Merges an edit's channel metadata into a received message's, changing nothing else; not when the message
     * holds a later edit (whose metadata stays), nor when it was redacted (an edit's metadata may carry its text).
     */
    public void mergeMetadata(Sql tx, long inboxId, String externalId, JsonObject metadata, Instant editedAt) {
        if (!metadata.isEmpty()) {
            tx.update("UPDATE messages SET metadata = metadata || $3 WHERE inbox_id = $1 AND external_id = $2"
                    + " AND NOT metadata @> $3 AND (edited_at IS NULL OR edited_at <= $4) AND redacted_at IS NULL",
                    inboxId, externalId, metadata, editedAt);
        }
    }

    /** Rows of one page of a thread, newest first, joined with authors and the latest delivery. */
    public List<Row> page(Sql sql, long workspaceId, long conversationId, Long beforeId, int limit) {
        List<Row> rows = new ArrayList<>();
        String cursor = beforeId == null ? "" : """
                 AND (m.created_at, m.id) < (SELECT b.created_at, b.id FROM messages b
                                             WHERE b.workspace_id = $1 AND b.id = $4)""";
        Object[] params = beforeId == null
                ? new Object[] {workspaceId, conversationId, limit}
                : new Object[] {workspaceId, conversationId, limit, beforeId};
        // The text block above loses its leading space (incidental indentation): keep the two clauses apart.
        sql.rows(MessageView.SELECT + " WHERE m.workspace_id = $1 AND m.conversation_id = $2 " + cursor
                + " ORDER BY m.created_at DESC, m.id DESC LIMIT $3", params).forEach(rows::add);
        return rows;
    }

    /** Rows of one page of a thread after a message, oldest first (reading down from a search hit). */
    public List<Row> pageAfter(Sql sql, long workspaceId, long conversationId, long afterId, int limit) {
        List<Row> rows = new ArrayList<>();
        sql.rows(MessageView.SELECT + """
                 WHERE m.workspace_id = $1 AND m.conversation_id = $2
                  AND (m.created_at, m.id) > (SELECT a.created_at, a.id FROM messages a
                                              WHERE a.workspace_id = $1 AND a.id = $4)
                ORDER BY m.created_at, m.id LIMIT $3""", workspaceId, conversationId, limit, afterId)
                .forEach(rows::add);
        return rows;
    }

    /** One message's row for {@link MessageView}. */
    public Optional<Row> viewRow(Sql sql, long workspaceId, long id) {
        return view(sql, workspaceId, id, "");
    }

    /**
     * {@link #viewRow} for an event about the message, written in {@code tx}: the row is share-locked, so a
     * redaction under way is waited for and its result read. Without the lock the event would carry the text read
     * before the redaction and commit after it had cleaned the log.
     */
    public Optional<Row> viewRowForEvent(Sql tx, long workspaceId, long id) {
        return view(tx, workspaceId, id, " FOR SHARE OF m");
    }

    private static Optional<Row> view(Sql sql, long workspaceId, long id, String lock) {
        return sql.one(MessageView.SELECT + " WHERE m.workspace_id = $1 AND m.id = $2" + lock, workspaceId, id);
    }

    /** Moves every message of one conversation into another (a merge). */
    public int moveAll(Sql tx, long workspaceId, long fromConversationId, long toConversationId) {
        return tx.update("UPDATE messages SET conversation_id = $3 WHERE workspace_id = $1 AND conversation_id = $2",
                workspaceId, fromConversationId, toConversationId);
    }

    /**
     * Moves to {@code conversationId} (an unmerge's restored thread) what its customer wrote into {@code
     * fromConversationId} after the merge, and the replies to it: every message since {@code mergedAt} written by
     * (placed by, when another of the sender's identities found the contact), or addressed to, an identity that
     * {@code contactId} holds again and {@code fromContactId} does not. They
     * become that thread's own (their origin and, for what the customer wrote, their author), so a later merge and
     * undo treats them as such. What an identity the target holds as firmly wrote stays (one the merged thread
     * proved, which stays with the target; both claimed): a claimed copy the target got back does not keep the mail
     * of the customer who proved the address. So do the target's own customer, agents' notes and anything else.
     */
    public int moveBackSince(Sql tx, long workspaceId, long fromConversationId, long conversationId, long contactId,
                             long fromContactId, Instant mergedAt) {
        return tx.update("""
                WITH since AS (
                    SELECT id, CASE WHEN kind = 'in' THEN coalesce(metadata -> 'placedBy', metadata -> 'from')
                                    ELSE metadata -> 'to' END AS party
                    FROM messages
                    WHERE workspace_id = $1 AND conversation_id = $2 AND created_at > $5 AND kind IN ('in', 'out')
                )
                UPDATE messages m SET conversation_id = $3, origin_conversation_id = $3,
                    author_contact_id = CASE WHEN m.kind = 'in' THEN $4 ELSE m.author_contact_id END
                FROM since
                WHERE m.id = since.id
                  AND EXISTS (SELECT 1 FROM identities i
                              WHERE i.workspace_id = $1 AND i.contact_id = $4
                                AND i.kind = since.party ->> 'kind' AND i.value = since.party ->> 'value'
                                AND NOT EXISTS (SELECT 1 FROM identities t
                                                WHERE t.workspace_id = $1 AND t.contact_id = $6
                                                  AND t.kind = i.kind AND t.value = i.value
                                                  AND (t.proven OR NOT i.proven)))""",
                workspaceId, fromConversationId, conversationId, contactId, mergedAt, fromContactId);
    }

    /**
     * Moves back, out of {@code fromConversationId}, every message that first landed in {@code conversationId}
     * or in a conversation merged into it (an unmerge).
     */
    public int moveBack(Sql tx, long workspaceId, long fromConversationId, long conversationId) {
        return tx.update("""
                WITH RECURSIVE absorbed AS (
                    SELECT id FROM conversations WHERE workspace_id = $1 AND id = $3
                    UNION
                    SELECT c.id FROM conversations c JOIN absorbed a ON c.merged_into_id = a.id
                )
                UPDATE messages SET conversation_id = $3
                WHERE workspace_id = $1 AND conversation_id = $2
                  AND origin_conversation_id IN (SELECT id FROM absorbed)""",
                workspaceId, fromConversationId, conversationId);
    }
}
