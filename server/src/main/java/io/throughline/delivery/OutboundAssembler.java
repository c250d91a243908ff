package io.throughline.delivery;

import io.throughline.attachment.FileStore;
import io.throughline.connector.DeliveryFailure;
import io.throughline.connector.DeliveryProgress;
import io.throughline.connector.IdentityKind;
import io.throughline.connector.OutboundAttachment;
import io.throughline.connector.OutboundMessage;
import io.throughline.connector.Recipient;
import io.throughline.connector.ReplyThread;
import io.throughline.connector.TranscriptLine;
import io.throughline.conversation.ReplyTokens;
import io.throughline.store.Sql;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Row;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Turns a claimed delivery into the {@link OutboundMessage} a connector sends, with everything it needs to thread. */
public final class OutboundAssembler {

    /**
     * A stack of reply and forward prefixes as mail clients write them (English, German, Nordic, Dutch, Polish,
     * Ukrainian, Russian, Portuguese and Spanish Outlook, French, Turkish, Chinese; a full-width colon too), each
     * possibly behind a tag a mail gateway put in front ("RE: [EXTERNAL] Re: Order 42").
     */
    private static final Pattern REPLY_PREFIX = Pattern.compile("\\s*(\\[[^\\]]{1,30}]\\s*)?"
            + "(re|fw|fwd|aw|wg|sv|vs|antw|odp|відп|отв|res|enc|rv|tr|ynt|回复|回覆|答复|转发|轉寄)"
            + "\\s*(\\[\\d+])?\\s*[:：]\\s*",
            Pattern.CASE_INSENSITIVE | Pattern.UNICODE_CASE);
    private static final int MAX_REFERENCES = 20;
    private static final int MAX_TRANSCRIPT = 30;
    private static final int MAX_CARRIED = 300;
    /** Why a reply whose content an agent removed is not sent (also set by the redaction on waiting deliveries). */
    public static final String REMOVED = "removed before it was sent";

    private final ReplyTokens replyTokens;
    private final FileStore files;
    private final DeliveryRepository deliveries = new DeliveryRepository();

    public OutboundAssembler(ReplyTokens replyTokens, FileStore files) {
        this.replyTokens = replyTokens;
        this.files = files;
    }

    /**
     * The message to send.
     *
     * @throws DeliveryFailure (permanent) when an agent removed the reply's content after it was claimed: an empty
     *     message must not go out in its place
     */
    public OutboundMessage assemble(Sql sql, Delivery claimed) throws DeliveryFailure {
        Row message = sql.single("""
                SELECT m.body, m.html, m.redacted_at IS NOT NULL AS redacted, a.name AS agent_name, m.conversation_id
                FROM messages m LEFT JOIN agents a ON a.id = m.author_agent_id
                WHERE m.workspace_id = $1 AND m.id = $2""", claimed.workspaceId(), claimed.messageId());
        if (message.getBoolean("redacted")) {
            throw DeliveryFailure.permanent(REMOVED);
        }
        // Where the reply is now: a merge that committed since the claim moved it (its thread's headers, a Telegram
        // group's chat, the transcript are that conversation's).
        Delivery delivery = claimed.inConversation(message.getLong("conversation_id"));
        JsonObject target = delivery.target();
        Recipient to = new Recipient(IdentityKind.fromWireName(target.getString("kind")).orElseThrow(),
                target.getString("value"), target.getString("name"));
        return new OutboundMessage(delivery.id(), delivery.messageId(), delivery.conversationId(), to,
                message.getString("agent_name"), message.getString("body"), message.getString("html"),
                attachments(sql, delivery), thread(sql, delivery), transcript(sql, delivery),
                progress(sql, delivery));
    }

