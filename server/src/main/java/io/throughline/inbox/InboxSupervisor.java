package io.throughline.inbox;

import io.throughline.VirtualThreads;
import io.throughline.attachment.FileStore;
import io.throughline.connector.AttachmentStore;
import io.throughline.connector.ChannelConnector;
import io.throughline.connector.ChannelInbox;
import io.throughline.connector.CheckpointStore;
import io.throughline.connector.ConnectorHealth;
import io.throughline.connector.InboundSink;
import io.throughline.connector.InboxContext;
import io.throughline.connector.InboxDirectory;
import io.throughline.connector.InboxRef;
import io.throughline.delivery.OpenInboxes;
import io.throughline.ingest.IngestService;
import io.throughline.store.Database;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.pgclient.PgConnection;
import io.vertx.pgclient.PgException;
import io.vertx.sqlclient.Tuple;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.security.InvalidKeyException;
import java.security.NoSuchAlgorithmException;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Opens every enabled inbox on this node (so any node can send through it) and runs each inbox's receiver on
 * exactly one node: the one holding the inbox's PostgreSQL advisory lock. Locks live on one dedicated connection;
 * if it drops, PostgreSQL releases them, this node stops its receivers, and another node takes over.
 *
 * <p>Every change runs on one virtual thread, in order, so opening, closing and locking never race.
 */
public final class InboxSupervisor implements InboxDirectory, OpenInboxes {

    private static final Logger log = LoggerFactory.getLogger(InboxSupervisor.class);
    /** The first key of the two-key advisory lock: "TL" + "rx". Migrations use a bigint key, so they never meet. */
    private static final int LOCK_NAMESPACE = 0x544c7278;
    private static final long LOCK_RETRY_MS = 5_000;
    /** How long the lock connection may take to answer its probe before the node counts it lost. */
    private static final long PROBE_TIMEOUT_MS = 10_000;
    /** How often the open inboxes are compared with the database, whatever the event feed said. */
    private static final long RECONCILE_MS = 60_000;

    private final Vertx vertx;
    private final Database database;
    private final InboxRepository repository;
    private final ConnectorRegistry registry;
    private final IngestService ingest;
    private final FileStore files;
    private final URI publicUrl;
    private final SecretKeySpec inboxKeys;
    private final Clock clock;
    private final Map<Long, Running> open = new ConcurrentHashMap<>();
    private final ExecutorService serial = Executors.newSingleThreadExecutor(
            Thread.ofVirtual().name("inbox-supervisor").factory());
    private PgConnection locks;
    private long lockTimer = -1;
    private long reconcileTimer = -1;
    private volatile boolean stopped;

    /** An inbox open on this node. */
    private record Running(Inbox inbox, ChannelConnector connector, ChannelInbox channel, boolean receiving) {
        Running receiving(boolean value) {
            return new Running(inbox, connector, channel, value);
        }
    }

    public InboxSupervisor(Vertx vertx, Database database, InboxRepository repository, ConnectorRegistry registry,
                           IngestService ingest, FileStore files, URI publicUrl, byte[] inboxKeySecret, Clock clock) {
        this.vertx = vertx;
        this.database = database;
        this.repository = repository;
        this.registry = registry;
        this.ingest = ingest;
        this.files = files;
        this.publicUrl = publicUrl;
        this.inboxKeys = new SecretKeySpec(inboxKeySecret, "HmacSHA256");
        this.clock = clock;
    }

    /** Opens every enabled inbox and starts the receivers this node wins the lock for. Blocks until done. */
    public void start() {
        await(serial.submit(() -> {
            for (Inbox inbox : repository.enabled(database.sql())) {
                openInbox(inbox);
            }
            acquireReceivers();
        }));
        lockTimer = vertx.setPeriodic(LOCK_RETRY_MS, t -> {
            if (!stopped) {
                serial.execute(this::acquireReceivers);
            }
        });
        reconcileTimer = vertx.setPeriodic(RECONCILE_MS, t -> {
            if (!stopped) {
                serial.execute(this::reconcile);
            }
        });
    }

    /**
     * Reloads every inbox whose row differs from what this node has open. Changes made on another node reach
     * this one through the event feed; one missed there (the feed dropped the subscription, an event committed
     * late) would leave this node on an old config, a rotated webhook secret refused, a deleted bot still
     * polled, until a restart. This bounds that to a minute.
     */
    /** {@link #reconcile} now, on the supervisor's thread; returns when done. */
    void reconcileNow() {
        await(serial.submit(this::reconcile));
    }

