package io.throughline.conversation;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Row;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.util.Arrays;
import java.util.List;

/** The one thread of one contact. */
public record Conversation(
        long id,
        long workspaceId,
        long contactId,
        Status status,
        Long assigneeId,
        Priority priority,
        List<String> labels,
        List<String> channels,
        Instant snoozedUntil,
        Long lastMessageId,
        Instant lastActivityAt,
        Long lastInboundMessageId,
        Instant lastInboundAt,
        Long mergedIntoId,
        Instant createdAt,
        Instant updatedAt) {

    static final String COLUMNS = "id, workspace_id, contact_id, status, assignee_id, priority, labels, channels,"
            + " snoozed_until, last_message_id, last_activity_at, last_inbound_message_id, last_inbound_at,"
            + " merged_into_id, created_at, updated_at";

    /** {@link #COLUMNS} qualified with a table alias. */
    static String columns(String alias) {
        return Arrays.stream(COLUMNS.split(",")).map(c -> alias + "." + c.strip())
                .reduce((a, b) -> a + ", " + b).orElseThrow();
    }

    static Conversation from(Row row) {
        return new Conversation(
                row.getLong("id"), row.getLong("workspace_id"), row.getLong("contact_id"),
                Status.fromWireName(row.getString("status")).orElseThrow(), row.getLong("assignee_id"),
                Priority.fromWireName(row.getString("priority")).orElseThrow(),
                List.of(row.getArrayOfStrings("labels")), List.of(row.getArrayOfStrings("channels")),
                instant(row.getOffsetDateTime("snoozed_until")), row.getLong("last_message_id"),
                instant(row.getOffsetDateTime("last_activity_at")), row.getLong("last_inbound_message_id"),
                instant(row.getOffsetDateTime("last_inbound_at")), row.getLong("merged_into_id"),
                instant(row.getOffsetDateTime("created_at")), instant(row.getOffsetDateTime("updated_at")));
    }

    static Instant instant(OffsetDateTime value) {
        return value == null ? null : value.toInstant();
    }

    /** The fields every event about this conversation carries, so clients can update a list row in place. */
    public JsonObject toJson() {
        return new JsonObject()
                .put("id", id)
                .put("contactId", contactId)
                .put("status", status.wireName())
                .put("assigneeId", assigneeId)
                .put("priority", priority.wireName())
                .put("labels", new JsonArray(labels))
                .put("channels", new JsonArray(channels))
                .put("snoozedUntil", text(snoozedUntil))
                .put("lastActivityAt", text(lastActivityAt))
                .put("lastInboundAt", text(lastInboundAt))
                .put("createdAt", text(createdAt))
                .put("updatedAt", text(updatedAt));
    }

    /**
     * Its entity tag (RFC 9110), strong: the version every write moves forward ({@code updatedAt}, unique per
     * conversation and increasing), as the {@code updatedAt} of {@link #toJson} spells it.
     */
    public String etag() {
        return etag(text(updatedAt));
    }

    /** The entity tag of the version whose {@code updatedAt} (as {@link #toJson} spells it) is given. */
    public static String etag(String updatedAt) {
        return "\"" + updatedAt + "\"";
    }

    /** Whether an {@code If-Match} list (entity tags, or {@code *}) names this version; weak tags never do. */
    public boolean matches(String ifMatch) {
        String etag = etag();
        for (String candidate : ifMatch.split(",")) {
            String tag = candidate.strip();
            if (tag.equals("*") || tag.equals(etag)) {
                return true;
            }
        }
        return false;
    }

    static String text(Instant value) {
        return value == null ? null : value.toString();
    }
}
