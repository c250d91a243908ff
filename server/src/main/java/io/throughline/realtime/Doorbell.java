package io.throughline.realtime;

import io.vertx.core.Vertx;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Tells other nodes that events were committed, through PostgreSQL LISTEN/NOTIFY, and wakes the local feed when
 * they say so.
 *
 * <p>A coalesced doorbell, never one NOTIFY per message: a NOTIFY inside each write transaction takes a global
 * lock at commit and halves the durable insert rate under concurrency (ARCHITECTURE.md, rule 5). So commits only
 * {@link #ring()}, which sends at most one NOTIFY per {@value #COALESCE_MS} ms, outside any write transaction.
 * The payload is empty: the feed reads the rows itself, and a ring lost while disconnected is covered by the
 * feed's polling and by the wake after every reconnect.
 */
public final class Doorbell {

    static final String CHANNEL = "throughline_events";
    private static final long COALESCE_MS = 5;

    private final Vertx vertx;
    private final PgListener listener;
    private final AtomicBoolean scheduled = new AtomicBoolean();

    public Doorbell(Vertx vertx, PgListener listener, EventFeed feed) {
        this.vertx = vertx;
        this.listener = listener;
        listener.listen(CHANNEL, new PgListener.Channel() {
            @Override
            public void onNotify(String payload) {
                feed.wake();
            }

            @Override
            public void onListening() {
                feed.wake();
            }
        });
    }

    /** Called after a local commit that appended events. Cheap, coalesced, and safe from any thread. */
    public void ring() {
        if (scheduled.compareAndSet(false, true)) {
            vertx.setTimer(COALESCE_MS, t -> {
                scheduled.set(false);
                listener.notify(CHANNEL, "");
            });
        }
    }
}