    private void reconcile() {
        try {
            Map<Long, Inbox> wanted = new HashMap<>();
            repository.enabled(database.sql()).forEach(inbox -> wanted.put(inbox.id(), inbox));
            Set<Long> stale = new HashSet<>();
            open.forEach((id, running) -> {
                Inbox current = wanted.get(id);
                if (current == null || !current.updatedAt().equals(running.inbox().updatedAt())) {
                    stale.add(id);
                }
            });
            for (long id : stale) {
                log.info("inbox reloaded, its row changed without this node hearing of it inbox={}", id);
                reload(id);
            }
            // Enabled but not open here: missed, or it failed to open (tried again, its error logged again).
            for (long id : wanted.keySet()) {
                if (!open.containsKey(id)) {
                    reload(id);
                }
            }
        } catch (RuntimeException e) {
            log.warn("inbox reconcile failed, trying again in {}s: {}", RECONCILE_MS / 1000, e.toString());
        }
    }

    /** Re-reads one inbox after it was created, changed, disabled or deleted here; returns when done. */
    public void refresh(long inboxId) {
        await(serial.submit(() -> reload(inboxId)));
    }

    /** The same, without waiting: for changes announced by another node through the event feed. */
    public void refreshLater(long inboxId) {
        if (!stopped) {
            serial.execute(() -> reload(inboxId));
        }
    }

    private void reload(long inboxId) {
        if (stopped) {
            return; // asked for as the supervisor stopped: reopening now would leave an inbox open for good
        }
        Optional<Inbox> current = database.sql().one("SELECT " + Inbox.COLUMNS + " FROM inboxes WHERE id = $1"
                + " AND enabled AND deleted_at IS NULL", inboxId).map(Inbox::from);
        Running running = open.get(inboxId);
        if (running != null && current.isPresent() && running.inbox().updatedAt().equals(current.get().updatedAt())) {
            return;
        }
        if (running != null) {
            closeInbox(running);
        }
        current.ifPresent(this::openInbox);
        acquireReceivers();
    }

    @Override
    public <T extends ChannelInbox> Optional<T> find(long inboxId, Class<T> type) {
        Running running = open.get(inboxId);
        return running != null && type.isInstance(running.channel()) ? Optional.of(type.cast(running.channel()))
                : Optional.empty();
    }

    @Override
    public Optional<ChannelInbox> sender(long inboxId) {
        return Optional.ofNullable(open.get(inboxId)).map(Running::channel);
    }

    @Override
    public Optional<ChannelInbox> sender(long inboxId, Instant savedAt) {
        Running running = open.get(inboxId);
        if (savedAt == null || running != null && !running.inbox().updatedAt().isBefore(savedAt)) {
            return sender(inboxId);
        }
        if (stopped) {
            return Optional.empty();
        }
        log.info("inbox settings newer than this node's, reopened before a send inbox={}", inboxId);
        try {
            refresh(inboxId);
        } catch (RuntimeException e) {
            // Stopping, or the reload failed: never send with the settings the save replaced.
            log.warn("inbox not reopened before a send inbox={}: {}", inboxId, e.toString());
            return Optional.empty();
        }
        Running reopened = open.get(inboxId);
        return reopened != null && !reopened.inbox().updatedAt().isBefore(savedAt)
                ? Optional.of(reopened.channel()) : Optional.empty();
    }

    /** One open inbox's state for {@code /health}: whether it can work, and whether it receives on this node. */
    public record InboxHealth(Inbox inbox, boolean receivingHere, ConnectorHealth health) {
    }

    /** Each open inbox's state for {@code /health}; {@code up} is false when one cannot work. */
    public List<InboxHealth> health() {
        List<InboxHealth> out = new ArrayList<>();
        for (Running running : open.values()) {
            ConnectorHealth health;
            try {
                health = running.channel().health();
            } catch (RuntimeException e) {
                health = ConnectorHealth.down("health check failed: " + e.getMessage());
            }
            out.add(new InboxHealth(running.inbox(), running.receiving(), health));
        }
        return out;
    }

    public void stop() {
        stopped = true;
        vertx.cancelTimer(lockTimer);
        vertx.cancelTimer(reconcileTimer);
        await(serial.submit(() -> {
            for (Running running : new ArrayList<>(open.values())) {
                closeInbox(running);
            }
            if (locks != null) {
                VirtualThreads.await(locks.close());
                locks = null;
            }
        }));
        serial.shutdown();
    }

