package io.throughline.conversation;

import io.throughline.store.Sql;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Row;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/** The read models of the inbox list and the conversation header: a conversation with its contact and preview. */
public final class ConversationQueries {

    private static final int PREVIEW_CHARS = 160;

    private static final String SELECT = "SELECT " + Conversation.columns("c") + """
            , ct.name AS contact_name, a.name AS assignee_name,
              m.id AS lm_id, m.kind AS lm_kind, m.channel AS lm_channel, m.subject AS lm_subject,
              left(m.body, %d) AS lm_preview, m.created_at AS lm_created_at, m.redacted_at IS NOT NULL AS lm_redacted,
              m.author_type AS lm_author_type, coalesce(m.author_agent_id, m.author_contact_id) AS lm_author_id,
              CASE m.author_type WHEN 'agent' THEN la.name WHEN 'contact' THEN lc.name ELSE 'Throughline' END
                AS lm_author_name
            FROM conversations c
            JOIN contacts ct ON ct.id = c.contact_id
            LEFT JOIN agents a ON a.id = c.assignee_id
            LEFT JOIN messages m ON m.id = c.last_message_id
            LEFT JOIN agents la ON la.id = m.author_agent_id
            LEFT JOIN contacts lc ON lc.id = m.author_contact_id
            """.formatted(PREVIEW_CHARS);

    /** One page of the inbox list, newest activity first. */
    public record Page(List<JsonObject> conversations, Cursor next) {
    }

    public Page list(Sql sql, long workspaceId, long callerId, ConversationFilter filter) {
        List<Object> params = new ArrayList<>();
        params.add(workspaceId);
        StringBuilder where = new StringBuilder(" WHERE c.workspace_id = $1 AND c.merged_into_id IS NULL");
        if (filter.status() != null) {
            params.add(filter.status().wireName());
            where.append(" AND c.status = $").append(params.size());
        }
        if (filter.assignee() != null) {
            switch (filter.assignee()) {
                case "none" -> where.append(" AND c.assignee_id IS NULL");
                case "me" -> {
                    params.add(callerId);
                    where.append(" AND c.assignee_id = $").append(params.size());
                }
                default -> {
                    params.add(Long.parseLong(filter.assignee()));
                    where.append(" AND c.assignee_id = $").append(params.size());
                }
            }
        }
        if (filter.channel() != null) {
            params.add(filter.channel());
            where.append(" AND $").append(params.size()).append(" = ANY(c.channels)");
        }
        if (filter.cursor() != null) {
            params.add(filter.cursor().at());
            params.add(filter.cursor().id());
            where.append(" AND (c.last_activity_at, c.id) < ($").append(params.size() - 1).append(", $")
                    .append(params.size()).append(")");
        }
        params.add(filter.limit() + 1);
        String query = SELECT + where + " ORDER BY c.last_activity_at DESC, c.id DESC LIMIT $" + params.size();
        List<Row> rows = new ArrayList<>();
        sql.rows(query, params.toArray()).forEach(rows::add);
        Cursor next = null;
        if (rows.size() > filter.limit()) {
            rows = rows.subList(0, filter.limit());
            Row last = rows.getLast();
            next = new Cursor(last.getOffsetDateTime("last_activity_at").toInstant(), last.getLong("id"));
        }
        return new Page(rows.stream().map(ConversationQueries::toJson).toList(), next);
    }

    public Optional<JsonObject> get(Sql sql, long workspaceId, long id) {
        return sql.one(SELECT + " WHERE c.workspace_id = $1 AND c.id = $2", workspaceId, id)
                .map(ConversationQueries::toJson);
    }

    private static JsonObject toJson(Row row) {
        Conversation conversation = Conversation.from(row);
        JsonObject json = conversation.toJson()
                .put("contact", new JsonObject().put("id", conversation.contactId())
                        .put("name", row.getString("contact_name")))
                .put("assignee", conversation.assigneeId() == null ? null : new JsonObject()
                        .put("id", conversation.assigneeId()).put("name", row.getString("assignee_name")))
                .put("mergedIntoId", conversation.mergedIntoId());
        Long lastId = row.getLong("lm_id");
        json.put("lastMessage", lastId == null ? null : new JsonObject()
                .put("id", lastId)
                .put("kind", row.getString("lm_kind"))
                .put("channel", row.getString("lm_channel"))
                .put("subject", row.getString("lm_subject"))
                .put("preview", row.getString("lm_preview"))
                .put("redacted", row.getBoolean("lm_redacted"))
                // Who wrote it, as on the message itself: the list says "You:" only before the agent's own replies.
                .put("author", new JsonObject().put("type", row.getString("lm_author_type"))
                        .put("id", row.getLong("lm_author_id")).put("name", row.getString("lm_author_name")))
                .put("createdAt", row.getOffsetDateTime("lm_created_at").toInstant().toString()));
        return json;
    }
}
