package io.throughline.search;

import io.throughline.realtime.Event;
import io.throughline.realtime.EventFeed;
import io.throughline.realtime.EventListener;
import io.throughline.realtime.Subscription;
import io.throughline.store.Database;
import io.throughline.store.Sql;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.SortedSet;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps one {@link LiveIndex} in step with the event log. It subscribes to the {@link EventFeed} from the seq
 * the index holds; the feed's callbacks run on its event loop and only queue the batch. One writer thread applies
 * the batches in seq order, reading what to index from PostgreSQL, and commits every
 * {@code search.commitInterval} with the last applied seq in the commit's user data.
 *
 * <p>A slow writer never makes the feed buffer without bound: past {@value #MAX_QUEUED_EVENTS} queued events the
 * subscription is cancelled, and taken again from the last queued seq once the queue is drained. A batch that
 * fails to apply (PostgreSQL away) is retried with backoff and never skipped; an error of the index itself (disk
 * full) stops this indexer, reported by the health check, and a restart resumes from the last commit. Events the
 * feed hands over late (their transaction held its seq past {@code realtime.gapTimeout}) are applied as they come;
 * each commit also records the seqs still awaited that way, and a restart has the feed watch them again.
 */
final class Indexer {

    private static final Logger log = LoggerFactory.getLogger(Indexer.class);
    static final int MAX_QUEUED_EVENTS = 50_000;
    private static final int MAX_BATCH_EVENTS = 2_000;
    private static final long MAX_RETRY_MS = 5_000;
    private static final List<Event> WAKE = List.of();

    private final LiveIndex index;
    private final Database database;
    private final MessageSource source;
    private final EventFeed feed;
    private final long commitIntervalMs;
    private final LinkedBlockingQueue<List<Event>> queue = new LinkedBlockingQueue<>();
    /** Asked-for commits (see {@link #commitNow}), done by the loop at its next turn. */
    private final ConcurrentLinkedQueue<CompletableFuture<Void>> commitsAsked = new ConcurrentLinkedQueue<>();
    private final AtomicLong queuedEvents = new AtomicLong();
    private final AtomicInteger epoch = new AtomicInteger();
    /** Seqs of late events queued and not yet applied: the feed no longer watches them, so a commit must name them. */
    private final Set<Long> lateQueued = ConcurrentHashMap.newKeySet();
    /** Seqs the last commit awaited, until the feed confirms it watches them again: a commit must name them too. */
    private final Set<Long> restoring = ConcurrentHashMap.newKeySet();
    private volatile Subscription lateEvents;

    private volatile long appliedSeq;
    private volatile long queuedSeq;
    private volatile Subscription subscription;
    private volatile boolean paused;
    private volatile boolean resubscribe;
    private volatile boolean stopping;
    /** Events it had not applied were pruned from the log: it follows no more, and is replaced by a rebuild. */
    private volatile boolean historyLost;
    private final Runnable onHistoryLost;
    private final Runnable onFailure;
    private volatile Throwable failure;
    private Thread thread;

    /**
     * @param onHistoryLost called once if events it had not applied are pruned from the log (see {@link #stale})
     * @param onFailure called once if it stops because the index cannot be written (see {@link #failure})
     */
    Indexer(LiveIndex index, Database database, MessageSource source, EventFeed feed, Duration commitInterval,
            Runnable onHistoryLost, Runnable onFailure) {
        this.index = index;
        this.onHistoryLost = onHistoryLost;
        this.onFailure = onFailure;
        this.database = database;
        this.source = source;
        this.feed = feed;
        this.commitIntervalMs = Math.max(100, commitInterval.toMillis());
    }

    /**
     * Starts following the feed after {@code fromSeq}, the seq the index already holds.
     *
     * @param awaited seqs at or below it whose events may still commit, as the index's last commit recorded them
     */
    void start(long fromSeq, SortedSet<Long> awaited) {
        appliedSeq = fromSeq;
        queuedSeq = fromSeq;
        lateEvents = feed.onLateEvents(this::takeLate);
        subscribe(fromSeq);
        restoring.addAll(awaited);
        feed.watch(awaited).onSuccess(v -> restoring.removeAll(awaited));
        thread = Thread.ofPlatform().daemon().name("search-writer-" + index.generation()).start(this::run);
        log.info("search indexer started generation={} seq={} awaited={}", index.generation(), fromSeq,
                awaited.size());
    }

    LiveIndex index() {
        return index;
    }

    /** Every event up to this seq is in the index (searchable within the reopen staleness). */
    long appliedSeq() {
        return appliedSeq;
    }

    /**
     * True once events it had not applied were pruned from the log ({@code realtime.eventRetention}) before it read
     * them: it stops following, keeps serving what it has, and keeps committing its old seq, so a restart before
     * a rebuild replaces it still finds it behind the horizon and rebuilds.
     */
    boolean stale() {
        return historyLost;
    }

    /** Why this indexer stopped applying events, or null while it works. */
    Throwable failure() {
        return failure;
    }

    /**
     * Subscribes after {@code fromSeq}. Callbacks of an older subscription are ignored from here on; one already
     * past that check may still queue a batch the new subscription delivers again, which is harmless (applying is
     * idempotent), while a gap is impossible.
     */
    private void subscribe(long fromSeq) {
        int mine = epoch.incrementAndGet();
        AtomicReference<Subscription> own = new AtomicReference<>();
        Subscription created = feed.subscribe(fromSeq, null, new EventListener() {
            @Override
            public void onEvents(List<Event> events) {
                if (mine != epoch.get() || stopping || paused) {
                    // Dropped, not lost: the next subscription starts after the last queued seq.
                    return;
                }
                queue.add(events);
                queuedSeq = Math.max(queuedSeq, events.getLast().seq());
                if (queuedEvents.addAndGet(events.size()) > MAX_QUEUED_EVENTS) {
                    paused = true;
                    Subscription self = own.get();
                    if (self != null) {
                        self.cancel();
                    }
                    log.info("search indexer behind, pausing the feed generation={} queued={}", index.generation(),
                            queuedEvents.get());
                }
            }

            @Override
            public void onOverflow(long lastDeliveredSeq) {
                if (mine == epoch.get()) {
                    resubscribe = true;
                    queue.add(WAKE);
                }
            }

            @Override
            public void onPruned(long prunedThrough) {
                if (mine == epoch.get() && !historyLost) {
                    historyLost = true;
                    log.error("search index generation={} missed events pruned from the event log (seqs {} to {}"
                            + " are gone): it stops following the log and is rebuilt from PostgreSQL",
                            index.generation(), queuedSeq + 1, prunedThrough);
                    onHistoryLost.run();
                }
            }

            @Override
            public void onError(Throwable cause) {
                if (mine == epoch.get()) {
                    log.warn("search indexer lost its feed, resubscribing generation={} seq={}: {}",
                            index.generation(), queuedSeq, cause.toString());
                    resubscribe = true;
                    queue.add(WAKE);
                }
            }
        });
        own.set(created);
        subscription = created;
    }

    /**
     * Commits what was applied (late events taken included) at the loop's next turn, not at the next interval;
     * completes once it is on disk, or exceptionally when the index cannot be written.
     */
    CompletableFuture<Void> commitNow() {
        CompletableFuture<Void> done = new CompletableFuture<>();
        commitsAsked.add(done);
        queue.add(WAKE);
        if (failure != null || stopping) {
            done.completeExceptionally(new IllegalStateException("the indexer stopped"));
        }
        return done;
    }

    /**
     * Late events, from the feed's late listener (never paused with the subscription). Indexing reads the current
     * state by id, so an event applied out of order changes nothing else. While stopping they are only remembered,
     * for the last commit to name: a restart has the feed find them again.
     */
    void takeLate(List<Event> events) {
        events.forEach(event -> lateQueued.add(event.seq()));
        if (!stopping && failure == null) {
            queuedEvents.addAndGet(events.size());
            queue.add(events);
        }
    }

    private void run() {
        long nextCommit = System.currentTimeMillis() + commitIntervalMs;
        while (!stopping) {
            try {
                List<Event> first = queue.poll(Math.max(1, nextCommit - System.currentTimeMillis()),
                        TimeUnit.MILLISECONDS);
                if (stopping) {
                    break;
                }
                if (first != null) {
                    List<Event> batch = new ArrayList<>(first);
                    List<Event> more;
                    while (batch.size() < MAX_BATCH_EVENTS && (more = queue.poll()) != null) {
                        batch.addAll(more);
                    }
                    if (!batch.isEmpty() && !applyWithRetry(batch)) {
                        break;
                    }
                }
                if (System.currentTimeMillis() >= nextCommit || !commitsAsked.isEmpty()) {
                    List<CompletableFuture<Void>> asked = new ArrayList<>();
                    for (CompletableFuture<Void> next; (next = commitsAsked.poll()) != null; ) {
                        asked.add(next);
                    }
                    try {
                        commit();
                    } catch (IOException | RuntimeException e) {
                        asked.forEach(done -> done.completeExceptionally(e));
                        throw e;
                    }
                    nextCommit = System.currentTimeMillis() + commitIntervalMs;
                    asked.forEach(done -> done.complete(null));
                }
                if (!historyLost && ((paused && queuedEvents.get() == 0) || resubscribe)) {
                    resubscribe = false;
                    epoch.incrementAndGet();
                    subscription.cancel();
                    paused = false;
                    subscribe(queuedSeq);
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            } catch (IOException | RuntimeException | Error e) {
                fail(e);
                break;
            }
        }
    }

    /** Applies a batch, retrying while PostgreSQL is unreachable; false when stopping or the index broke. */
    private boolean applyWithRetry(List<Event> batch) throws InterruptedException {
        long delay = 100;
        while (!stopping) {
            try {
                apply(batch);
                // Only events in seq order move the position: a late one may lie above events still queued.
                appliedSeq = Math.max(appliedSeq, batch.stream().mapToLong(Event::seq)
                        .filter(seq -> !lateQueued.contains(seq)).max().orElse(appliedSeq));
                if (!lateQueued.isEmpty()) {
                    batch.forEach(event -> lateQueued.remove(event.seq()));
                }
                queuedEvents.addAndGet(-batch.size());
                return true;
            } catch (IOException e) {
                fail(e);
                return false;
            } catch (RuntimeException e) {
                if (index.tragedy() != null || !index.isOpen()) {
                    fail(e);
                    return false;
                }
                log.warn("search indexing failed, retrying in {}ms generation={} seq={}..{}: {}", delay,
                        index.generation(), batch.getFirst().seq(), batch.getLast().seq(), e.toString());
                TimeUnit.MILLISECONDS.sleep(delay);
                delay = Math.min(MAX_RETRY_MS, delay * 2);
            }
        }
        return false;
    }

    private void apply(List<Event> batch) throws IOException {
        IndexChanges changes = IndexChanges.of(batch);
        if (changes.isEmpty()) {
            return;
        }
        Sql sql = database.sql();
        for (var entry : changes.byWorkspace().entrySet()) {
            long workspaceId = entry.getKey();
            IndexChanges.Workspace work = entry.getValue();
            List<IndexedMessage> messages = new ArrayList<>();
            if (!work.movedConversations.isEmpty()) {
                messages.addAll(source.inConversations(sql, workspaceId, work.movedConversations));
            }
            Set<Long> loaded = new HashSet<>();
            messages.forEach(m -> loaded.add(m.id()));
            List<Long> wanted = work.messages.stream().filter(id -> !loaded.contains(id)).toList();
            if (!wanted.isEmpty()) {
                messages.addAll(source.byIds(sql, workspaceId, wanted));
            }
            for (IndexedMessage message : messages) {
                loaded.add(message.id());
                if (message.redacted()) {
                    index.delete(message.id());
                } else {
                    index.upsert(message.id(), MessageDocuments.toDocument(message));
                }
            }
            for (long id : wanted) {
                if (!loaded.contains(id)) {
                    index.delete(id);
                }
            }
            if (!work.conversationStates.isEmpty()) {
                for (MessageSource.ConversationState state : source.conversationStates(sql, workspaceId,
                        work.conversationStates)) {
                    index.updateConversation(state.id(), StatusCodes.of(state.status()),
                            MessageDocuments.assigneeValue(state.assigneeId()));
                }
            }
        }
    }

    private void commit() throws IOException {
        long seq = appliedSeq;
        // In the order a seq moves between them, so one moving meanwhile is in a snapshot taken before it left:
        // restored seqs enter the feed's watched set before they leave restoring, and the feed hands a late event
        // over (lateQueued) before it stops watching its seq.
        SortedSet<Long> awaited = new TreeSet<>(restoring);
        awaited.addAll(feed.watchedSeqs());
        awaited.addAll(lateQueued);
        if (seq != index.committedSeq() || index.hasUncommittedChanges() || !awaited.equals(index.committedAwaited())) {
            index.commit(seq, awaited);
            log.debug("search index committed generation={} seq={} awaited={}", index.generation(), seq,
                    awaited.size());
        }
    }

    private void fail(Throwable e) {
        failure = e;
        // Nothing applies events any more: the feed stops handing them over, and those queued (each with its whole
        // message) are let go, or a disk that stays full would fill the heap too. A restart or a rebuild reads them
        // again from the log and PostgreSQL.
        epoch.incrementAndGet();
        Subscription current = subscription;
        if (current != null) {
            current.cancel();
        }
        queue.clear();
        queuedEvents.set(0);
        for (CompletableFuture<Void> asked; (asked = commitsAsked.poll()) != null; ) {
            asked.completeExceptionally(e);
        }
        if (stopping) {
            // Retired while a batch ran longer than stop() waits (a rebuild swapped a new generation in, which
            // closed this one under it; or a shutdown): nothing the index in service needs, and no rebuild.
            log.info("search indexer of a retired generation ended mid-batch generation={} seq={}: {}",
                    index.generation(), appliedSeq, e.toString());
            return;
        }
        log.error("search indexer stopped: the index cannot be written generation={} seq={}; restart the server or"
                + " run ./throughline reindex once the cause is fixed", index.generation(), appliedSeq, e);
        onFailure.run();
    }

    /**
     * Stops following the feed and commits what was applied (queued events are replayed after a restart). The
     * caller closes the index afterwards.
     */
    void stop() {
        stopping = true;
        epoch.incrementAndGet();
        Subscription current = subscription;
        if (current != null) {
            current.cancel();
        }
        queue.add(WAKE);
        if (thread != null) {
            try {
                thread.join(30_000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        if (failure == null && index.isOpen()) {
            try {
                commit();
            } catch (IOException | RuntimeException e) {
                log.warn("final search index commit failed generation={}: {}", index.generation(), e.toString());
            }
        }
        // Late events that come after this commit are lost to this generation: at shutdown the feed stops first.
        if (lateEvents != null) {
            lateEvents.cancel();
        }
        log.info("search indexer stopped generation={} seq={}", index.generation(), appliedSeq);
    }
}
