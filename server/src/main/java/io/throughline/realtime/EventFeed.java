package io.throughline.realtime;

import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.RowSet;
import io.vertx.sqlclient.Tuple;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.SortedSet;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentSkipListMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * This node's reader of the event log: it delivers every committed event exactly once, in seq order, to local
 * subscribers (agent streams, widget sessions, the search indexer).
 *
 * <p>Seqs are drawn when a transaction inserts its event, but transactions commit in another order, so a reader
 * can see seq 9 before seq 8 exists. The feed therefore only advances over a contiguous prefix. A gap is either a
 * transaction still in flight or one that rolled back; to tell them apart it draws an {@link XidFence} when it
 * sees the gap a second time (most gaps are filled within milliseconds, by a commit), and skips the gap once the
 * oldest running transaction ({@code xmin}) has passed the fence. No ordering lock, no NOTIFY inside transactions.
 *
 * <p>A long write transaction elsewhere in the cluster keeps {@code xmin} low and would hold a gap (and everything
 * after it) forever, so a gap is waited for at most {@code gapTimeout}; then it is passed with a warning naming the
 * oldest running transaction. Its seqs stay watched until their fence is passed: an event that still commits is
 * handed to subscribers that take late events ({@link EventListener#onLateEvents}, the search indexer), out of seq
 * order; live views, which rely on the order, show it when they next load. A subscriber that keeps its position
 * across restarts keeps the {@link #watchedSeqs() watched seqs} with it and hands them back ({@link #watch}), so a
 * late commit is not lost when this node restarts first.
 *
 * <p>All state lives on one Vert.x context; {@link #wake()} may be called from any thread and coalesces.
 */
public final class EventFeed {

    private static final Logger log = LoggerFactory.getLogger(EventFeed.class);
    private static final int PAGE = 500;
    private static final long GAP_RETRY_MS = 5;
    /**
     * A gap that lasts is looked at less often: an eighth of the time it has lasted, up to this. Its own commit
     * rings the doorbell and wakes the feed at once; the retries only watch for a rollback or a crash (the oldest
     * running transaction passing the fence), which any long transaction in the cluster can put off until the gap
     * timeout, and each of them reads a page of the events behind the gap.
     */
    private static final long GAP_RETRY_MAX_MS = 250;

    /** The events after a seq, each row with the oldest running xid of the same snapshot (a row even with none). */
    private static final String POLL = withXmin("seq > $1 ORDER BY seq LIMIT $2");
    /** The events of passed seqs that have committed since, likewise. */
    private static final String LATE = withXmin("seq = ANY($1) ORDER BY seq");

    /**
     * The newest seq, and the horizon. A pruning may have emptied the log (nothing happened for longer than the
     * retention): the newest seq is then the horizon, never 0, or everything that holds a seq (an index, a client)
     * would look ahead of the database.
     */
    public static final String MAX_SEQ = """
            SELECT greatest((SELECT max(seq) FROM events), h.pruned_through, 0) AS max_seq,
                   coalesce(h.pruned_through, 0) AS pruned_through
            FROM (SELECT 1) one LEFT JOIN event_horizon h ON true""";
    /** The seqs in a range with no event (yet): held by a running transaction, or left empty by a rollback. */
    private static final String MISSING = """
            SELECT s AS seq FROM generate_series($1::bigint, $2::bigint) s
            WHERE NOT EXISTS (SELECT 1 FROM events e WHERE e.seq = s)""";
    /** How far below its starting seq a feed that started while transactions still ran looks for missing seqs. */
    static final int UNSETTLED_WINDOW = 1_000;
    /** At most this many passed seqs are watched for a late commit; more are only logged. */
    public static final int MAX_WATCHED = 10_000;

    private final Vertx vertx;
    private final Pool pool;
    private final long pollIntervalMs;
    private final int maxPending;
    /** The longest the feed waits for one of its queries before it gives it up and asks again. */
    private static final long QUERY_TIMEOUT_MS = 30_000;
    private final List<FeedSubscription> subscriptions = new CopyOnWriteArrayList<>();
    private final long gapTimeoutMs;
    /** First missing seq of a gap, to its fence (once drawn) and when the gap was first seen. */
    private final TreeMap<Long, Fence> fences = new TreeMap<>();

    private record Fence(long xid, long seenAtMs) {
        static final long UNDRAWN = -1;

        boolean drawn() {
            return xid != UNDRAWN;
        }
    }

    /**
     * Seqs passed by the gap timeout whose transaction may still commit, to the fence that tells when it ended.
     * Changed on the feed context only; read from any thread through {@link #watchedSeqs()}.
     */
    private final ConcurrentSkipListMap<Long, Long> watched = new ConcurrentSkipListMap<>();
    /**
     * Watched seqs an earlier run of this node passed ({@link #watch}): an event found there is handed to the late
     * listeners (the index) only. Committed while this node was away, it may describe a message moved or merged
     * since, which a subscription's client (a chat) would show as it was then. On the feed context.
     */
    private final Set<Long> restored = new HashSet<>();
    /** Take every late event for as long as they are registered, whatever their subscriptions do meanwhile. */
    private final List<Consumer<List<Event>>> lateListeners = new CopyOnWriteArrayList<>();
    private boolean checkingLate;

    private Context context;
    private volatile long position;
    /** Events at or below this seq may have been pruned (see {@link EventRetention}); read with every poll. */
    private volatile long prunedThrough;
    private boolean polling;
    private boolean pollAgain;
    private boolean stopped;
    private long gapTimer = -1;
    /** Polls sent since the start: how often a held gap is looked at shows here (EventFeedIT). */
    private final AtomicLong polls = new AtomicLong();
    private long periodicTimer = -1;

    public EventFeed(Vertx vertx, Pool pool, long pollIntervalMs, int maxPending, long gapTimeoutMs) {
        this.vertx = vertx;
        this.pool = pool;
        this.pollIntervalMs = pollIntervalMs;
        this.maxPending = maxPending;
        this.gapTimeoutMs = gapTimeoutMs;
    }

    /**
     * Starts at the newest settled seq: the current maximum, once every transaction that was running when it was
     * read has finished (one of them may still hold a lower seq).
     */
    public Future<Void> start() {
        Promise<Void> started = Promise.promise();
        context = vertx.getOrCreateContext();
        context.runOnContext(v -> pool.query(MAX_SEQ).execute()
                .compose(max -> pool.query(XidFence.DRAW).execute().map(fence -> {
                    long maxSeq = max.iterator().next().getLong("max_seq");
                    prunedThrough = max.iterator().next().getLong("pruned_through");
                    long fenceXid = fence.iterator().next().getLong("fence");
                    Runnable begin = () -> {
                        position = maxSeq;
                        log.info("event feed started seq={}", maxSeq);
                        periodicTimer = vertx.setPeriodic(pollIntervalMs, t -> {
                            wake();
                            checkLate();
                        });
                        started.complete();
                        poll();
                    };
                    awaitSettled(fenceXid, System.currentTimeMillis(), begin,
                            () -> watchUnsettled(maxSeq, fenceXid, begin, started), started);
                    return null;
                }))
                .onFailure(started::tryFail));
        return started.future();
    }

    private void awaitSettled(long fence, long sinceMs, Runnable settled, Runnable timedOut, Promise<Void> failure) {
        pool.query(XidFence.OLDEST_RUNNING).execute().onComplete(ar -> {
            if (ar.failed()) {
                failure.fail(ar.cause());
                return;
            }
            long xmin = ar.result().iterator().next().getLong("xmin");
            if (XidFence.passed(xmin, fence)) {
                settled.run();
            } else if (System.currentTimeMillis() - sinceMs > gapTimeoutMs) {
                log.warn("event feed starting while transaction xid={} still runs; the seqs it may hold are watched"
                        + " for a late commit", xmin);
                timedOut.run();
            } else {
                vertx.setTimer(GAP_RETRY_MS, t -> awaitSettled(fence, sinceMs, settled, timedOut, failure));
            }
        });
    }

    /**
     * Starting at a newest seq that transactions still running may lie below: the seqs missing under it (within
     * the last {@link #UNSETTLED_WINDOW}, leaving room for the seqs a subscriber saved) are watched as the poll
     * watches a gap it passes, so an event committed there later reaches the late listeners (the search index)
     * instead of no one. A seq a rollback left empty is dropped once the transactions running now have ended.
     */
    private void watchUnsettled(long maxSeq, long fence, Runnable then, Promise<Void> failure) {
        long from = Math.max(Math.max(prunedThrough + 1, maxSeq - UNSETTLED_WINDOW + 1), 1);
        pool.preparedQuery(MISSING).execute(Tuple.of(from, maxSeq)).onComplete(ar -> {
            if (ar.failed()) {
                failure.fail(ar.cause());
                return;
            }
            ar.result().forEach(row -> watched.putIfAbsent(row.getLong("seq"), fence));
            log.info("event feed watching {} seqs missing from seq={} to seq={}; a transaction holding a lower one"
                    + " reaches no subscriber when it commits (./throughline reindex picks it up)", ar.result().size(),
                    from, maxSeq);
            then.run();
        });
    }

    /** The highest seq this node has delivered; every seq at or below it is settled. */
    public long position() {
        return position;
    }

    /**
     * The seq through which the event log has been pruned, as this node last read it (it may trail by a poll): a
     * resume from below it has lost events. Each subscription checks it again in the snapshot it reads history in.
     */
    public long prunedThrough() {
        return prunedThrough;
    }

    /** The newest seq in the event log, read now (a node's {@link #position} may trail it by a poll). */
    public Future<Long> newestStored() {
        return pool.query(MAX_SEQ).execute().map(rows -> rows.iterator().next().getLong("max_seq"));
    }

    /**
     * The seqs this feed passed while a transaction that may still commit held them: what a subscriber that
     * persists its position must remember besides it. Safe from any thread.
     */
    public SortedSet<Long> watchedSeqs() {
        return new TreeSet<>(watched.keySet());
    }

    /**
     * Registers a listener for every late event (see {@link EventListener#onLateEvents}) until the returned
     * subscription is cancelled. Unlike a subscription's, it does not pause while its owner resubscribes or falls
     * behind: an owner that persists {@link #watchedSeqs()} (the search index) must never miss one, since the feed
     * stops watching a seq once it has handed its event over.
     */
    public Subscription onLateEvents(Consumer<List<Event>> listener) {
        lateListeners.add(listener);
        return () -> lateListeners.remove(listener);
    }

    /**
     * Watches seqs that an earlier run of this node passed, as {@link #watchedSeqs()} gave them to a subscriber
     * that persisted them: an event committed there since, or later, goes to the late listeners. Register one
     * first, so it is in place when an event is found. The fence is drawn now: above every transaction that was
     * running when they were passed. Retried while PostgreSQL cannot draw it; the future completes once the seqs
     * are watched (those past {@link #MAX_WATCHED} are logged and dropped).
     */
    public Future<Void> watch(Collection<Long> seqs) {
        if (seqs.isEmpty()) {
            return Future.succeededFuture();
        }
        Promise<Void> watching = Promise.promise();
        List<Long> copy = List.copyOf(seqs);
        context.runOnContext(v -> watchWithFence(copy, watching));
        return watching.future();
    }

    private void watchWithFence(List<Long> copy, Promise<Void> watching) {
        if (stopped) {
            watching.fail("the event feed stopped");
            return;
        }
        pool.query(XidFence.DRAW).execute().onComplete(ar -> context.runOnContext(v -> {
            if (ar.failed()) {
                log.warn("event feed could not watch {} seqs passed before a restart, retrying in 1s: {}",
                        copy.size(), ar.cause().getMessage());
                vertx.setTimer(1_000, t -> watchWithFence(copy, watching));
                return;
            }
            long fence = ar.result().iterator().next().getLong("fence");
            int added = 0;
            for (long seq : copy) {
                if (watched.containsKey(seq)) {
                    added++; // watched since this start already (a seq missing below it)
                    continue;
                }
                if (watched.size() >= MAX_WATCHED) {
                    break;
                }
                watched.put(seq, fence);
                restored.add(seq);
                added++;
            }
            if (added < copy.size()) {
                log.warn("event feed watches {} passed seqs already; {} seqs passed before a restart are not watched:"
                        + " an event committed there reaches no subscriber (./throughline reindex picks it up)",
                        watched.size(), copy.size() - added);
            }
            log.info("event feed watching {} seqs passed before a restart, from={} to={}", added, copy.getFirst(),
                    copy.getLast());
            watching.complete();
            checkLate();
        }));
    }

    /** The polls of the event log this feed has sent. */
    long polls() {
        return polls.get();
    }

    /** Asks for a poll soon: new events were committed here or on another node. Coalesces. */
    public void wake() {
        Context ctx = context;
        if (ctx != null) {
            ctx.runOnContext(v -> poll());
        }
    }

    /**
     * Subscribes from {@code since}: first the stored events after it (read from PostgreSQL), then live ones,
     * without a gap or a repeat.
     *
     * @param since the last seq the subscriber already has; events after it are delivered
     * @param workspaceId only this workspace's events, or null for all of them
     */
    public EventSubscription subscribe(long since, Long workspaceId, EventListener listener) {
        FeedSubscription subscription = new FeedSubscription(since, workspaceId, listener);
        context.runOnContext(v -> subscription.begin());
        return subscription;
    }

    /**
     * Hands a transient signal (typing) to this node's live subscribers of its workspace, on the feed context. It
     * bypasses the event log: no seq, no replay, no durability (other nodes hear of it through their own relay).
     */
    public void publishTransient(long workspaceId, String type, JsonObject data) {
        Context ctx = context;
        if (ctx != null) {
            ctx.runOnContext(v -> {
                for (FeedSubscription subscription : subscriptions) {
                    subscription.transientSignal(workspaceId, type, data);
                }
            });
        }
    }

    public Future<Void> stop() {
        Promise<Void> done = Promise.promise();
        Context ctx = context;
        if (ctx == null) {
            return Future.succeededFuture();
        }
        ctx.runOnContext(v -> {
            stopped = true;
            vertx.cancelTimer(periodicTimer);
            vertx.cancelTimer(gapTimer);
            subscriptions.clear();
            done.complete();
        });
        return done.future();
    }

    private void poll() {
        if (stopped) {
            return;
        }
        if (polling) {
            pollAgain = true;
            return;
        }
        polling = true;
        pollAgain = false;
        polls.incrementAndGet();
        // Bounded: a query sent on a connection the network silently dropped may never answer, and a feed waiting
        // for it would hand nothing more to any stream of the node, while their heartbeats kept them "live".
        pool.preparedQuery(POLL).execute(Tuple.of(position, PAGE)).timeout(QUERY_TIMEOUT_MS, TimeUnit.MILLISECONDS)
                .onComplete(ar -> {
                    if (ar.failed()) {
                        polling = false;
                        log.warn("event feed poll failed seq={}: {}", position, ar.cause().getMessage());
                        return;
                    }
                    Outcome outcome;
                    try {
                        outcome = advance(ar.result());
                    } catch (RuntimeException e) {
                        polling = false;
                        log.error("event feed poll could not be handed over seq={}", position, e);
                        return;
                    }
                    if (outcome == Outcome.LASTING_GAP) {
                        drawFence(position + 1);
                    } else {
                        polled(outcome);
                    }
                });
    }

    private void polled(Outcome outcome) {
        polling = false;
        if (pollAgain || outcome == Outcome.MORE) {
            poll();
        } else if (outcome != Outcome.DONE && gapTimer < 0) {
            Fence gap = fences.get(position + 1);
            long lasted = gap == null ? 0 : System.currentTimeMillis() - gap.seenAtMs();
            gapTimer = vertx.setTimer(Math.clamp(lasted / 8, GAP_RETRY_MS, GAP_RETRY_MAX_MS), t -> {
                gapTimer = -1;
                poll();
            });
        }
    }

    /** Records the fence of a gap seen twice; the poll is not over until it is (another poll would draw its own). */
    private void drawFence(long gap) {
        pool.query(XidFence.DRAW).execute().timeout(QUERY_TIMEOUT_MS, TimeUnit.MILLISECONDS).onComplete(ar -> {
            Fence seen = fences.get(gap);
            if (ar.succeeded() && seen != null) {
                fences.put(gap, new Fence(ar.result().iterator().next().getLong("fence"), seen.seenAtMs()));
            } else if (ar.failed()) {
                log.warn("event feed could not fence the gap at seq={}: {}", gap, ar.cause().getMessage());
            }
            polled(Outcome.GAP);
        });
    }

    private enum Outcome { DONE, MORE, GAP, LASTING_GAP }

    private Outcome advance(RowSet<Row> rows) {
        List<Event> batch = new ArrayList<>();
        Outcome outcome = rows.size() >= PAGE ? Outcome.MORE : Outcome.DONE;
        long horizon = rows.iterator().next().getLong("pruned_through");
        prunedThrough = Math.max(prunedThrough, horizon);
        if (horizon > position) {
            fellBehindPruning(horizon);
        }
        long next = position + 1;
        for (Row row : rows) {
            Long seq = row.getLong("seq");
            if (seq == null) {
                break;
            }
            if (seq != next) {
                Fence fence = fences.get(next);
                long xmin = row.getLong("xmin");
                long now = System.currentTimeMillis();
                if (fence == null) {
                    fences.put(next, new Fence(Fence.UNDRAWN, now));
                    outcome = Outcome.GAP;
                    break;
                }
                if (!fence.drawn()) {
                    outcome = Outcome.LASTING_GAP;
                    break;
                }
                if (!XidFence.passed(xmin, fence.xid())) {
                    if (now - fence.seenAtMs() <= gapTimeoutMs) {
                        outcome = Outcome.GAP;
                        break;
                    }
                    log.warn("event feed passed seqs from={} to={} after {}ms: transaction xid={} still runs; watching"
                            + " them for a late commit", next, seq - 1, now - fence.seenAtMs(), xmin);
                    watch(next, seq - 1, fence.xid());
                } else {
                    log.debug("event feed skipped rolled-back seqs from={} to={}", next, seq - 1);
                }
            }
            batch.add(toEvent(row));
            next = seq + 1;
        }
        if (!batch.isEmpty()) {
            position = batch.getLast().seq();
            fences.headMap(position, true).clear();
            for (FeedSubscription subscription : subscriptions) {
                try {
                    subscription.live(batch);
                } catch (RuntimeException e) {
                    // One subscriber's failure must not keep the batch from the others: the position has moved.
                    log.error("event feed subscriber failed, ending its subscription seq={}", position, e);
                    drop(subscription);
                }
            }
        }
        return outcome;
    }

    /**
     * This node read nothing for longer than the retention (it was cut off from PostgreSQL for days while another
     * node pruned): the events after its position are gone. It moves past them, and every subscription still below
     * them is told, so that none takes the next events for the ones it was waiting for.
     */
    private void fellBehindPruning(long horizon) {
        log.warn("event feed fell behind the pruned event log: seqs from={} to={} are gone; the subscribers that"
                + " had not read them start over", position + 1, horizon);
        position = horizon;
        fences.headMap(position, true).clear();
        for (FeedSubscription subscription : subscriptions) {
            if (subscription.delivered < horizon) {
                try {
                    subscription.pruned(horizon);
                } catch (RuntimeException e) {
                    log.error("event feed subscriber failed, ending its subscription seq={}", horizon, e);
                    drop(subscription);
                }
            }
        }
    }

    /** Ends a subscription whose subscriber failed, telling it as an overflow (its client resumes or reloads). */
    private static void drop(FeedSubscription subscription) {
        try {
            subscription.overflow();
        } catch (RuntimeException e) {
            subscription.cancel();
        }
    }

    private void watch(long from, long to, long fence) {
        for (long s = from; s <= to; s++) {
            if (watched.size() >= MAX_WATCHED) {
                log.warn("event feed watches {} passed seqs already; seqs from={} to={} are not watched: an event"
                        + " committed there later reaches no subscriber (./throughline reindex picks it up)",
                        MAX_WATCHED, s, to);
                return;
            }
            watched.put(s, fence);
        }
    }

    /**
     * Looks for events committed in seqs the feed passed, and stops watching a seq once every transaction that could
     * hold it has ended: events and {@code xmin} come from one snapshot, so a commit just before is seen.
     */
    private void checkLate() {
        if (stopped || checkingLate || watched.isEmpty()) {
            return;
        }
        checkingLate = true;
        Long[] seqs = watched.keySet().toArray(new Long[0]);
        pool.preparedQuery(LATE).execute(Tuple.tuple().addArrayOfLong(seqs))
                .timeout(QUERY_TIMEOUT_MS, TimeUnit.MILLISECONDS).onComplete(ar -> {
            checkingLate = false;
            if (stopped) {
                // Nothing is handed over any more: what is still watched stays in watchedSeqs() for the last commit.
                return;
            }
            if (ar.failed()) {
                log.warn("event feed could not look for late events: {}", ar.cause().getMessage());
                return;
            }
            List<Event> late = new ArrayList<>();
            long xmin = 0;
            for (Row row : ar.result()) {
                xmin = row.getLong("xmin");
                if (row.getLong("seq") != null) {
                    late.add(toEvent(row));
                }
            }
            if (!late.isEmpty()) {
                log.warn("event feed found {} event(s) committed after their seqs were passed, seqs {}..{}: handed to"
                        + " subscribers that take late events", late.size(), late.getFirst().seq(),
                        late.getLast().seq());
                for (Consumer<List<Event>> listener : lateListeners) {
                    try {
                        listener.accept(late);
                    } catch (RuntimeException e) {
                        log.error("late event listener failed", e);
                    }
                }
                List<Event> live = late.stream().filter(event -> !restored.contains(event.seq())).toList();
                if (!live.isEmpty()) {
                    for (FeedSubscription subscription : subscriptions) {
                        subscription.late(live);
                    }
                }
            }
            // Only once the listeners have them: one that persists watchedSeqs() always holds a seq somewhere.
            late.forEach(event -> watched.remove(event.seq()));
            // Only the seqs this query looked at: one watched since may have committed before its snapshot.
            long oldestRunning = xmin;
            for (Long seq : seqs) {
                watched.computeIfPresent(seq, (s, fence) -> XidFence.passed(oldestRunning, fence) ? null : fence);
            }
            restored.retainAll(watched.keySet());
        });
    }

    /** Each row also carries the pruning horizon, and there is a row even without events (or a horizon row). */
    private static String withXmin(String condition) {
        return """
                SELECT pg_snapshot_xmin(pg_current_snapshot())::text::bigint AS xmin,
                       coalesce(h.pruned_through, 0) AS pruned_through,
                       e.seq, e.workspace_id, e.type, e.data, e.created_at
                FROM (SELECT 1) one LEFT JOIN event_horizon h ON true LEFT JOIN LATERAL (
                    SELECT seq, workspace_id, type, data, created_at FROM events WHERE %s
                ) e ON true""".formatted(condition);
    }

    /**
     * Wraps a query of events (seq, workspace_id, type, data, created_at) so that each row also carries the pruning
     * horizon ({@code pruned_through}) read in the same snapshot, and there is one row (its seq null) even without
     * events: a reader whose resume seq is at or above that horizon has missed nothing the query did not return.
     */
    public static String withHorizon(String eventsQuery) {
        return "SELECT coalesce(h.pruned_through, 0) AS pruned_through, e.*"
                + " FROM (SELECT 1) one LEFT JOIN event_horizon h ON true LEFT JOIN LATERAL (" + eventsQuery
                + ") e ON true";
    }

    /** An event from a row of the events table (or of {@link #withHorizon}, where its seq is not null). */
    public static Event toEvent(Row row) {
        Object data = row.getValue("data");
        return new Event(row.getLong("seq"), row.getLong("workspace_id"), row.getString("type"),
                data instanceof JsonObject json ? json : new JsonObject(String.valueOf(data)),
                row.getOffsetDateTime("created_at").toInstant());
    }

    /**
     * One subscriber's state machine, on the feed context: catching up from PostgreSQL while buffering live events,
     * then live.
     */
    private final class FeedSubscription implements EventSubscription {
        private final Long workspaceId;
        private final EventListener listener;
        private long delivered;
        /** {@link #delivered} once the listener has returned from the events through it ({@link #position}). */
        private volatile long handed;
        private List<Event> buffer = new ArrayList<>();
        /** The newest seq of the live events seen while catching up, this subscriber's or not. */
        private long bufferedThrough;
        private boolean catchingUp = true;
        private volatile boolean cancelled;

        FeedSubscription(long since, Long workspaceId, EventListener listener) {
            this.delivered = since;
            this.handed = since;
            this.workspaceId = workspaceId;
            this.listener = listener;
        }

        void begin() {
            if (cancelled) {
                return;
            }
            subscriptions.add(this);
            if (cancelled) {
                // Cancelled (on the client's own event loop) between the check and the add: its remove came first.
                subscriptions.remove(this);
                return;
            }
            catchUp(position);
        }

        private void catchUp(long target) {
            if (cancelled) {
                return;
            }
            if (delivered >= target) {
                finishCatchUp();
                return;
            }
            // The horizon comes from the same snapshot as the events: when it is at or below what the subscriber
            // has, nothing it needs from this page had been pruned.
            String sql = withHorizon("SELECT seq, workspace_id, type, data, created_at FROM events"
                    + " WHERE seq > $1 AND seq <= $2" + (workspaceId == null ? "" : " AND workspace_id = $4")
                    + " ORDER BY seq LIMIT $3");
            Tuple params = Tuple.of(delivered, target, PAGE);
            if (workspaceId != null) {
                params.addLong(workspaceId);
            }
            // Bounded as the poll is: a query on a connection the network dropped silently would otherwise hold
            // this subscriber in its catch-up, getting nothing, until thousands of events had piled up.
            pool.preparedQuery(sql).execute(params).timeout(QUERY_TIMEOUT_MS, TimeUnit.MILLISECONDS)
                    .onComplete(ar -> context.runOnContext(v -> {
                if (cancelled) {
                    return;
                }
                if (ar.failed()) {
                    cancel();
                    listener.onError(ar.cause());
                    return;
                }
                long horizon = ar.result().iterator().next().getLong("pruned_through");
                if (horizon > delivered) {
                    prunedThrough = Math.max(prunedThrough, horizon);
                    pruned(horizon);
                    return;
                }
                List<Event> page = new ArrayList<>();
                ar.result().forEach(row -> {
                    if (row.getLong("seq") != null) {
                        page.add(toEvent(row));
                    }
                });
                if (page.size() < PAGE) {
                    emit(page);
                    delivered = Math.max(delivered, target);
                    handed = delivered;
                    finishCatchUp();
                } else {
                    emit(page);
                    catchUp(target);
                }
            }));
        }

        private void finishCatchUp() {
            catchingUp = false;
            List<Event> pending = buffer;
            buffer = null;
            emit(pending);
            if (!cancelled && bufferedThrough > delivered) {
                delivered = bufferedThrough;
                handed = delivered;
            }
        }

        /**
         * Live events; while catching up, only this subscriber's are kept for later: another workspace's traffic
         * must not fill the buffer and end this stream as a slow reader.
         */
        void live(List<Event> batch) {
            if (cancelled) {
                return;
            }
            if (catchingUp) {
                for (Event event : batch) {
                    bufferedThrough = Math.max(bufferedThrough, event.seq());
                    if (workspaceId == null || workspaceId == event.workspaceId()) {
                        buffer.add(event);
                    }
                }
                if (buffer.size() > maxPending) {
                    overflow();
                }
                return;
            }
            emit(batch);
        }

        private void emit(List<Event> events) {
            long from = delivered;
            List<Event> out = new ArrayList<>(events.size());
            for (Event event : events) {
                if (event.seq() > delivered && (workspaceId == null || workspaceId == event.workspaceId())) {
                    out.add(event);
                }
                delivered = Math.max(delivered, event.seq());
            }
            if (!out.isEmpty() && !cancelled) {
                try {
                    listener.onEvents(out);
                } catch (RuntimeException e) {
                    // Ended as an overflow from before this batch: the subscriber starts again from what it has,
                    // rather than going on (heartbeats and all) past events it never got.
                    log.error("event listener failed; ending its subscription as an overflow", e);
                    cancel();
                    try {
                        listener.onOverflow(from);
                    } catch (RuntimeException again) {
                        log.warn("event listener failed on its overflow too: {}", again.toString());
                    }
                    return;
                }
            }
            handed = delivered;
        }

        void late(List<Event> events) {
            if (cancelled) {
                return;
            }
            List<Event> mine = events.stream()
                    .filter(e -> workspaceId == null || workspaceId == e.workspaceId()).toList();
            if (!mine.isEmpty()) {
                try {
                    listener.onLateEvents(mine);
                } catch (RuntimeException e) {
                    log.warn("event listener failed on late events: {}", e.toString());
                }
            }
        }

        void transientSignal(long workspace, String type, JsonObject data) {
            if (cancelled || catchingUp || (workspaceId != null && workspaceId != workspace)) {
                return;
            }
            try {
                listener.onTransient(type, data);
            } catch (RuntimeException e) {
                log.warn("event listener failed on a transient signal type={}: {}", type, e.toString());
            }
        }

        /** Events this subscriber had not read yet were pruned: it is over, and starts over from the horizon. */
        void pruned(long horizon) {
            if (cancelled) {
                return;
            }
            log.info("event subscription resumed below the pruned event log since={} prunedThrough={}", delivered,
                    horizon);
            cancel();
            try {
                listener.onPruned(horizon);
            } catch (RuntimeException e) {
                log.error("event listener failed on pruned history", e);
            }
        }

        private void overflow() {
            long last = delivered;
            cancel();
            listener.onOverflow(last);
        }

        @Override
        public void cancel() {
            cancelled = true;
            subscriptions.remove(this);
        }

        @Override
        public long position() {
            return handed;
        }
    }
}
