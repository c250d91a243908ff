package io.throughline.conversation;

import io.throughline.attachment.Attachment;
import io.throughline.attachment.AttachmentRepository;
import io.throughline.store.Sql;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Row;
import java.time.OffsetDateTime;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/** Builds the agent API's message JSON: the message, its author's name, attachments and delivery status. */
public final class MessageView {

    /** The data of a {@code delivery.updated} event: the message as rendered now, and its delivery. */
    public static JsonObject deliveryUpdated(long conversationId, long messageId, JsonObject message) {
        return new JsonObject().put("conversationId", conversationId).put("messageId", messageId)
                .put("delivery", message.getJsonObject("delivery")).put("message", message);
    }

    /**
     * The metadata key where ingest keeps the trimmed rendering (quoted history and signature removed); the API
     * shows it as the message's top-level {@code display}.
     */
    public static final String DISPLAY = "display";

    static final String SELECT = "SELECT " + prefixed() + """
            , ag.name AS agent_name, ct.name AS contact_name, rd.name AS redactor_name,
              d.id AS d_id, d.status AS d_status, d.channel AS d_channel, d.target AS d_target,
              d.attempts AS d_attempts, d.last_error AS d_last_error, d.next_attempt_at AS d_next_attempt_at,
              d.updated_at AS d_updated_at, d.sent_at AS d_sent_at
            FROM messages m
            LEFT JOIN agents ag ON ag.id = m.author_agent_id
            LEFT JOIN contacts ct ON ct.id = m.author_contact_id
            LEFT JOIN agents rd ON rd.id = m.redacted_by
            LEFT JOIN LATERAL (SELECT * FROM deliveries WHERE message_id = m.id
                               ORDER BY condition IS NOT NULL, id DESC LIMIT 1) d ON true
            """;

    private final AttachmentRepository attachments;

    public MessageView(AttachmentRepository attachments) {
        this.attachments = attachments;
    }

    /**
     * JSON for rows from {@link MessageRepository#page} or {@link MessageRepository#viewRow}, in row order. A reply
     * also lists all its deliveries, oldest first ({@code deliveries}): a chat reply can have an email fallback
     * beside it; {@code delivery} is the primary one (the newest unconditional).
     */
    public List<JsonObject> render(Sql sql, long workspaceId, List<Row> rows) {
        List<Long> ids = rows.stream().map(r -> r.getLong("id")).toList();
        Map<Long, List<Attachment>> files = attachments.forMessages(sql, workspaceId, ids);
        Map<Long, JsonArray> deliveries = deliveries(sql, workspaceId, rows);
        return rows.stream().map(row -> {
            JsonObject json = toJson(row, files.getOrDefault(row.getLong("id"), List.of()));
            JsonArray all = deliveries.get(row.getLong("id"));
            return all == null ? json : json.put("deliveries", all);
        }).toList();
    }

    private static Map<Long, JsonArray> deliveries(Sql sql, long workspaceId, List<Row> rows) {
        Map<Long, JsonArray> out = new HashMap<>();
        List<Long> replies = rows.stream().filter(r -> "out".equals(r.getString("kind")))
                .map(r -> r.getLong("id")).toList();
        if (replies.isEmpty()) {
            return out;
        }
        sql.rows("""
                SELECT id, message_id, status, channel, target, attempts, last_error, next_attempt_at, updated_at,
                       sent_at, condition IS NOT NULL AS conditional
                FROM deliveries WHERE workspace_id = $1 AND message_id = ANY($2) ORDER BY id""",
                workspaceId, replies.toArray(new Long[0])).forEach(row -> out.computeIfAbsent(
                        row.getLong("message_id"), k -> new JsonArray())
                        .add(delivery(row, "", row.getBoolean("conditional"))));
        return out;
    }

    public JsonObject render(Sql sql, long workspaceId, Row row) {
        return render(sql, workspaceId, List.of(row)).getFirst();
    }

    private static JsonObject toJson(Row row, List<Attachment> files) {
        Message m = Message.from(row);
        String authorName = switch (m.authorType()) {
            case "agent" -> row.getString("agent_name");
            case "contact" -> row.getString("contact_name");
            default -> "Throughline";
        };
        JsonObject json = toJson(m, authorName, files, row.getLong("d_id") == null ? null : delivery(row, "d_", null));
        return m.redactedBy() == null ? json : json.put("redactedBy", new JsonObject().put("id", m.redactedBy())
                .put("name", row.getString("redactor_name")));
    }

    /** The JSON of a message whose author name and delivery the caller already knows (ingest does). */
    public static JsonObject toJson(Message m, String authorName, List<Attachment> files, JsonObject delivery) {
        Long authorId = m.authorAgentId() != null ? m.authorAgentId() : m.authorContactId();
        JsonObject metadata = m.metadata();
        JsonObject display = null;
        if (metadata != null && metadata.getValue(DISPLAY) instanceof JsonObject trimmed) {
            display = trimmed;
            metadata = metadata.copy();
            metadata.remove(DISPLAY);
        }
        JsonArray attachmentJson = new JsonArray();
        files.forEach(a -> attachmentJson.add(a.toJson()));
        return new JsonObject()
                .put("id", m.id())
                .put("conversationId", m.conversationId())
                .put("kind", m.kind().wireName())
                .put("channel", m.channel())
                .put("inboxId", m.inboxId())
                .put("author", new JsonObject().put("type", m.authorType()).put("id", authorId).put("name", authorName))
                .put("body", m.body())
                .put("html", m.html())
                .put("subject", m.subject())
                .put("externalId", m.externalId())
                .put("threading", m.threading())
                .put("flags", new JsonArray(m.flags()))
                .put("display", display)
                .put("metadata", metadata)
                .put("attachments", attachmentJson)
                .put("edits", m.edits())
                .put("editedAt", Conversation.text(m.editedAt()))
                .put("sentAt", Conversation.text(m.sentAt()))
                .put("createdAt", Conversation.text(m.createdAt()))
                .put("redactedAt", Conversation.text(m.redactedAt()))
                .put("redactedBy", null)
                .put("delivery", delivery);
    }

    /**
     * A delivery's JSON from a row whose delivery columns carry {@code prefix}; {@code conditional} only in the
     * list of all deliveries (null leaves it out).
     */
    private static JsonObject delivery(Row row, String prefix, Boolean conditional) {
        String status = row.getString(prefix + "status");
        JsonObject json = new JsonObject()
                .put("id", row.getLong(prefix + "id"))
                .put("status", status)
                .put("channel", row.getString(prefix + "channel"))
                .put("to", row.getJsonObject(prefix + "target"))
                .put("attempts", row.getInteger(prefix + "attempts"))
                .put("lastError", row.getString(prefix + "last_error"));
        if (conditional != null) {
            json.put("conditional", conditional);
        }
        return json.put("nextAttemptAt", "pending".equals(status)
                        ? text(row.getOffsetDateTime(prefix + "next_attempt_at")) : null)
                .put("sentAt", text(row.getOffsetDateTime(prefix + "sent_at")))
                .put("updatedAt", text(row.getOffsetDateTime(prefix + "updated_at")));
    }

    private static String text(OffsetDateTime value) {
        return value == null ? null : value.toInstant().toString();
    }

    private static String prefixed() {
        StringBuilder out = new StringBuilder();
        for (String column : Message.COLUMNS.split(",")) {
            out.append(out.isEmpty() ? "" : ", ").append("m.").append(column.strip());
        }
        return out.toString();
    }
}