    /**
     * For a fallback (a chat reply the customer missed, sent by email): the part of the chat they have not seen,
     * oldest first, up to this reply: the newest {@value #MAX_TRANSCRIPT} messages on the reply's channel after the
     * last reply they saw, and, however far back, every reply whose own fallback was replaced since the last
     * fallback email went out (this email said it would carry them; earlier ones did), up to {@value #MAX_CARRIED}
     * lines in all.
     */
    private List<TranscriptLine> transcript(Sql sql, Delivery delivery) {
        if (!(DeliveryCondition.from(delivery.condition()).orElse(null) instanceof DeliveryCondition.Unseen)) {
            return List.of();
        }
        List<TranscriptLine> lines = new ArrayList<>(sql.list("""
                WITH reply AS (
                    SELECT id, channel, created_at FROM messages WHERE workspace_id = $1 AND id = $2
                ), last_seen AS (
                    SELECT max(m.created_at) AS at FROM messages m, reply
                    WHERE m.workspace_id = $1 AND m.conversation_id = $3 AND m.kind = 'out'
                      AND m.seen_at IS NOT NULL AND m.channel = reply.channel
                ), unseen AS (
                    SELECT m.id, m.kind, m.body, m.created_at, m.author_agent_id
                    FROM messages m CROSS JOIN reply, last_seen
                    WHERE m.workspace_id = $1 AND m.conversation_id = $3 AND m.kind IN ('in', 'out')
                      AND m.redacted_at IS NULL AND m.channel = reply.channel
                      AND (m.created_at, m.id) < (reply.created_at, reply.id)
                      AND (last_seen.at IS NULL OR m.created_at > last_seen.at)
                ), newest AS (
                    SELECT * FROM unseen ORDER BY created_at DESC, id DESC LIMIT $4
                ), last_emailed AS (
                    SELECT max(d.sent_at) AS at FROM deliveries d JOIN messages m ON m.id = d.message_id
                    WHERE d.workspace_id = $1 AND m.conversation_id = $3 AND d.condition IS NOT NULL
                      AND d.status IN ('sent', 'delivered')
                ), carried AS (
                    SELECT u.* FROM unseen u, last_emailed
                    WHERE u.kind = 'out' AND EXISTS (SELECT 1 FROM deliveries d
                        WHERE d.workspace_id = $1 AND d.message_id = u.id AND d.condition IS NOT NULL
                          AND d.status = 'skipped' AND d.last_error = $5
                          AND (last_emailed.at IS NULL OR d.updated_at > last_emailed.at))
                )
                SELECT x.kind, x.body, x.created_at, a.name AS agent_name
                FROM (SELECT * FROM newest UNION SELECT * FROM carried) x
                LEFT JOIN agents a ON a.id = x.author_agent_id
                ORDER BY x.created_at DESC, x.id DESC LIMIT $6""",
                row -> new TranscriptLine(row.getString("agent_name"), "in".equals(row.getString("kind")),
                        row.getString("body"), row.getOffsetDateTime("created_at").toInstant()),
                delivery.workspaceId(), delivery.messageId(), delivery.conversationId(), MAX_TRANSCRIPT,
                ReplyFallbacks.INCLUDED_LATER, MAX_CARRIED));
        Collections.reverse(lines);
        return lines;
    }

    /** What this delivery's earlier attempts saved, and where this one saves, fenced by its attempt. */
    private DeliveryProgress progress(Sql sql, Delivery delivery) {
        return new DeliveryProgress() {
            @Override
            public JsonObject saved() {
                return delivery.progress().copy();
            }

            @Override
            public boolean save(JsonObject progress) {
                return deliveries.saveProgress(sql, delivery, progress);
            }
        };
    }

    private List<OutboundAttachment> attachments(Sql sql, Delivery delivery) {
        return sql.list("SELECT id, sha256, size, filename, content_type FROM attachments WHERE workspace_id = $1"
                + " AND message_id = $2 ORDER BY id", row -> new OutboundAttachment(row.getLong("id"),
                row.getString("filename"),
                row.getString("content_type"), row.getLong("size"), files.path(row.getString("sha256"))),
                delivery.workspaceId(), delivery.messageId());
    }

