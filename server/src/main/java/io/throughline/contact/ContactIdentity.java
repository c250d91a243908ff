package io.throughline.contact;

import io.throughline.connector.IdentityKind;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Row;
import java.time.Instant;

/** One stored identity of a contact. */
public record ContactIdentity(long id, long contactId, IdentityKind kind, String value, boolean proven,
                              Long sourceInboxId, Instant createdAt) {

    static final String COLUMNS = "id, contact_id, kind, value, proven, source_inbox_id, created_at";

    static ContactIdentity from(Row row) {
        return new ContactIdentity(row.getLong("id"), row.getLong("contact_id"),
                IdentityKind.fromWireName(row.getString("kind")).orElseThrow(), row.getString("value"),
                row.getBoolean("proven"), row.getLong("source_inbox_id"),
                row.getOffsetDateTime("created_at").toInstant());
    }

    public JsonObject toJson() {
        return new JsonObject().put("id", id).put("kind", kind.wireName()).put("value", value)
                .put("proven", proven).put("createdAt", createdAt.toString());
    }
}
