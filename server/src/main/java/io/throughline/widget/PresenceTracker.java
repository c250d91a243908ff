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
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Whether widget visitors are online, across nodes, with writes only when a visitor comes or goes.
 *
 * <p>Each node counts its own connections per visitor. The first one makes the node insert a
 * {@code widget_presence} row (and the visitor online, if no other node had it); when the last one closes the node
 * waits {@code widget.presenceGrace} (a reload reconnects within it) and then removes its row (and takes the visitor
 * offline when no live node holds it). Each node renews its {@code widget_nodes} row; a node that died stops, and
 * another clears its rows. Coming and going are {@code visitor.presence_changed} events once the visitor has a
 * thread (agents have nothing to show before).
 */
final class PresenceTracker implements VisitorActivity {

    private static final Logger log = LoggerFactory.getLogger(PresenceTracker.class);
    private static final Duration NODE_TTL = Duration.ofSeconds(30);
    private static final long RENEW_MS = 10_000;

    private final Vertx vertx;
    private final Database database;
    private final VisitorRepository visitors;
    private final EventLog events;
    private final Duration grace;
    private final String nodeId = UUID.randomUUID().toString();
    private final Object lock = new Object();
    private final Map<Long, Local> local = new HashMap<>();
    private final Map<Long, CompletableFuture<Void>> tails = new ConcurrentHashMap<>();
    private final ExecutorService executor = Executors.newThreadPerTaskExecutor(
            Thread.ofVirtual().name("widget-presence-", 0).factory());
    private long timer = -1;
    private volatile boolean stopped;

    /** This node's connections of one visitor. */
    private static final class Local {
        int connections;
        long graceTimer = -1;
        Instant leftAt;
        Viewer viewer;
    }

    PresenceTracker(Vertx vertx, Database database, VisitorRepository visitors, EventLog events, Duration grace) {
        this.vertx = vertx;
        this.database = database;
        this.visitors = visitors;
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
        executor.shutdown();
    }

    void connected(Viewer viewer) {
        boolean arrive = false;
        synchronized (lock) {
            Local entry = local.computeIfAbsent(viewer.visitor().id(), k -> new Local());
            entry.viewer = viewer;
            entry.connections++;
            if (entry.connections == 1) {
                if (entry.graceTimer >= 0) {
                    vertx.cancelTimer(entry.graceTimer);
                    entry.graceTimer = -1;
                } else {
                    arrive = true;
                }
            }
        }
        if (arrive) {
            serially(viewer.visitor().id(), () -> arrive(viewer));
        }
    }

    void disconnected(Viewer viewer) {
        long id = viewer.visitor().id();
        synchronized (lock) {
            Local entry = local.get(id);
            if (entry == null || --entry.connections > 0) {
                return;
            }
            entry.leftAt = Instant.now();
            entry.graceTimer = vertx.setTimer(Math.max(1, grace.toMillis()), t -> expire(id));
        }
    }

    private void expire(long id) {
        Local entry;
        synchronized (lock) {
            entry = local.get(id);
            if (entry == null || entry.connections > 0) {
                return;
            }
            local.remove(id);
        }
        serially(id, () -> leave(entry.viewer, entry.leftAt));
    }

    /** Database work for one visitor runs in order; different visitors run in parallel. */
    private void serially(long visitorId, Runnable work) {
        if (stopped) {
            return;
        }
        tails.compute(visitorId, (k, tail) -> {
            CompletableFuture<Void> previous = tail == null ? CompletableFuture.completedFuture(null) : tail;
            CompletableFuture<Void> next = previous.thenRunAsync(() -> {
                try {
                    work.run();
                } catch (RuntimeException e) {
                    log.warn("widget presence update failed visitor={}: {}", visitorId, e.toString());
                }
            }, executor);
            next.whenComplete((v, e) -> tails.remove(visitorId, next));
            return next;
        });
    }

    private void arrive(Viewer viewer) {
        long id = viewer.visitor().id();
        database.tx(tx -> {
            Row before = tx.single("SELECT online FROM widget_visitors WHERE id = $1 FOR UPDATE", id);
            tx.update("INSERT INTO widget_presence (visitor_id, node_id) VALUES ($1, $2) ON CONFLICT DO NOTHING",
                    id, nodeId);
            Row after = tx.single("UPDATE widget_visitors SET online = true, last_seen_at = now() WHERE id = $1"
                    + " RETURNING last_seen_at", id);
            if (!before.getBoolean("online")) {
                announce(tx, viewer, true, after.getOffsetDateTime("last_seen_at"));
            }
            return null;
        });
    }

    private void leave(Viewer viewer, Instant leftAt) {
        long id = viewer.visitor().id();
        database.tx(tx -> {
            tx.single("SELECT id FROM widget_visitors WHERE id = $1 FOR UPDATE", id);
            tx.update("DELETE FROM widget_presence WHERE visitor_id = $1 AND node_id = $2", id, nodeId);
            goOfflineIfUnheld(tx, viewer, id, leftAt);
            return null;
        });
    }

    private void goOfflineIfUnheld(Sql tx, Viewer viewer, long id, Instant leftAt) {
        boolean held = tx.one("""
                SELECT 1 FROM widget_presence p JOIN widget_nodes n ON n.node_id = p.node_id
                WHERE p.visitor_id = $1 AND n.alive_until > now() LIMIT 1""", id).isPresent();
        if (held) {
            return;
        }
        Optional<Row> changed = tx.one("UPDATE widget_visitors SET online = false, last_seen_at = $2"
                + " WHERE id = $1 AND online RETURNING last_seen_at", id, leftAt);
        if (changed.isPresent()) {
            announce(tx, viewer, false, changed.get().getOffsetDateTime("last_seen_at"));
        }
    }

    private void announce(Sql tx, Viewer viewer, boolean online, OffsetDateTime at) {
        Visitor visitor = viewer.visitor();
        Optional<VisitorRepository.Thread> thread = visitors.thread(tx, visitor);
        if (thread.isEmpty() || thread.get().conversationId() == null) {
            return;
        }
        events.append(tx, visitor.workspaceId(), EventType.VISITOR_PRESENCE_CHANGED, new JsonObject()
                .put("visitorId", visitor.publicId())
                .put("contactId", thread.get().contactId())
                .put("conversationId", thread.get().conversationId())
                .put("online", online)
                .put("lastSeenAt", at == null ? null : at.toInstant().toString()));
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
            List<Viewer> present = new ArrayList<>();
            synchronized (lock) {
                local.values().stream().filter(e -> e.connections > 0).forEach(e -> present.add(e.viewer));
            }
            if (!present.isEmpty()) {
                log.warn("widget presence row of this node had lapsed; re-announcing visitors={}", present.size());
                present.forEach(v -> serially(v.visitor().id(), () -> arrive(v)));
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
                List<Long> ids = tx.list("DELETE FROM widget_presence WHERE node_id = $1 RETURNING visitor_id",
                        r -> r.getLong("visitor_id"), node);
                for (long id : ids) {
                    Optional<Visitor> visitor = visitors.byId(tx, id);
                    if (visitor.isPresent()) {
                        tx.single("SELECT id FROM widget_visitors WHERE id = $1 FOR UPDATE", id);
                        goOfflineIfUnheld(tx, new Viewer(visitor.get(), null, null), id, Instant.now());
                    }
                }
                tx.update("DELETE FROM widget_nodes WHERE node_id = $1", node);
                return ids.size();
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
