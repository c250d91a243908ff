package io.throughline.realtime;

import io.throughline.store.Database;
import io.vertx.sqlclient.Row;
import java.time.Duration;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Prunes the event log: events older than {@code realtime.eventRetention} are deleted, oldest seq first, and
 * {@code event_horizon.pruned_through} moves up in the same transaction. Every reader that resumes from a seq checks
 * it (in the snapshot it reads the events in, or after), so a resume from below it starts over rather than
 * silently skipping what was deleted.
 *
 * <p>Only a contiguous prefix of seqs is deleted: it stops at the first event younger than the retention, even if
 * older ones come after it (a transaction that ran long), so the horizon is one number. Batches of
 * {@value #BATCH} rows, each its own short transaction; nodes take turns on an advisory lock, and one that finds it
 * taken leaves the work to the other.
 */
public final class EventRetention {

    private static final Logger log = LoggerFactory.getLogger(EventRetention.class);
    /** The advisory lock key of the pruning ("tl-prune" as a number). */
    private static final long LOCK = 0x746c2d7072756e65L;
    static final int BATCH = 10_000;

    /**
     * The last seq of the oldest events, up to {@code $1} of them, that are all older than {@code $2} seconds: the
     * seq before the first younger one, or the batch's last seq. Null when the log is empty.
     */
    private static final String CUT = """
            WITH batch AS (SELECT seq, created_at FROM events ORDER BY seq LIMIT $1)
            SELECT coalesce(
                (SELECT min(seq) - 1 FROM batch WHERE created_at >= now() - make_interval(secs => $2)),
                (SELECT max(seq) FROM batch)) AS cut""";

    private final Database database;
    private final Duration retention;

    public EventRetention(Database database, Duration retention) {
        this.database = database;
        this.retention = retention;
    }

    /** Deletes every event older than the retention; returns how many. Blocking: call off the event loop. */
    public long prune() {
        long total = 0;
        long through = 0;
        while (true) {
            Batch batch = database.tx(sql -> {
                if (!sql.single("SELECT pg_try_advisory_xact_lock($1) AS locked", LOCK).getBoolean("locked")) {
                    return null;
                }
                Row cut = sql.single(CUT, BATCH, (double) retention.toSeconds());
                Long seq = cut.getLong("cut");
                if (seq == null) {
                    return new Batch(0, 0);
                }
                int deleted = sql.update("DELETE FROM events WHERE seq <= $1", seq);
                if (deleted > 0) {
                    sql.update("UPDATE event_horizon SET pruned_through = greatest(pruned_through, $1),"
                            + " pruned_at = now()", seq);
                }
                return new Batch(deleted, seq);
            });
            if (batch == null) {
                log.debug("event log pruning skipped: another node is pruning");
                break;
            }
            total += batch.deleted();
            if (batch.deleted() == 0) {
                break;
            }
            through = batch.through();
        }
        if (total > 0) {
            log.info("event log pruned events={} throughSeq={} retention={}", total, through, retention);
        }
        return total;
    }

    private record Batch(int deleted, long through) {
    }
}
