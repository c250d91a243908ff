package io.throughline.inbox;

import io.throughline.connector.InboxRef;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Row;
import java.time.Instant;

/** A stored inbox; {@code config} holds its secrets and never leaves the server unredacted. */
public record Inbox(long id, long workspaceId, String kind, String name, JsonObject config, boolean enabled,
                    Instant createdAt, Instant updatedAt) {

    static final String COLUMNS = "id, workspace_id, kind, name, config, enabled, created_at, updated_at";

    static Inbox from(Row row) {
        return new Inbox(row.getLong("id"), row.getLong("workspace_id"), row.getString("kind"),
                row.getString("name"), row.getJsonObject("config"), row.getBoolean("enabled"),
                row.getOffsetDateTime("created_at").toInstant(), row.getOffsetDateTime("updated_at").toInstant());
    }

    public InboxRef ref() {
        return new InboxRef(id, workspaceId, kind, name);
    }
}