    private void openInbox(Inbox inbox) {
        Optional<ChannelConnector> connector = registry.find(inbox.kind());
        if (connector.isEmpty()) {
            log.warn("inbox not opened: no connector for its kind inbox={} kind={}", inbox.id(), inbox.kind());
            return;
        }
        try {
            ChannelInbox channel = connector.get().open(new Context(inbox));
            open.put(inbox.id(), new Running(inbox, connector.get(), channel, false));
            log.info("inbox opened inbox={} kind={} workspace={}", inbox.id(), inbox.kind(), inbox.workspaceId());
        } catch (RuntimeException e) {
            log.error("inbox failed to open inbox={} kind={}", inbox.id(), inbox.kind(), e);
        }
    }

    private void closeInbox(Running running) {
        long id = running.inbox().id();
        open.remove(id);
        if (running.receiving()) {
            stopReceiving(running);
            unlock(id);
        }
        try {
            running.channel().close();
        } catch (RuntimeException e) {
            log.warn("inbox did not close cleanly inbox={}", id, e);
        }
        log.info("inbox closed inbox={}", id);
    }

    private void acquireReceivers() {
        if (stopped) {
            return;
        }
        if (!ensureLockConnection()) {
            return;
        }
        if (open.values().stream().anyMatch(Running::receiving) && !lockConnectionAnswers()) {
            return;
        }
        for (Running running : new ArrayList<>(open.values())) {
            if (running.receiving()) {
                continue;
            }
            long id = running.inbox().id();
            boolean won;
            try {
                won = VirtualThreads.await(locks.preparedQuery("SELECT pg_try_advisory_lock($1, $2) AS won")
                        .execute(Tuple.of(LOCK_NAMESPACE, (int) id)).timeout(PROBE_TIMEOUT_MS, TimeUnit.MILLISECONDS))
                        .iterator().next().getBoolean("won");
            } catch (RuntimeException e) {
                log.warn("inbox lock attempt failed inbox={}: {}", id, e.getMessage());
                dropLockConnection("a lock attempt failed");
                return;
            }
            if (!won) {
                continue;
            }
            try {
                running.channel().startReceiving();
                open.put(id, running.receiving(true));
                log.info("inbox receiving on this node inbox={} kind={}", id, running.inbox().kind());
            } catch (Exception e) {
                log.error("inbox failed to start receiving inbox={}; retrying in {}s", id, LOCK_RETRY_MS / 1000, e);
                unlock(id);
            }
        }
    }

    /** The dedicated lock connection; when it died, our locks died with it, so our receivers must stop. */
    private boolean ensureLockConnection() {
        if (locks != null) {
            return true;
        }
        stopAllReceivers("lock connection lost");
        try {
            PgConnection connection = VirtualThreads.await(PgConnection.connect(vertx, database.connectOptions())
                    .timeout(PROBE_TIMEOUT_MS, TimeUnit.MILLISECONDS));
            connection.closeHandler(v -> {
                if (!stopped) {
                    serial.execute(() -> {
                        if (locks == connection) {
                            locks = null;
                            stopAllReceivers("lock connection closed");
                        }
                    });
                }
            });
            locks = connection;
            if (!detectDeadPeerSoon(connection)) {
                locks = null;
                connection.close();
                return false;
            }
            return true;
        } catch (RuntimeException e) {
            log.warn("cannot open the inbox lock connection: {}", e.getMessage());
            return false;
        }
    }

    /**
     * Whether the lock connection still answers. Cut off from the database (a network split, the database's host
     * gone) with the process alive, the connection stays open on this side, and nothing else would tell: PostgreSQL
     * frees our locks within about half a minute (below) and another node takes the inboxes over, while this one
     * would go on receiving too. Not answering within {@value #PROBE_TIMEOUT_MS} ms, the connection is dropped and
     * the receivers stop first; the next round opens a new one and tries the locks again.
     */
    private boolean lockConnectionAnswers() {
        try {
            VirtualThreads.await(locks.query("SELECT 1").execute().timeout(PROBE_TIMEOUT_MS, TimeUnit.MILLISECONDS));
            return true;
        } catch (RuntimeException e) {
            log.warn("inbox lock connection did not answer, stopping this node's receivers: {}", e.toString());
            dropLockConnection("lock connection did not answer");
            return false;
        }
    }

