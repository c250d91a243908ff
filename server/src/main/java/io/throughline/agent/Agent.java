package io.throughline.agent;

import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Row;
import java.time.Instant;

/** A member of a workspace. The password hash never leaves {@link AgentRepository}. */
public record Agent(long id, long workspaceId, String email, String name, Role role, boolean active,
                    Instant createdAt) {

    static final String COLUMNS = "id, workspace_id, email, name, role, active, created_at";

    static Agent from(Row row) {
        return new Agent(row.getLong("id"), row.getLong("workspace_id"), row.getString("email"),
                row.getString("name"), Role.fromWireName(row.getString("role")).orElseThrow(),
                row.getBoolean("active"), row.getOffsetDateTime("created_at").toInstant());
    }

    public JsonObject toJson() {
        return new JsonObject().put("id", id).put("email", email).put("name", name).put("role", role.wireName())
                .put("active", active).put("createdAt", createdAt.toString());
    }
}
