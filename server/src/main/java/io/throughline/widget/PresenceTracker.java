package io.throughline.widget;

import io.throughline.VirtualThreads;
import io.throughline.realtime.EventLog;
import io.throughline.realtime.EventType;
import io.throughline.store.Database;
import io.throughline.store.Sql;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Row;
import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Whether widget visitors are online, across nodes, with writes only when a visitor comes or goes, and in batches.
 *
 * <p>Each node counts its own connections per visitor. A first connection queues an arrival; when the last one
 * closes, the node waits {@code widget.presenceGrace} (a reload reconnects within it) and queues a departure.
 * Queued changes are written together every {@value #BATCH_MS} ms: a node restart that brings 10,000 visitors back
 * at once costs a few transactions, not 10,000. An arrival inserts this node's {@code widget_presence} row and
 * takes the visitor online; a departure removes the row and takes the visitor offline unless another live node
 * still holds one. Each node renews its {@code widget_nodes} row; another node clears the rows of a node that
 * stopped renewing. Coming and going are {@code visitor.presence_changed} events once the visitor has a thread
 * (agents have nothing to show before).
 */
final class PresenceTracker implements VisitorActivity {

    private static final Logger log = LoggerFactory.getLogger(PresenceTracker.class);
    private static final Duration NODE_TTL = Duration.ofSeconds(30);
    private static final long RENEW_MS = 10_000;
    private static final long BATCH_MS = 50;
    private static final long MAX_RETRY_MS = 5_000;
    private static final int BATCH_SIZE = 1_000;

    private final Vertx vertx;
    private final Database database;
    private final EventLog events;
    private final Duration grace;
    private final String nodeId = UUID.randomUUID().toString();
    private final Object lock = new Object();
    private final Map<Long, Local> local = new HashMap<>();
    private final Map<Long, Viewer> arrivals = new LinkedHashMap<>();
    private final Map<Long, Departure> departures = new LinkedHashMap<>();
    private boolean flushScheduled;
    private boolean flushing;
    /** Flushes failed in a row (the database away): the next waits longer, up to {@link #MAX_RETRY_MS}. */
    private int failedFlushes;
    private long timer = -1;
    private volatile boolean stopped;

    /** This node's connections of one visitor. */
    private static final class Local {
        int connections;
        long graceTimer = -1;
        Viewer viewer;
    }

    private record Departure(Viewer viewer, Instant leftAt) {
    }

    PresenceTracker(Vertx vertx, Database database, EventLog events, Duration grace) {
        this.vertx = vertx;
        this.database = database;
        this.events = events;
        this.grace = grace;
    }

    void start() {
        renew();
        timer = vertx.setPeriodic(RENEW_MS, t -> VirtualThreads.call("widget-presence-renew", () -> {
            renew();
            sweepDeadNodes();
            return null;
        }).onFailure(e -> log.warn("widget presence upkeep failed: {}", e.toString())));
    }

    /**
     * Stops renewing, and lets the node row lapse after the grace time rather than taking every visitor offline:
     * visitors that reconnect to another node (or to this one restarted) within it never flap.
     */
    void stop() {
        stopped = true;
        vertx.cancelTimer(timer);
        try {
            database.sql().update("UPDATE widget_nodes SET alive_until = now() + make_interval(secs => $2)"
                    + " WHERE node_id = $1", nodeId, grace.toMillis() / 1000.0);
        } catch (RuntimeException e) {
            log.warn("widget presence could not hand over: {}", e.toString());
        }
    }

    void connected(Viewer viewer) {
        long id = viewer.visitor().id();
        synchronized (lock) {
            Local entry = local.computeIfAbsent(id, k -> new Local());
            entry.viewer = viewer;
            if (++entry.connections > 1) {
                return;
            }
            if (entry.graceTimer >= 0) {
                vertx.cancelTimer(entry.graceTimer);
                entry.graceTimer = -1;
            } else if (departures.remove(id) == null) {
                arrivals.put(id, viewer);
                scheduleFlush();
            }
        }
    }

    void disconnected(Viewer viewer) {
        long id = viewer.visitor().id();
        synchronized (lock) {
            Local entry = local.get(id);
            if (entry == null || --entry.connections > 0) {
                return;
            }
            Instant leftAt = Instant.now();
            entry.graceTimer = vertx.setTimer(Math.max(1, grace.toMillis()), t -> expire(id, leftAt));
        }
    }

    private void expire(long id, Instant leftAt) {
        synchronized (lock) {
            Local entry = local.get(id);
            if (entry == null || entry.connections > 0) {
                return;
            }
            local.remove(id);
            if (arrivals.remove(id) == null) {
                departures.put(id, new Departure(entry.viewer, leftAt));
                scheduleFlush();
            }
        }
    }

    /** Called holding the lock. One flush at a time; changes queued meanwhile go in the next one. */
    private void scheduleFlush() {
        if (!flushScheduled && !flushing && !stopped) {
            flushScheduled = true;
            long delay = failedFlushes == 0 ? BATCH_MS
                    : Math.min(MAX_RETRY_MS, BATCH_MS << Math.min(failedFlushes, 10));
            vertx.setTimer(delay, t -> VirtualThreads.call("widget-presence", () -> {
                flush();
                return null;
            }).onFailure(e -> log.warn("widget presence flush failed: {}", e.toString())));
        }
    }

    private void flush() {
        List<Viewer> arriving;
        List<Departure> leaving;
        synchronized (lock) {
            flushScheduled = false;
            flushing = true;
            arriving = new ArrayList<>(arrivals.values());
            leaving = new ArrayList<>(departures.values());
            arrivals.clear();
            departures.clear();
        }
        int leftWritten = 0;
        int arrivedWritten = 0;
        try {
            for (int i = 0; i < leaving.size(); i += BATCH_SIZE) {
                List<Departure> batch = leaving.subList(i, Math.min(leaving.size(), i + BATCH_SIZE));
                database.tx(tx -> {
                    leave(tx, batch);
                    return null;
                });
                leftWritten += batch.size();
            }
            for (int i = 0; i < arriving.size(); i += BATCH_SIZE) {
                List<Viewer> batch = arriving.subList(i, Math.min(arriving.size(), i + BATCH_SIZE));
                database.tx(tx -> {
                    arrive(tx, batch);
                    return null;
                });
                arrivedWritten += batch.size();
            }
            synchronized (lock) {
                failedFlushes = 0;
            }
        } catch (RuntimeException e) {
            log.warn("widget presence write failed, retrying arrivals={} departures={}: {}",
                    arriving.size() - arrivedWritten, leaving.size() - leftWritten, e.toString());
            synchronized (lock) {
                failedFlushes++;
                // What was not written goes back in line, unless the visitor moved on since (a newer arrival or
                // departure queued meanwhile wins): a lost departure kept a visitor online for good, which also
                // stopped their replies from falling back to email.
                for (Departure departure : leaving.subList(leftWritten, leaving.size())) {
                    long id = departure.viewer().visitor().id();
                    if (!arrivals.containsKey(id) && !departures.containsKey(id)) {
                        departures.put(id, departure);
                    }
                }
                for (Viewer viewer : arriving.subList(arrivedWritten, arriving.size())) {
                    long id = viewer.visitor().id();
                    if (!arrivals.containsKey(id) && !departures.containsKey(id)) {
                        arrivals.put(id, viewer);
                    }
                }
            }
        } finally {
            synchronized (lock) {
                flushing = false;
                if (!arrivals.isEmpty() || !departures.isEmpty()) {
                    scheduleFlush();
                }
            }
        }
    }

    private void arrive(Sql tx, List<Viewer> batch) {
        Long[] ids = batch.stream().map(v -> v.visitor().id()).sorted().toArray(Long[]::new);
        Map<Long, Boolean> wasOnline = new HashMap<>();
        tx.rows("SELECT id, online FROM widget_visitors WHERE id = ANY($1) ORDER BY id FOR UPDATE", (Object) ids)
                .forEach(r -> wasOnline.put(r.getLong("id"), r.getBoolean("online")));
        tx.update("""
                INSERT INTO widget_presence (visitor_id, node_id)
                SELECT v.id, $2 FROM unnest($1::bigint[]) AS came(vid) JOIN widget_visitors v ON v.id = came.vid
                ON CONFLICT DO NOTHING""", ids, nodeId);
        tx.update("UPDATE widget_visitors SET online = true, last_seen_at = now() WHERE id = ANY($1)", (Object) ids);
        List<Long> cameOnline = wasOnline.entrySet().stream().filter(e -> !e.getValue()).map(Map.Entry::getKey)
                .toList();
        announce(tx, cameOnline, true, Map.of());
    }

    private void leave(Sql tx, List<Departure> batch) {
        Long[] ids = batch.stream().map(d -> d.viewer().visitor().id()).sorted().toArray(Long[]::new);
        tx.rows("SELECT id FROM widget_visitors WHERE id = ANY($1) ORDER BY id FOR UPDATE", (Object) ids);
        tx.update("DELETE FROM widget_presence WHERE node_id = $2 AND visitor_id = ANY($1)", ids, nodeId);
        Map<Long, Instant> leftAt = new HashMap<>();
        batch.forEach(d -> leftAt.put(d.viewer().visitor().id(), d.leftAt()));
        goOfflineIfUnheld(tx, ids, leftAt);
    }

    /** Takes offline those of these (locked) visitors that no live node holds any more, and says so. */
    private void goOfflineIfUnheld(Sql tx, Long[] ids, Map<Long, Instant> leftAt) {
        OffsetDateTime[] times = new OffsetDateTime[ids.length];
        OffsetDateTime now = OffsetDateTime.now(ZoneOffset.UTC);
        for (int i = 0; i < ids.length; i++) {
            Instant at = leftAt.get(ids[i]);
            times[i] = at == null ? now : OffsetDateTime.ofInstant(at, ZoneOffset.UTC);
        }
        List<Long> wentOffline = tx.list("""
                UPDATE widget_visitors v SET online = false, last_seen_at = gone.at
                FROM unnest($1::bigint[], $2::timestamptz[]) AS gone(id, at)
                WHERE v.id = gone.id AND v.online
                  AND NOT EXISTS (SELECT 1 FROM widget_presence p JOIN widget_nodes n ON n.node_id = p.node_id
                                  WHERE p.visitor_id = v.id AND n.alive_until > now())
                RETURNING v.id""", r -> r.getLong("id"), ids, times);
        announce(tx, wentOffline, false, leftAt);
    }

    /** {@code visitor.presence_changed} for each visitor that has a thread. */
    private void announce(Sql tx, List<Long> ids, boolean online, Map<Long, Instant> leftAt) {
        if (ids.isEmpty()) {
            return;
        }
        for (Row row : tx.rows("""
                SELECT v.id, v.workspace_id, v.public_id, v.last_seen_at, ct.id AS contact_id, c.id AS conversation_id
                FROM widget_visitors v
                JOIN identities i ON i.workspace_id = v.workspace_id AND i.kind = v.principal_kind
                                 AND i.value = v.principal_value AND i.proven
                JOIN contacts ct ON ct.id = i.contact_id
                JOIN conversations c ON c.contact_id = ct.id AND c.merged_into_id IS NULL
                WHERE v.id = ANY($1)""", (Object) ids.toArray(new Long[0]))) {
            OffsetDateTime at = row.getOffsetDateTime("last_seen_at");
            events.append(tx, row.getLong("workspace_id"), EventType.VISITOR_PRESENCE_CHANGED, new JsonObject()
                    .put("visitorId", row.getString("public_id"))
                    .put("contactId", row.getLong("contact_id"))
                    .put("conversationId", row.getLong("conversation_id"))
                    .put("online", online)
                    .put("lastSeenAt", at == null ? null : at.toInstant().toString()));
        }
    }

    /** Renews this node's row; if another node already cleared it (we were cut off), re-announce our visitors. */
    private void renew() {
        if (stopped) {
            return;
        }
        boolean existed = database.sql().one("UPDATE widget_nodes SET alive_until = now() + make_interval(secs => $2)"
                + " WHERE node_id = $1 RETURNING node_id", nodeId, (double) NODE_TTL.toSeconds()).isPresent();
        if (!existed) {
            database.sql().update("INSERT INTO widget_nodes (node_id, alive_until)"
                    + " VALUES ($1, now() + make_interval(secs => $2)) ON CONFLICT (node_id) DO UPDATE"
                    + " SET alive_until = excluded.alive_until", nodeId, (double) NODE_TTL.toSeconds());
            synchronized (lock) {
                int present = 0;
                for (Map.Entry<Long, Local> entry : local.entrySet()) {
                    if (entry.getValue().connections > 0) {
                        arrivals.put(entry.getKey(), entry.getValue().viewer);
                        present++;
                    }
                }
                if (present > 0) {
                    log.warn("widget presence row of this node had lapsed; re-announcing visitors={}", present);
                    scheduleFlush();
                }
            }
        }
    }

    /** Clears the rows of nodes that stopped renewing, taking their visitors offline unless another node has them. */
    private void sweepDeadNodes() {
        List<String> dead = database.sql().list("SELECT node_id FROM widget_nodes WHERE alive_until < now()"
                + " LIMIT 20", r -> r.getString("node_id"));
        for (String node : dead) {
            int cleared = database.tx(tx -> {
                if (tx.one("SELECT 1 FROM widget_nodes WHERE node_id = $1 AND alive_until < now()"
                        + " FOR UPDATE SKIP LOCKED", node).isEmpty()) {
                    return 0;
                }
                Long[] ids = tx.list("SELECT visitor_id FROM widget_presence WHERE node_id = $1 ORDER BY visitor_id",
                        r -> r.getLong("visitor_id"), node).toArray(new Long[0]);
                tx.rows("SELECT id FROM widget_visitors WHERE id = ANY($1) ORDER BY id FOR UPDATE", (Object) ids);
                tx.update("DELETE FROM widget_presence WHERE node_id = $1", node);
                goOfflineIfUnheld(tx, ids, Map.of());
                tx.update("DELETE FROM widget_nodes WHERE node_id = $1", node);
                return ids.length;
            });
            if (cleared > 0) {
                log.info("widget presence of a stopped node cleared node={} visitors={}", node, cleared);
            }
        }
    }

    @Override
    public Optional<Status> visitor(long workspaceId, String visitorId) {
        return database.sql().one("SELECT online, last_seen_at, last_read_message_id, last_read_at"
                + " FROM widget_visitors WHERE workspace_id = $1 AND public_id = $2", workspaceId, visitorId)
                .map(PresenceTracker::status);
    }

    @Override
    public Optional<Status> contact(long workspaceId, long contactId) {
        return database.sql().one("""
                WITH theirs AS (
                    SELECT v.online, v.last_seen_at, v.last_read_message_id, v.last_read_at FROM widget_visitors v
                    JOIN identities i ON i.workspace_id = v.workspace_id AND i.kind = 'widget_visitor'
                                     AND i.value = v.public_id
                    WHERE i.workspace_id = $1 AND i.contact_id = $2
                    UNION ALL
                    SELECT v.online, v.last_seen_at, v.last_read_message_id, v.last_read_at FROM widget_visitors v
                    JOIN identities i ON i.workspace_id = v.workspace_id AND i.kind = v.principal_kind
                                     AND i.value = v.principal_value AND i.proven
                    WHERE i.workspace_id = $1 AND i.contact_id = $2 AND v.principal_kind <> 'widget_visitor')
                SELECT bool_or(online) AS online, max(last_seen_at) AS last_seen_at,
                       max(last_read_message_id) AS last_read_message_id, max(last_read_at) AS last_read_at,
                       count(*) AS visitors
                FROM theirs""", workspaceId, contactId)
                .filter(r -> r.getLong("visitors") > 0).map(PresenceTracker::status);
    }

    @Override
    public boolean seen(long workspaceId, long messageId) {
        return database.sql().one("""
                SELECT 1 FROM messages m
                JOIN conversations c ON c.id = m.conversation_id
                JOIN identities i ON i.workspace_id = m.workspace_id AND i.contact_id = c.contact_id
                JOIN widget_visitors v ON v.workspace_id = i.workspace_id
                    AND ((i.kind = 'widget_visitor' AND v.public_id = i.value)
                      OR (i.proven AND i.kind = v.principal_kind AND i.value = v.principal_value))
                WHERE m.workspace_id = $1 AND m.id = $2 AND v.last_read_message_id >= m.id
                LIMIT 1""", workspaceId, messageId).isPresent();
    }

    private static Status status(Row row) {
        return new Status(Boolean.TRUE.equals(row.getBoolean("online")),
                Visitor.instant(row.getOffsetDateTime("last_seen_at")), row.getLong("last_read_message_id"),
                Visitor.instant(row.getOffsetDateTime("last_read_at")));
    }
}
