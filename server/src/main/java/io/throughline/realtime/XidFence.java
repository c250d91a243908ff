package io.throughline.realtime;

/**
 * Tells when every transaction that could hold an unseen seq has ended, without a lock.
 *
 * <p>{@link EventLog} gives a transaction its xid before it draws a seq, so a transaction holding a seq below one
 * that a snapshot shows committed got its xid before that snapshot was taken. A <em>fresh</em> xid, drawn after
 * the snapshot, is therefore above all of them: that is the fence. Once a later snapshot's {@code xmin} (the oldest
 * xid still running) has reached the fence, every such transaction has committed or rolled back.
 *
 * <p>The snapshot's own {@code xmax} is not a fence: it is one past the newest <em>completed</em> xid, and a running
 * transaction at or above it is left out of {@code xmin}. A transaction that drew the lower seq with the newer xid
 * would look finished while it still runs, and its event would be skipped. Drawing the fence costs one xid and a
 * commit record that is not flushed (the transaction wrote nothing else).
 */
public final class XidFence {

    /**
     * A fresh xid, as column {@code fence}. Run it on the pool, never in a transaction: one that already has an xid
     * would return its own, older one.
     */
    public static final String DRAW = "SELECT pg_current_xact_id()::text::bigint AS fence";

    /** The oldest running xid, as column {@code xmin}. */
    public static final String OLDEST_RUNNING = "SELECT pg_snapshot_xmin(pg_current_snapshot())::text::bigint AS xmin";

    private XidFence() {
    }

    /** Whether every transaction that was running when {@code fence} was drawn has ended. */
    public static boolean passed(long xmin, long fence) {
        return xmin >= fence;
    }
}