    /** Gives the lock connection up (its locks go with it): the receivers stop first. */
    private void dropLockConnection(String why) {
        PgConnection connection = locks;
        locks = null;
        stopAllReceivers(why);
        if (connection != null) {
            connection.close();
        }
    }

    /**
     * PostgreSQL frees this node's locks when it notices the connection is dead: at once when the process dies (its
     * socket closes), but after the kernel's keepalive defaults (two hours and more) when the host dies or the
     * network splits. Keepalives every few seconds on this one session bring that down to about half a minute, so
     * another node takes the inboxes over. A server that refuses the settings (an old version) keeps its defaults;
     * false when the connection itself failed meanwhile (it is dropped, and opened again at the next round).
     */
    private static boolean detectDeadPeerSoon(PgConnection connection) {
        try {
            VirtualThreads.await(connection.query("SET tcp_keepalives_idle = 10; SET tcp_keepalives_interval = 5;"
                    + " SET tcp_keepalives_count = 3; SET tcp_user_timeout = 30000").execute()
                    .timeout(PROBE_TIMEOUT_MS, TimeUnit.MILLISECONDS));
            return true;
        } catch (PgException e) {
            log.warn("inbox lock connection keeps PostgreSQL's keepalive defaults: {}", e.getMessage());
            return true;
        } catch (RuntimeException e) {
            log.warn("inbox lock connection failed while it was set up: {}", e.toString());
            return false;
        }
    }

    private void stopAllReceivers(String why) {
        Set<Long> stoppedIds = new HashSet<>();
        for (Running running : new ArrayList<>(open.values())) {
            if (running.receiving()) {
                stopReceiving(running);
                open.put(running.inbox().id(), running.receiving(false));
                stoppedIds.add(running.inbox().id());
            }
        }
        if (!stoppedIds.isEmpty()) {
            log.warn("receivers stopped inboxes={} reason={}", stoppedIds, why);
        }
    }

    private void stopReceiving(Running running) {
        try {
            running.channel().stopReceiving();
        } catch (RuntimeException e) {
            log.warn("inbox did not stop receiving cleanly inbox={}", running.inbox().id(), e);
        }
    }

    private void unlock(long inboxId) {
        if (locks == null) {
            return;
        }
        try {
            VirtualThreads.await(locks.preparedQuery("SELECT pg_advisory_unlock($1, $2)")
                    .execute(Tuple.of(LOCK_NAMESPACE, (int) inboxId)).timeout(PROBE_TIMEOUT_MS, TimeUnit.MILLISECONDS));
        } catch (RuntimeException e) {
            log.warn("inbox unlock failed inbox={}: {}", inboxId, e.getMessage());
        }
    }

    private static void await(Future<?> future) {
        try {
            future.get(60, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (Exception e) {
            throw new IllegalStateException("inbox supervisor task failed", e);
        }
    }

    /** What one open inbox gets from the server. */
    private final class Context implements InboxContext {
        private final Inbox inbox;
        private final InboundSink sink;
        private final CheckpointStore checkpoints;

        Context(Inbox inbox) {
            this.inbox = inbox;
            this.sink = ingest.sinkFor(inbox.ref());
            this.checkpoints = new Checkpoints(database, inbox.id());
        }

        @Override
        public Vertx vertx() {
            return vertx;
        }

        @Override
        public InboxRef inbox() {
            return inbox.ref();
        }

        @Override
        public JsonObject config() {
            return inbox.config().copy();
        }

        @Override
        public InboundSink sink() {
            return sink;
        }

        @Override
        public CheckpointStore checkpoints() {
            return checkpoints;
        }

        @Override
        public AttachmentStore attachments() {
            return files;
        }

        @Override
        public Clock clock() {
            return clock;
        }

        /** Derived from the installation's secret and the inbox id: one key per inbox, nothing more to store. */
        @Override
        public byte[] signingKey() {
            try {
                Mac mac = Mac.getInstance("HmacSHA256");
                mac.init(inboxKeys);
                return mac.doFinal(("inbox-signing-key:" + inbox.id()).getBytes(StandardCharsets.UTF_8));
            } catch (NoSuchAlgorithmException | InvalidKeyException e) {
                throw new IllegalStateException(e);
            }
        }

        @Override
        public URI publicUrl() {
            return publicUrl;
        }
    }
}