    /**
     * What the reply answers: the recipient's last message in this inbox written before the reply. Read again on
     * every attempt, so it is pinned to the reply and its recipient: the thread's newest message (another person's,
     * or the recipient's own in a group chat, written while a retry waited) would send the reply elsewhere.
     */
    private ReplyThread thread(Sql sql, Delivery delivery) {
        Optional<Row> lastInbound = sql.one("""
                SELECT external_id, metadata FROM messages
                WHERE workspace_id = $1 AND conversation_id = $2 AND inbox_id = $3 AND kind = 'in'
                  AND (metadata -> 'from' IS NULL
                       OR (metadata -> 'from' ->> 'kind' = $4 AND metadata -> 'from' ->> 'value' = $5))
                  AND (created_at, id) < (SELECT r.created_at, r.id FROM messages r
                                          WHERE r.workspace_id = $1 AND r.id = $6)
                ORDER BY created_at DESC, id DESC LIMIT 1""",
                delivery.workspaceId(), delivery.conversationId(), delivery.inboxId(),
                delivery.target().getString("kind"), delivery.target().getString("value"), delivery.messageId());
        List<String> references = new ArrayList<>(sql.list("""
                SELECT external_id FROM (
                    SELECT m.external_id, m.created_at FROM messages m
                    WHERE m.workspace_id = $1 AND m.conversation_id = $2 AND m.inbox_id = $3
                      AND m.external_id IS NOT NULL
                    UNION ALL
                    SELECT d.external_id, d.sent_at FROM deliveries d JOIN messages m ON m.id = d.message_id
                    WHERE d.workspace_id = $1 AND m.conversation_id = $2 AND d.inbox_id = $3
                      AND d.external_id IS NOT NULL AND d.id <> $4
                ) ids ORDER BY created_at DESC LIMIT $5""", r -> r.getString("external_id"),
                delivery.workspaceId(), delivery.conversationId(), delivery.inboxId(), delivery.id(),
                MAX_REFERENCES));
        Collections.reverse(references);
        // The newest subject a person wrote: an out-of-office ("Automatic reply: ..."), a failure notice or a
        // stranger's mail in the thread would otherwise title every reply after it. Theirs only when none other.
        String subjects = """
                SELECT subject FROM messages
                WHERE workspace_id = $1 AND conversation_id = $2 AND subject IS NOT NULL AND subject <> ''
                  AND ($3 OR kind <> 'in' OR NOT flags && ARRAY['auto_reply', 'no_reply', 'unverified_sender'])
                ORDER BY created_at DESC, id DESC LIMIT 1""";
        String subject = sql.one(subjects, delivery.workspaceId(), delivery.conversationId(), false)
                .or(() -> sql.one(subjects, delivery.workspaceId(), delivery.conversationId(), true))
                .map(r -> baseSubject(r.getString("subject"))).orElse(null);
        return new ReplyThread(replyTokens.issue(delivery.workspaceId(), delivery.conversationId()), subject,
                lastInbound.map(r -> r.getString("external_id")).orElse(null),
                lastInbound.map(r -> r.getJsonObject("metadata")).orElse(null), references);
    }

    /**
     * The subject without any stack of reply and forward prefixes, in the languages our customers write. The
     * prefixes are taken off one at a time: a pattern repeating the whole prefix overflowed the stack on the
     * thousand "Re: " an auto-responder loop leaves, and the reply then never went out.
     */
    static String baseSubject(String subject) {
        Matcher prefix = REPLY_PREFIX.matcher(subject);
        int start = 0;
        while (start < subject.length()) {
            prefix.region(start, subject.length());
            if (!prefix.lookingAt() || prefix.end() == start) {
                break;
            }
            start = prefix.end();
        }
        return subject.substring(start).strip();
    }
}
