package io.throughline.realtime;

import io.throughline.store.Sql;
import io.vertx.core.json.JsonObject;

/**
 * Appends events in the caller's transaction, so a change and the event describing it commit together. After
 * the commit it rings the doorbell: once per transaction, outside it.
 */
public final class EventLog {

    // The CTE takes the transaction id before the identity column draws a seq: a transaction holding a seq always
    // has an xid by then, which is what lets the feed tell an in-flight gap from a rolled-back one.
    private static final String APPEND = """
            WITH tx AS MATERIALIZED (SELECT pg_current_xact_id() AS xid)
            INSERT INTO events (xid, workspace_id, type, data)
            SELECT tx.xid, $1, $2, $3 FROM tx""";

    private final Runnable onCommit;

    /** @param onCommit called after every transaction that appended events (the local feed and the doorbell) */
    public EventLog(Runnable onCommit) {
        this.onCommit = onCommit;
    }

    /**
     * Appends one event to the transaction. It is sent, not awaited: it goes out with the commit, which fails if
     * the event could not be written.
     */
    public void append(Sql tx, long workspaceId, String type, JsonObject data) {
        tx.send(APPEND, workspaceId, type, data);
        tx.afterCommit(onCommit);
    }
}
