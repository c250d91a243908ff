package io.throughline.conversation;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Row;
import java.time.Instant;
import java.util.List;

/**
 * One message of a thread, as stored. A redacted message ({@code redactedAt} set, by the agent {@code redactedBy})
 * keeps its place, channel and routing, but its text, HTML, subject, previous versions and files are gone.
 */
public record Message(
        long id,
        long workspaceId,
        long conversationId,
        long originConversationId,
        Long inboxId,
        String channel,
        MessageKind kind,
        String authorType,
        Long authorContactId,
        Long authorAgentId,
        String body,
        String html,
        String subject,
        String externalId,
        JsonObject threading,
        JsonObject metadata,
        List<String> flags,
        JsonArray edits,
        Instant sentAt,
        Instant createdAt,
        Instant editedAt,
        Instant redactedAt,
        Long redactedBy) {

    static final String COLUMNS = "id, workspace_id, conversation_id, origin_conversation_id, inbox_id, channel,"
            + " kind, author_type, author_contact_id, author_agent_id, body, html, subject, external_id, threading,"
            + " metadata, flags, edits, sent_at, created_at, edited_at, redacted_at, redacted_by";

    static Message from(Row row) {
        return new Message(
                row.getLong("id"), row.getLong("workspace_id"), row.getLong("conversation_id"),
                row.getLong("origin_conversation_id"), row.getLong("inbox_id"), row.getString("channel"),
                MessageKind.fromWireName(row.getString("kind")), row.getString("author_type"),
                row.getLong("author_contact_id"), row.getLong("author_agent_id"), row.getString("body"),
                row.getString("html"), row.getString("subject"), row.getString("external_id"),
                row.getJsonObject("threading"), row.getJsonObject("metadata"),
                List.of(row.getArrayOfStrings("flags")), row.getJsonArray("edits"),
                Conversation.instant(row.getOffsetDateTime("sent_at")),
                Conversation.instant(row.getOffsetDateTime("created_at")),
                Conversation.instant(row.getOffsetDateTime("edited_at")),
                Conversation.instant(row.getOffsetDateTime("redacted_at")), row.getLong("redacted_by"));
    }
}
