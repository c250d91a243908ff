package io.throughline.cannedresponse;

import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Row;
import java.time.Instant;

/** One reusable reply: the short code agents type after "/", an optional title, and the text inserted. */
public record CannedResponse(long id, long workspaceId, String shortCode, String title, String body,
                             Long createdByAgentId, Instant createdAt, Instant updatedAt) {

    static final String COLUMNS = "id, workspace_id, short_code, title, body, created_by_agent_id, created_at,"
            + " updated_at";

    static CannedResponse from(Row row) {
        return new CannedResponse(row.getLong("id"), row.getLong("workspace_id"), row.getString("short_code"),
                row.getString("title"), row.getString("body"), row.getLong("created_by_agent_id"),
                row.getOffsetDateTime("created_at").toInstant(), row.getOffsetDateTime("updated_at").toInstant());
    }

    public JsonObject toJson() {
        return new JsonObject()
                .put("id", id)
                .put("shortCode", shortCode)
                .put("title", title)
                .put("body", body)
                .put("createdByAgentId", createdByAgentId)
                .put("createdAt", createdAt.toString())
                .put("updatedAt", updatedAt.toString());
    }
}
