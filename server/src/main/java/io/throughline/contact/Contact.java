package io.throughline.contact;

import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Row;
import java.time.Instant;

/** A customer. {@code mergedIntoId} is set while the contact is merged into another one. */
public record Contact(long id, long workspaceId, String name, JsonObject attributes, boolean blocked,
                      Long mergedIntoId, Instant createdAt) {

    static final String COLUMNS = "id, workspace_id, name, attributes, blocked, merged_into_id, created_at";

    static Contact from(Row row) {
        return new Contact(row.getLong("id"), row.getLong("workspace_id"), row.getString("name"),
                row.getJsonObject("attributes"), row.getBoolean("blocked"), row.getLong("merged_into_id"),
                row.getOffsetDateTime("created_at").toInstant());
    }
}
