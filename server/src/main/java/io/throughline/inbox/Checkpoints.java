package io.throughline.inbox;

import io.throughline.connector.CheckpointStore;
import io.throughline.store.Database;
import io.vertx.core.json.JsonObject;
import java.util.Optional;

/** One inbox's checkpoints in {@code inbox_checkpoints}. */
final class Checkpoints implements CheckpointStore {

    private final Database database;
    private final long inboxId;

    Checkpoints(Database database, long inboxId) {
        this.database = database;
        this.inboxId = inboxId;
    }

    @Override
    public Optional<JsonObject> load(String name) {
        return Database.orUnavailable(() -> database.sql().one("SELECT value FROM inbox_checkpoints"
                + " WHERE inbox_id = $1 AND name = $2", inboxId, name).map(row -> row.getJsonObject("value")));
    }

    @Override
    public void save(String name, JsonObject value) {
        Database.orUnavailable(() -> database.sql().update("""
                INSERT INTO inbox_checkpoints (inbox_id, name, value) VALUES ($1, $2, $3)
                ON CONFLICT (inbox_id, name) DO UPDATE SET value = excluded.value, updated_at = now()""",
                inboxId, name, value));
    }
}
