package io.throughline.inbox;

import io.throughline.delivery.Dispatcher;
import io.throughline.store.Sql;
import io.vertx.core.json.JsonObject;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Optional;

/** SQL for inboxes. Deleted inboxes stay (their messages point at them) but are never listed or opened. */
public final class InboxRepository {

    public long reserveId(Sql sql) {
        return sql.single("SELECT nextval(pg_get_serial_sequence('inboxes', 'id')) AS id").getLong("id");
    }

    /** A new inbox; {@code fromConfig} is the name the config file gives it, null for one made through the API. */
    public Inbox insert(Sql tx, long id, long workspaceId, String kind, String name, JsonObject config,
                        String exclusiveKey, String fromConfig) {
        return Inbox.from(tx.single("""
                INSERT INTO inboxes (id, workspace_id, kind, name, config, exclusive_key, from_config)
                VALUES ($1, $2, $3, $4, $5, $6, $7)
                RETURNING""" + " " + Inbox.COLUMNS, id, workspaceId, kind, name, config, exclusiveKey, fromConfig));
    }

    /**
     * Whether the config file's inbox of this kind and name was created: empty if never (or before V110 marked such
     * inboxes), else whether an admin deleted it since.
     */
    public Optional<Boolean> fromConfigDeleted(Sql sql, long workspaceId, String kind, String name) {
        return sql.one("SELECT deleted_at IS NOT NULL AS deleted FROM inboxes WHERE workspace_id = $1 AND kind = $2"
                + " AND from_config = $3", workspaceId, kind, name).map(row -> row.getBoolean("deleted"));
    }

    /** Marks an inbox made before V110 as the config file's inbox of that name; false when it is another's. */
    public boolean markFromConfig(Sql sql, long id, String name) {
        return sql.update("UPDATE inboxes SET from_config = $2 WHERE id = $1 AND (from_config IS NULL"
                + " OR from_config = $2)", id, name) == 1;
    }

    /** The enabled inbox, other than {@code exceptId}, that holds this exclusive key (in any workspace). */
    public Optional<Inbox> holding(Sql sql, String kind, String exclusiveKey, long exceptId) {
        return sql.one("SELECT " + Inbox.COLUMNS + " FROM inboxes WHERE kind = $1 AND exclusive_key = $2"
                + " AND deleted_at IS NULL AND enabled AND id <> $3", kind, exclusiveKey, exceptId).map(Inbox::from);
    }

    /** The inboxes of a kind in service (enabled or not) in every workspace but one. */
    public List<Inbox> ofOtherWorkspaces(Sql sql, String kind, long workspaceId) {
        return sql.list("SELECT " + Inbox.COLUMNS + " FROM inboxes WHERE kind = $1 AND workspace_id <> $2"
                + " AND deleted_at IS NULL ORDER BY id", Inbox::from, kind, workspaceId);
    }

    public Optional<Inbox> find(Sql sql, long workspaceId, long id) {
        return sql.one("SELECT " + Inbox.COLUMNS + " FROM inboxes WHERE workspace_id = $1 AND id = $2"
                + " AND deleted_at IS NULL", workspaceId, id).map(Inbox::from);
    }

    /** By id alone, for channel endpoints that authenticate the inbox themselves (webhooks, the API channel). */
    public Optional<Inbox> findAnyWorkspace(Sql sql, long id) {
        return sql.one("SELECT " + Inbox.COLUMNS + " FROM inboxes WHERE id = $1 AND deleted_at IS NULL", id)
                .map(Inbox::from);
    }

    public List<Inbox> list(Sql sql, long workspaceId) {
        return sql.list("SELECT " + Inbox.COLUMNS + " FROM inboxes WHERE workspace_id = $1 AND deleted_at IS NULL"
                + " ORDER BY id", Inbox::from, workspaceId);
    }

    /** Every enabled inbox of every workspace: what this node opens. */
    public List<Inbox> enabled(Sql sql) {
        return sql.list("SELECT " + Inbox.COLUMNS + " FROM inboxes WHERE enabled AND deleted_at IS NULL ORDER BY id",
                Inbox::from);
    }

    /**
     * Writes an inbox's settings over the row {@code read}, only if it is still as read (not saved since, not
     * deleted): empty otherwise. Each save moves {@code updated_at} on, even two in one microsecond.
     */
    public Optional<Inbox> update(Sql tx, Inbox read, String name, JsonObject config, boolean enabled,
                                  String exclusiveKey) {
        return tx.one("""
                UPDATE inboxes SET name = $3, config = $4, enabled = $5, exclusive_key = $6,
                    updated_at = greatest(now(), updated_at + interval '1 microsecond')
                WHERE workspace_id = $1 AND id = $2 AND deleted_at IS NULL AND updated_at = $7
                RETURNING""" + " " + Inbox.COLUMNS, read.workspaceId(), read.id(), name, config, enabled,
                exclusiveKey, read.updatedAt().atOffset(ZoneOffset.UTC)).map(Inbox::from);
    }

    /**
     * Makes this inbox's replies that wait for a retry due now: its settings changed, and the fault they wait on
     * (a refused login, a wrong host) may be fixed. A fallback waiting for its time keeps it (unless it waits only
     * because the inbox was disabled), and so does a reply waiting out a wait the receiving side asked for (a flood
     * limit) while it still goes there.
     *
     * @param sameDestination true when replies still go where they went (the same bot, the same webhook URL)
     */
    public int releaseWaitingDeliveries(Sql tx, long id, boolean sameDestination) {
        return tx.update("""
                UPDATE deliveries SET next_attempt_at = now(), remote_wait_until = NULL, updated_at = now()
                WHERE inbox_id = $1 AND status = 'pending' AND next_attempt_at > now()
                  AND (condition IS NULL OR last_error = $3)
                  AND (lease_until IS NULL OR lease_until < now())
                  AND NOT ($2 AND remote_wait_until IS NOT NULL AND remote_wait_until > now())""",
                id, sameDestination, Dispatcher.PAUSED);
    }

    public void dropCheckpoint(Sql tx, long id, String name) {
        tx.update("DELETE FROM inbox_checkpoints WHERE inbox_id = $1 AND name = $2", id, name);
    }

    public void dropCheckpoints(Sql tx, long id) {
        tx.update("DELETE FROM inbox_checkpoints WHERE inbox_id = $1", id);
    }

    public boolean delete(Sql tx, long workspaceId, long id) {
        return tx.update("UPDATE inboxes SET deleted_at = now(), enabled = false, updated_at = now()"
                + " WHERE workspace_id = $1 AND id = $2 AND deleted_at IS NULL", workspaceId, id) == 1;
    }

    /** The oldest inbox of this kind and name: names are not unique (an admin may give a second inbox the name). */
    public Optional<Inbox> byName(Sql sql, long workspaceId, String kind, String name) {
        return sql.one("SELECT " + Inbox.COLUMNS + " FROM inboxes WHERE workspace_id = $1 AND kind = $2 AND name = $3"
                + " AND deleted_at IS NULL ORDER BY id LIMIT 1", workspaceId, kind, name).map(Inbox::from);
    }
}
