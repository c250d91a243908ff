package io.throughline.conversation;

import io.throughline.agent.Caller;
import io.throughline.failure.NotFound;
import io.throughline.store.Database;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Row;
import java.util.List;

/**
 * How far each agent has read each conversation, for the inbox list's unread markers. Reading only moves forward:
 * a stale tab that reports an older message never makes read messages unread again.
 */
public final class ReadState {

    /** Unread counts stop here: the list shows "99+", and a huge backlog costs no more to count. */
    public static final int MAX_COUNTED = 100;

    private static final String STATE = """
            SELECT c.id, c.last_inbound_message_id, r.last_read_message_id, r.read_at,
                   (SELECT count(*) FROM (SELECT 1 FROM messages m
                                          WHERE m.workspace_id = c.workspace_id AND m.conversation_id = c.id
                                            AND m.kind = 'in' AND m.id > coalesce(r.last_read_message_id, 0)
                                          LIMIT %d) unread) AS unread
            FROM conversations c
            LEFT JOIN conversation_reads r ON r.conversation_id = c.id AND r.agent_id = $2
            WHERE c.workspace_id = $1 AND c.id = ANY($3)
            ORDER BY c.id""".formatted(MAX_COUNTED);

    private final Database database;

    public ReadState(Database database) {
        this.database = database;
    }

    /**
     * The caller's read position and unread count in each of these conversations (unknown ids are left out), with
     * the newest customer message the count includes ({@code lastInboundMessageId}): a tab that also hears of new
     * messages live counts only those after it, not the ones this answer counted already.
     */
    public JsonArray of(Caller caller, List<Long> conversationIds) {
        JsonArray out = new JsonArray();
        database.sql().rows(STATE, caller.workspaceId(), caller.agentId(), conversationIds.toArray(new Long[0]))
                .forEach(row -> out.add(toJson(row)));
        return out;
    }

    /**
     * Marks the conversation read up to a message (by default its latest). Returns the new state.
     */
    public JsonObject markRead(Caller caller, long conversationId, Long messageId) {
        long workspaceId = caller.workspaceId();
        database.tx(tx -> {
            Row conversation = tx.one("SELECT last_message_id FROM conversations WHERE workspace_id = $1 AND id = $2",
                    workspaceId, conversationId)
                    .orElseThrow(() -> new NotFound("no conversation " + conversationId + " in this workspace"));
            Long upTo = messageId;
            if (upTo == null) {
                upTo = conversation.getLong("last_message_id");
            } else if (tx.one("SELECT 1 FROM messages WHERE workspace_id = $1 AND id = $2 AND conversation_id = $3",
                    workspaceId, upTo, conversationId).isEmpty()) {
                throw new NotFound("no message " + upTo + " in conversation " + conversationId);
            }
            if (upTo != null) {
                tx.update("""
                        INSERT INTO conversation_reads (agent_id, conversation_id, workspace_id, last_read_message_id)
                        VALUES ($1, $2, $3, $4)
                        ON CONFLICT (agent_id, conversation_id) DO UPDATE
                            SET last_read_message_id = GREATEST(conversation_reads.last_read_message_id,
                                                                EXCLUDED.last_read_message_id),
                                read_at = now()""", caller.agentId(), conversationId, workspaceId, upTo);
            }
            return null;
        });
        return of(caller, List.of(conversationId)).getJsonObject(0);
    }

    private static JsonObject toJson(Row row) {
        long unread = row.getLong("unread");
        return new JsonObject()
                .put("conversationId", row.getLong("id"))
                .put("lastReadMessageId", row.getLong("last_read_message_id"))
                .put("lastInboundMessageId", row.getLong("last_inbound_message_id"))
                .put("readAt", row.getOffsetDateTime("read_at") == null ? null
                        : row.getOffsetDateTime("read_at").toInstant().toString())
                .put("unread", unread)
                .put("unreadCapped", unread >= MAX_COUNTED);
    }
}
