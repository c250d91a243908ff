package io.throughline.realtime;

import io.vertx.core.Vertx;
import io.vertx.pgclient.PgConnectOptions;
import io.vertx.pgclient.PgConnection;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Tells other nodes that events were committed, through PostgreSQL LISTEN/NOTIFY, and wakes the local feed when
 * they say so.
 *
 * <p>A coalesced doorbell, never one NOTIFY per message: a NOTIFY inside each write transaction takes a global
 * lock at commit and halves the durable insert rate under concurrency (ARCHITECTURE.md, rule 5). So commits only
 * {@link #ring()}, which sends at most one NOTIFY per {@value #COALESCE_MS} ms, outside any write transaction.
 * The payload is empty: the feed reads the rows itself.
 */
public final class Doorbell {

    private static final Logger log = LoggerFactory.getLogger(Doorbell.class);
    static final String CHANNEL = "throughline_events";
    private static final long COALESCE_MS = 5;
    private static final long MAX_RECONNECT_MS = 10_000;

    private final Vertx vertx;
    private final PgConnectOptions options;
    private final EventFeed feed;
    private final AtomicBoolean scheduled = new AtomicBoolean();
    private volatile PgConnection connection;
    private volatile boolean stopped;
    private long reconnectDelayMs = 100;

    public Doorbell(Vertx vertx, PgConnectOptions options, EventFeed feed) {
        this.vertx = vertx;
        this.options = options;
        this.feed = feed;
    }

    public void start() {
        connect();
    }

    /** Called after a local commit that appended events. Cheap, coalesced, and safe from any thread. */
    public void ring() {
        if (scheduled.compareAndSet(false, true)) {
            vertx.setTimer(COALESCE_MS, t -> {
                scheduled.set(false);
                PgConnection current = connection;
                if (current != null) {
                    current.query("NOTIFY " + CHANNEL).execute().onFailure(e ->
                            log.debug("notify failed; other nodes fall back to polling: {}", e.getMessage()));
                }
            });
        }
    }

    private void connect() {
        if (stopped) {
            return;
        }
        PgConnection.connect(vertx, options).onComplete(ar -> {
            if (ar.failed()) {
                scheduleReconnect(ar.cause().getMessage());
                return;
            }
            PgConnection conn = ar.result();
            int ownPid = conn.processId();
            conn.notificationHandler(n -> {
                if (n.getProcessId() != ownPid) {
                    feed.wake();
                }
            });
            conn.closeHandler(v -> {
                connection = null;
                scheduleReconnect("connection closed");
            });
            conn.query("LISTEN " + CHANNEL).execute().onComplete(listen -> {
                if (listen.failed()) {
                    conn.close();
                    return;
                }
                connection = conn;
                reconnectDelayMs = 100;
                // Notifications sent while we were not listening are lost: read whatever they announced.
                feed.wake();
            });
        });
    }

    private void scheduleReconnect(String reason) {
        if (stopped) {
            return;
        }
        log.warn("doorbell listener disconnected, reconnecting in {}ms: {}", reconnectDelayMs, reason);
        long delay = reconnectDelayMs;
        reconnectDelayMs = Math.min(MAX_RECONNECT_MS, reconnectDelayMs * 2);
        vertx.setTimer(delay, t -> connect());
    }

    public void stop() {
        stopped = true;
        PgConnection current = connection;
        connection = null;
        if (current != null) {
            current.close();
        }
    }
}
