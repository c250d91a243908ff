package io.throughline.realtime;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.pgclient.PgConnectOptions;
import io.vertx.pgclient.PgConnection;
import io.vertx.sqlclient.Tuple;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * This node's one LISTEN connection to PostgreSQL, shared by everything that hears the other nodes: the event
 * feed's doorbell and the transient signals (typing). It reconnects with backoff, and after every (re)connect
 * tells each channel, since notifications sent while it was away are lost. Its own notifications never come back
 * to it.
 */
public final class PgListener {

    private static final Logger log = LoggerFactory.getLogger(PgListener.class);
    private static final long MAX_RECONNECT_MS = 10_000;
    private static final long PROBE_EVERY_MS = 30_000;
    private static final long PROBE_TIMEOUT_MS = 10_000;

    /** What one channel does with the notifications of the other nodes. */
    public interface Channel {

        void onNotify(String payload);

        /** Listening (again): whatever was announced while not listening was missed. */
        default void onListening() {
        }
    }

    private final Vertx vertx;
    private final PgConnectOptions options;
    private final Map<String, Channel> channels = new ConcurrentHashMap<>();
    private volatile PgConnection connection;
    private volatile boolean stopped;
    private long reconnectDelayMs = 100;
    private long probe = -1;

    public PgListener(Vertx vertx, PgConnectOptions options) {
        this.vertx = vertx;
        this.options = options;
    }

    /** Listens on {@code channel} (a plain identifier); works before and after {@link #start()}. */
    public void listen(String channel, Channel handler) {
        if (!channel.matches("[a-z_]+")) {
            throw new IllegalArgumentException("not a channel name: " + channel);
        }
        channels.put(channel, handler);
        PgConnection current = connection;
        if (current != null) {
            current.query("LISTEN " + channel).execute().onSuccess(r -> handler.onListening())
                    .onFailure(e -> log.warn("cannot listen channel={}: {}", channel, e.getMessage()));
        }
    }

    public void start() {
        connect();
        probe = vertx.setPeriodic(PROBE_EVERY_MS, t -> probe());
    }

    /**
     * A connection the network dropped without a word (a NAT that forgot it, a failover without a reset) is never
     * closed by itself: notifications stop, and sends queue on it for ever. A query now and then finds it out, and
     * closing it reconnects.
     */
    private void probe() {
        PgConnection current = connection;
        if (current == null || stopped) {
            return;
        }
        current.query("SELECT 1").execute().timeout(PROBE_TIMEOUT_MS, TimeUnit.MILLISECONDS).onFailure(e -> {
            if (connection == current) {
                log.warn("notification listener connection does not answer, reconnecting: {}", e.toString());
                current.close();
            }
        });
    }

    /**
     * Sends a notification on this connection, so never inside a write transaction (a NOTIFY there takes a global
     * lock at commit). Returns false when not connected: the signal is lost, and receivers must not depend on it.
     */
    public boolean notify(String channel, String payload) {
        PgConnection current = connection;
        if (current == null) {
            return false;
        }
        current.preparedQuery("SELECT pg_notify($1, $2)").execute(Tuple.of(channel, payload))
                .onFailure(e -> log.debug("notify failed channel={}: {}", channel, e.getMessage()));
        return true;
    }

    public void stop() {
        stopped = true;
        vertx.cancelTimer(probe);
        PgConnection current = connection;
        connection = null;
        if (current != null) {
            current.close();
        }
    }

    private void connect() {
        if (stopped) {
            return;
        }
        // A connect whose network goes silent after the TCP handshake never ends on its own (Vert.x times out the
        // handshake only), and the probe looks only at a connection made: a node would never listen again.
        Future<PgConnection> attempt = PgConnection.connect(vertx, options);
        attempt.timeout(PROBE_TIMEOUT_MS, TimeUnit.MILLISECONDS).onComplete(ar -> {
            if (ar.failed()) {
                // One that answers after all is closed: the next attempt is the listener's.
                attempt.onSuccess(PgConnection::close);
                reconnect(ar.cause().getMessage());
                return;
            }
            PgConnection conn = ar.result();
            if (stopped) {
                // Stopped while connecting: nobody else would close it.
                conn.close();
                return;
            }
            int ownPid = conn.processId();
            conn.notificationHandler(n -> {
                Channel handler = channels.get(n.getChannel());
                if (handler != null && n.getProcessId() != ownPid) {
                    handler.onNotify(n.getPayload());
                }
            });
            conn.closeHandler(v -> {
                connection = null;
                reconnect("connection closed");
            });
            Set<String> listening = Set.copyOf(channels.keySet());
            String listen = String.join("; ", listening.stream().map(c -> "LISTEN " + c).toList());
            (listen.isEmpty() ? Future.succeededFuture() : conn.query(listen).execute()
                    .timeout(PROBE_TIMEOUT_MS, TimeUnit.MILLISECONDS)).onComplete(done -> {
                if (done.failed() || stopped) {
                    // Closing it reconnects (its close handler), unless stopped.
                    conn.close();
                    return;
                }
                connection = conn;
                if (stopped && connection == conn) {
                    // stop() ran between the check and the assignment, and found no connection to close.
                    connection = null;
                    conn.close();
                    return;
                }
                reconnectDelayMs = 100;
                channels.forEach((name, handler) -> {
                    if (listening.contains(name)) {
                        handler.onListening();
                    } else {
                        listen(name, handler);
                    }
                });
            });
        });
    }

    private void reconnect(String reason) {
        if (stopped) {
            return;
        }
        log.warn("notification listener disconnected, reconnecting in {}ms: {}", reconnectDelayMs, reason);
        long delay = reconnectDelayMs;
        reconnectDelayMs = Math.min(MAX_RECONNECT_MS, reconnectDelayMs * 2);
        vertx.setTimer(delay, t -> connect());
    }
}
