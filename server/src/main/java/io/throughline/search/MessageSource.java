package io.throughline.search;

import io.throughline.conversation.Status;
import io.throughline.realtime.EventFeed;
import io.throughline.realtime.XidFence;
import io.throughline.store.Sql;
import io.vertx.sqlclient.Row;
import java.text.Normalizer;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The SQL the indexer reads: messages with their conversation-level fields, as PostgreSQL (the source of truth)
 * has them now. Event payloads only say what changed; what to index is always read here.
 */
final class MessageSource {

    private static final Logger log = LoggerFactory.getLogger(MessageSource.class);

    private static final String SELECT = """
            SELECT m.id, m.workspace_id, m.conversation_id, c.contact_id, m.channel, m.kind, m.created_at,
                   m.subject, m.body, m.redacted_at IS NOT NULL AS redacted, c.status, c.assignee_id,
                   (SELECT string_agg(a.filename, ' ' ORDER BY a.id) FROM attachments a
                    WHERE a.message_id = m.id AND a.replaced_at IS NULL) AS filenames
            FROM messages m JOIN conversations c ON c.id = m.conversation_id
            """;

    /** The state of one conversation that the index keeps in doc values. */
    record ConversationState(long id, Status status, Long assigneeId) {
    }

    /** Messages of one workspace by id; ids that no longer exist are simply absent. */
    List<IndexedMessage> byIds(Sql sql, long workspaceId, Collection<Long> ids) {
        return sql.list(SELECT + " WHERE m.workspace_id = $1 AND m.id = ANY($2)", MessageSource::toMessage,
                workspaceId, ids.toArray(new Long[0]));
    }

    /** Every message now in these conversations (after a merge or an unmerge moved them). */
    List<IndexedMessage> inConversations(Sql sql, long workspaceId, Collection<Long> conversationIds) {
        return sql.list(SELECT + " WHERE m.workspace_id = $1 AND m.conversation_id = ANY($2)",
                MessageSource::toMessage, workspaceId, conversationIds.toArray(new Long[0]));
    }

    List<ConversationState> conversationStates(Sql sql, long workspaceId, Collection<Long> conversationIds) {
        return sql.list("SELECT id, status, assignee_id FROM conversations WHERE workspace_id = $1 AND id = ANY($2)",
                row -> new ConversationState(row.getLong("id"),
                        Status.fromWireName(row.getString("status")).orElseThrow(), row.getLong("assignee_id")),
                workspaceId, conversationIds.toArray(new Long[0]));
    }

    /**
     * Every message of every workspace, page by page in id order, for a rebuild. Unlike the rest of the server
     * this reads across workspaces: the index serves all of them, each document carries its workspace, and every
     * search filters on it inside the Lucene query.
     */
    void scan(Sql sql, int pageSize, Consumer<List<IndexedMessage>> pages, BooleanSupplier stop) {
        long after = 0;
        while (!stop.getAsBoolean()) {
            List<IndexedMessage> page = sql.list(SELECT + " WHERE m.id > $1 ORDER BY m.id LIMIT $2",
                    MessageSource::toMessage, after, pageSize);
            if (page.isEmpty()) {
                return;
            }
            pages.accept(page);
            after = page.getLast().id();
            if (page.size() < pageSize) {
                return;
            }
        }
    }

    /** How many messages a rebuild will index (for its progress and ETA). */
    long count(Sql sql) {
        return sql.single("SELECT count(*) AS n FROM messages").getLong("n");
    }

    /**
     * The newest event seq below which every transaction has finished: the current maximum, once every
     * transaction that was running when it was read has ended (one of them may hold a lower seq). A rebuild
     * that reads messages after this point and then replays the events after it misses nothing. A transaction left
     * open elsewhere in the cluster holds it up: it is named in the log after a second, and every minute after.
     */
    long settledSeq(Sql pool) throws InterruptedException {
        long maxSeq = pool.single(EventFeed.MAX_SEQ).getLong("max_seq");
        long fence = pool.single(XidFence.DRAW).getLong("fence");
        long started = System.nanoTime();
        long nextLog = started + TimeUnit.SECONDS.toNanos(1);
        long xmin;
        while (!XidFence.passed(xmin = pool.single(XidFence.OLDEST_RUNNING).getLong("xmin"), fence)) {
            if (System.nanoTime() >= nextLog) {
                log.warn("search rebuild waits for transaction xid={} to end before reading messages (waiting {}s;"
                        + " see pg_stat_activity.backend_xid)", xmin,
                        TimeUnit.NANOSECONDS.toSeconds(System.nanoTime() - started));
                nextLog = System.nanoTime() + TimeUnit.MINUTES.toNanos(1);
            }
            Thread.sleep(5);
        }
        return maxSeq;
    }

    private static IndexedMessage toMessage(Row row) {
        return new IndexedMessage(
                row.getLong("id"),
                row.getLong("workspace_id"),
                row.getLong("conversation_id"),
                row.getLong("contact_id"),
                row.getString("channel"),
                row.getString("kind"),
                instant(row.getOffsetDateTime("created_at")),
                Status.fromWireName(row.getString("status")).orElseThrow(),
                row.getLong("assignee_id"),
                text(row.getString("subject"), row.getString("body"), row.getString("filenames")),
                Boolean.TRUE.equals(row.getBoolean("redacted")));
    }

    private static String text(String subject, String body, String filenames) {
        List<String> parts = new ArrayList<>(3);
        if (subject != null && !subject.isBlank()) {
            parts.add(subject);
        }
        if (body != null && !body.isBlank()) {
            parts.add(body);
        }
        if (filenames != null && !filenames.isBlank()) {
            parts.add(filenames);
        }
        // Composed (NFC): text written with combining accents (macOS file names, some pasted text: "o" and U+0301)
        // is found by the word as typed, which the analyzers' folding and dictionaries know only composed.
        return Normalizer.normalize(String.join("\n", parts), Normalizer.Form.NFC);
    }

    private static Instant instant(OffsetDateTime value) {
        return value.toInstant();
    }
}
