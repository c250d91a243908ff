package io.throughline.search;

import io.throughline.config.ThroughlineConfig;
import io.throughline.conversation.Status;
import io.throughline.failure.Conflict;
import io.throughline.failure.Unavailable;
import io.throughline.realtime.Event;
import io.throughline.realtime.EventFeed;
import io.throughline.realtime.Subscription;
import io.throughline.store.Database;
import io.throughline.store.ServerSecrets;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Collections;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.lucene.analysis.Analyzer;
import org.apache.lucene.search.IndexSearcher;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * This node's search index: the generation in service and the {@link Indexer} keeping it in step with the event
 * log, plus rebuilds. On start it opens the generation named by {@code CURRENT} and replays the events after its
 * last commit; with no usable index (first start, {@code data/index} deleted, a new schema version, a corrupt
 * index) it builds one from PostgreSQL in the background, and search answers 503 until it is ready.
 *
 * <p>A rebuild ({@code ./throughline reindex}) writes a new generation while the current one keeps serving:
 * scan every message from PostgreSQL into it, follow the event feed from the seq the scan started at until it has
 * caught up with the serving indexer, then make it {@code CURRENT} and swap. Searches in flight finish on the old
 * generation, which is deleted once they release it.
 */
public final class SearchIndex implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(SearchIndex.class);
    private static final Duration RETRY_FAILED_BUILD = Duration.ofSeconds(30);
    /** The longest wait for the new generation's commit before the swap (a commit takes well under a second). */
    private static final Duration COMMIT_BEFORE_SWAP = Duration.ofSeconds(60);
    private static final String FOLDER_DELETED = "the index folder was deleted while the server ran";

    private final ThroughlineConfig.Search settings;
    private final Path root;
    private final Database database;
    private final EventFeed feed;
    private final MessageSource source = new MessageSource();
    private final Analyzer analyzer = SearchAnalyzers.create();
    private final Analyzer indexAnalyzer = SearchAnalyzers.forIndexing();
    private final OperatorChannel operator;
    /** Runs the slices of a search after the first (which runs on the caller) in parallel, one per core. */
    private final ExecutorService slices = Executors.newFixedThreadPool(Runtime.getRuntime().availableProcessors(),
            Thread.ofPlatform().daemon().name("search-slice-", 0).factory());

    private volatile IndexStore store;
    private volatile String localUrl;
    private String owner;
    private volatile Indexer active;
    private volatile RebuildProgress rebuild;
    private volatile Thread rebuildThread;
    private volatile boolean closed;

    public SearchIndex(ThroughlineConfig.Search settings, Path root, Database database, EventFeed feed) {
        this.settings = settings;
        this.root = root;
        this.database = database;
        this.feed = feed;
        this.operator = new OperatorChannel(root);
    }

    /** Opens the index in service, or starts building one; returns at once either way. */
    public void start() {
        store = IndexStore.open(root);
        Thread.ofVirtual().name("search-warmup").start(this::warmUp);
        Optional<String> current = store.current();
        owner = ownerOf(database);
        String refused = null;
        if (current.isPresent() && IndexStore.schemaOf(current.get()) == SearchFields.SCHEMA_VERSION) {
            LiveIndex index = null;
            try {
                index = openIndex(current.get(), false);
                refused = refusal(index);
                if (refused != null) {
                    throw new IllegalStateException(refused);
                }
                store.deleteGenerationsExcept(current.get());
                Indexer indexer = newIndexer(index);
                indexer.start(index.committedSeq(), index.committedAwaited());
                active = indexer;
                log.info("search index opened generation={} seq={} lag={}", current.get(), index.committedSeq(),
                        Math.max(0, feed.position() - index.committedSeq()));
                return;
            } catch (IOException | RuntimeException e) {
                if (index != null) {
                    // Not in service: its writer holds the folder's lock and files, and its reopen thread runs.
                    index.close();
                }
                if (refused == null) {
                    log.error("search index generation={} cannot be opened; rebuilding it from PostgreSQL",
                            current.get(), e);
                } else {
                    log.warn("search index generation={} not used: {}; rebuilding it from PostgreSQL", current.get(),
                            refused);
                }
            }
        }
        store.deleteGenerationsExcept(current.orElse(null));
        String reason = current.isEmpty() ? "no index yet"
                : IndexStore.schemaOf(current.get()) != SearchFields.SCHEMA_VERSION
                ? "index schema v" + IndexStore.schemaOf(current.get()) + " replaced by v" + SearchFields.SCHEMA_VERSION
                : refused != null ? refused : "the index could not be opened";
        startRebuild(reason);
    }

    /** The id of the database, kept in it, that every commit records (see {@link SearchFields#COMMIT_OWNER}). */
    static String ownerOf(Database database) {
        return HexFormat.of().formatHex(ServerSecrets.getOrCreate(database.sql(), SearchFields.OWNER_SECRET, 16));
    }

    /**
     * Why an index that opened must not be used: it was derived from another database (the data directory now
     * points elsewhere), or from a later state of this one (the database was restored from a backup). Null when
     * it is fine.
     */
    private String refusal(LiveIndex index) {
        if (index.committedOwner() != null && !index.committedOwner().equals(owner)) {
            return "the index was built from another database";
        }
        if (index.committedSeq() > feed.position()) {
            return "the index is ahead of the database (restored from a backup?)";
        }
        return null;
    }

    /** Writes the file that lets {@code ./throughline reindex} on this machine reach this server. */
    public void publishControl(String localUrl) {
        this.localUrl = localUrl;
        operator.publish(localUrl);
    }

    /** True when {@code token} is this server's operator token (see {@link OperatorChannel}). */
    public boolean isOperator(String token) {
        return operator.accepts(token);
    }

    Analyzer analyzer() {
        return analyzer;
    }

    /**
     * The analyzer documents are indexed with ({@link SearchAnalyzers#forIndexing()}): what snippets read a hit's
     * words with, so a prefix matching a part of a word ({@code march*} in {@code receipt_march.pdf}) is marked.
     */
    Analyzer indexAnalyzer() {
        return indexAnalyzer;
    }

    /**
     * A searcher over the generation in service, for one search; {@link Unavailable} while the first index is
     * being built. Always close the lease in {@code finally}.
     */
    Lease acquire() throws IOException {
        return acquire(null, 0);
    }

    /**
     * A lease on the searcher pinned for a search's earlier page ({@code generation} and {@code version}, from its
     * cursor), or on the newest one when that is no longer kept or the index was rebuilt since.
     */
    Lease acquire(String generation, long version) throws IOException {
        while (true) {
            Indexer current = active;
            if (current == null) {
                RebuildProgress progress = rebuild;
                long eta = progress == null ? -1 : progress.etaSeconds();
                throw new Unavailable("the search index is being built from the message history ("
                        + (progress == null ? 0 : progress.toJson().getLong("percent")) + "% done); search is"
                        + " available when it finishes", Duration.ofSeconds(eta > 0 ? Math.min(eta, 60) : 5));
            }
            LiveIndex index = current.index();
            if (index.retain()) {
                try {
                    IndexSearcher pinned = generation != null && generation.equals(index.generation())
                            ? index.acquirePinned(version) : null;
                    return new Lease(index, pinned != null ? pinned : index.acquireSearcher(),
                            generation != null && pinned == null);
                } catch (IOException | RuntimeException e) {
                    index.release();
                    throw e;
                }
            }
            if (active == current) {
                // Closed with nothing after it (the server is stopping): not a reason to spin.
                throw new Unavailable("the search index is closing", Duration.ofSeconds(5));
            }
            // Swapped out and closed between the read and the retain: take the new one.
        }
    }

    /** One search's hold on a generation and its searcher. */
    static final class Lease implements AutoCloseable {
        private final LiveIndex index;
        private final IndexSearcher searcher;
        private final boolean pinLost;

        Lease(LiveIndex index, IndexSearcher searcher, boolean pinLost) {
            this.index = index;
            this.searcher = searcher;
            this.pinLost = pinLost;
        }

        /** Whether a pinned searcher was asked for and is no longer kept (this is the newest one instead). */
        boolean pinLost() {
            return pinLost;
        }

        /**
         * The searcher for one workspace's search: the leased reader, scoring with that workspace's statistics
         * alone (never another workspace's figures), so its scores say nothing about the rest of the index.
         */
        IndexSearcher searcher(long workspaceId) {
            return index.scoped(searcher, workspaceId);
        }

        /** Where this searcher is kept for the search's next page: its generation, and its pinned version. */
        SearchCursor.Pin pin() throws IOException {
            return new SearchCursor.Pin(index.generation(), index.pin(searcher));
        }

        @Override
        public void close() {
            index.releaseSearcher(searcher);
            index.release();
        }
    }

    /**
     * Starts an online rebuild; {@link Conflict} when one is already running.
     *
     * @param reason why, for the log and the status
     */
    public synchronized RebuildProgress startRebuild(String reason) {
        if (closed) {
            throw new Unavailable("the server is shutting down", Duration.ofSeconds(5));
        }
        RebuildProgress running = rebuild;
        if (running != null && !running.phase().finished()) {
            throw new Conflict("a rebuild of the search index is already running (generation "
                    + running.generation() + ", started for: " + running.toJson().getString("reason") + ")");
        }
        reopenStoreIfDeleted();
        Indexer serving = active;
        String generation = store.nextGeneration(serving == null ? null : serving.index().generation());
        RebuildProgress progress = new RebuildProgress(generation, reason);
        rebuild = progress;
        rebuildThread = Thread.ofPlatform().daemon().name("search-rebuild-" + generation)
                .start(() -> runRebuild(progress));
        log.info("search index rebuild started generation={} reason={}", generation, reason);
        return progress;
    }

    /** The running rebuild, or the last one. */
    public Optional<RebuildProgress> rebuildProgress() {
        return Optional.ofNullable(rebuild);
    }

    private void runRebuild(RebuildProgress progress) {
        String generation = progress.generation();
        LiveIndex fresh = null;
        Indexer follower = null;
        // A late event during the scan changes a message the scan may have read already: the new index applies it
        // too. Collected from before the scan until the new index's own indexer takes them.
        List<Event> lateDuringScan = new CopyOnWriteArrayList<>();
        Subscription collecting = feed.onLateEvents(lateDuringScan::addAll);
        try {
            fresh = openIndex(generation, true);
            long from = feed.position();
            long started = System.nanoTime();
            long documents = new IndexBuild(database, source, buildThreads()).run(fresh, progress, () -> closed);
            if (closed) {
                throw new InterruptedException("shutting down");
            }
            fresh.commit(from, feed.watchedSeqs());
            log.info("search index scanned generation={} messages={} ms={} seq={}", generation, documents,
                    (System.nanoTime() - started) / 1_000_000, from);
            progress.phase(RebuildProgress.Phase.CATCHING_UP);
            follower = newIndexer(fresh);
            // The feed already watches what it passed in this run.
            follower.start(from, Collections.emptySortedSet());
            collecting.cancel();
            if (!lateDuringScan.isEmpty()) {
                follower.takeLate(List.copyOf(lateDuringScan));
            }
            awaitCaughtUp(follower);
            progress.phase(RebuildProgress.Phase.SWAPPING);
            // On disk before it goes in service: a crash right after the swap then resumes from what was caught up
            // (late events of the scan included), not from the scan's commit.
            commitBeforeSwap(follower);
            swapTo(follower);
            progress.phase(RebuildProgress.Phase.DONE);
            log.info("search index rebuilt generation={} messages={} ms={}", generation, documents,
                    (System.nanoTime() - started) / 1_000_000);
            if (!closed && folderGone(fresh)) {
                // The folder was deleted as this rebuild ended: the generation it put in service went with it.
                // In service now, whatever happens next: a failure here must not discard it.
                try {
                    startRebuild(FOLDER_DELETED);
                } catch (RuntimeException e) {
                    log.warn("search index folder deleted during a rebuild; no rebuild could follow: {}",
                            e.toString());
                }
            }
        } catch (InterruptedException e) {
            progress.phase(RebuildProgress.Phase.CANCELLED);
            discard(generation, fresh, follower);
            log.info("search index rebuild cancelled generation={}", generation);
        } catch (IOException | RuntimeException | Error e) {
            // An Error too (a heap too small for the build): the rebuild must end failed, its half-built index
            // discarded, or the phase stays "scanning" and every later rebuild is refused as running.
            progress.failed(e.getMessage() == null ? e.toString() : e.getMessage());
            discard(generation, fresh, follower);
            log.error("search index rebuild failed generation={}; the index in service is unchanged", generation, e);
            if (needsRebuild() && !closed) {
                retryLater();
            }
        } finally {
            collecting.cancel();
        }
    }

    /** Waits until the new generation holds at least what the one in service holds. */
    private void awaitCaughtUp(Indexer follower) throws InterruptedException {
        long target = feed.position();
        while (!closed) {
            if (follower.failure() != null) {
                throw new IllegalStateException("the new index cannot be written", follower.failure());
            }
            if (follower.stale()) {
                throw new IllegalStateException("events were pruned from the event log before the new index read"
                        + " them (the build took longer than realtime.eventRetention)");
            }
            Indexer serving = active;
            long wanted = Math.max(target, serving == null ? 0 : serving.appliedSeq());
            if (follower.appliedSeq() >= wanted) {
                return;
            }
            TimeUnit.MILLISECONDS.sleep(10);
        }
        throw new InterruptedException("shutting down");
    }

    private void commitBeforeSwap(Indexer follower) throws InterruptedException, IOException {
        try {
            follower.commitNow().get(COMMIT_BEFORE_SWAP.toMillis(), TimeUnit.MILLISECONDS);
        } catch (ExecutionException e) {
            throw new IOException("the new index could not be committed: " + e.getCause(), e.getCause());
        } catch (TimeoutException e) {
            throw new IOException("the new index was not committed within " + COMMIT_BEFORE_SWAP.toSeconds() + " s");
        }
    }

    private synchronized void swapTo(Indexer follower) {
        if (closed) {
            throw new IllegalStateException("shutting down");
        }
        LiveIndex fresh = follower.index();
        store.makeCurrent(fresh.generation());
        Indexer previous = active;
        active = follower;
        // In service from here: a failure to close or delete what it replaces must not reach the rebuild's handler,
        // which would discard the generation CURRENT names and leave every search answered "closing".
        try {
            if (previous != null) {
                previous.stop();
                String old = previous.index().generation();
                previous.index().whenClosed(() -> store.deleteGeneration(old));
                previous.index().close();
            } else {
                // Nothing was in service: whatever else is on disk (an index of an older schema) is garbage now.
                store.deleteGenerationsExcept(fresh.generation());
            }
        } catch (RuntimeException e) {
            log.warn("search index generation {} in service; the one it replaced could not be closed or removed"
                    + " (a later start removes it): {}", fresh.generation(), e.toString());
        }
        log.info("search index generation in service generation={} seq={}", fresh.generation(),
                follower.appliedSeq());
    }

    private void discard(String generation, LiveIndex fresh, Indexer follower) {
        if (follower != null) {
            follower.stop();
        }
        if (fresh != null) {
            fresh.whenClosed(() -> store.deleteGeneration(generation));
            fresh.close();
        } else {
            store.deleteGeneration(generation);
        }
    }

    private void retryLater() {
        Thread.ofVirtual().name("search-rebuild-retry").start(() -> {
            try {
                TimeUnit.MILLISECONDS.sleep(RETRY_FAILED_BUILD.toMillis());
                if (!closed && needsRebuild()) {
                    startRebuild("retrying the build that failed");
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            } catch (RuntimeException e) {
                log.warn("search index rebuild retry failed: {}", e.toString());
            }
        });
    }

    /** Loads the dictionaries and stemmers now, so the first message and the first search do not wait for them. */
    private void warmUp() {
        try {
            MessageDocuments.toDocument(new IndexedMessage(0, 0, 0, 0, "api", "in", Instant.now(),
                    Status.OPEN, null, "warm-up", false));
            for (String field : SearchFields.textFields()) {
                try (var stream = analyzer.tokenStream(field, "замовлення заказы zamówienia refunded a@b.co")) {
                    stream.reset();
                    while (stream.incrementToken()) {
                        // consume
                    }
                    stream.end();
                }
            }
        } catch (IOException | RuntimeException e) {
            log.debug("search analyzers warm-up failed: {}", e.toString());
        }
    }

    private LiveIndex openIndex(String generation, boolean create) throws IOException {
        return LiveIndex.open(generation, owner, store.pathOf(generation), indexAnalyzer,
                settings.ramBufferBytes() / (1024.0 * 1024.0), settings.maxStaleness(), create, slices);
    }

    private Indexer newIndexer(LiveIndex index) {
        return new Indexer(index, database, source, feed, settings.commitInterval(), this::historyLost,
                () -> writerFailed(index));
    }

    /**
     * Nothing is in service, or what is no longer follows the log: it missed pruned events, or its folder was
     * deleted under it. (An index that fails for another cause, such as a full disk, is the operator's to fix.)
     */
    private boolean needsRebuild() {
        Indexer current = active;
        return current == null || current.stale() || (current.failure() != null && folderGone(current.index()));
    }

    /**
     * An index could not be written. When its folder is gone (someone deleted {@code data/index} under the running
     * server), a rebuild from PostgreSQL replaces it, into the folder made again ({@link #startRebuild}); search
     * serves the snapshot it held meanwhile (its files stay readable while open). Any other cause (a full disk) is
     * for the operator to fix, then restart or reindex: a rebuild now would fail the same way.
     */
    private void writerFailed(LiveIndex index) {
        Thread.ofVirtual().name("search-recover").start(() -> {
            // Only the index in service: a retired generation's folder is deleted by the swap that retired it.
            Indexer serving = active;
            if (closed || serving == null || serving.index() != index || !folderGone(index)) {
                return;
            }
            log.warn("search index folder of generation={} was deleted while the server ran; rebuilding the index"
                    + " from PostgreSQL", index.generation());
            try {
                startRebuild(FOLDER_DELETED);
            } catch (Conflict e) {
                // The running rebuild starts another when it ends, if the index in service still needs one.
                log.info("search index rebuild already running; another follows it if still needed");
            } catch (RuntimeException e) {
                log.warn("search index rebuild after the folder was deleted could not start: {}", e.toString());
            }
        });
    }

    /** Whether an index's folder is gone from the disk (deleted under it, with or without its parent). */
    private boolean folderGone(LiveIndex index) {
        return !Files.isDirectory(store.pathOf(index.generation()));
    }

    /**
     * Makes the index folder again when it was deleted under the running server, with its lock and the file
     * {@code reindex} reads. Holds the monitor: called by {@link #startRebuild}.
     */
    private void reopenStoreIfDeleted() {
        if (store.intact()) {
            return;
        }
        IndexStore reopened = IndexStore.open(root);
        store.close();
        store = reopened;
        if (localUrl != null) {
            operator.publish(localUrl);
        }
        log.warn("search index folder {} was deleted while the server ran; made again", root);
    }

    /**
     * An indexer missed pruned events: the one in service (opened after its node was down longer than the
     * retention, or left that far behind) keeps serving what it has while a rebuild replaces it; a rebuild's own
     * follower fails that rebuild (see {@link #awaitCaughtUp}), which is retried while the index in service is
     * itself stale or missing.
     */
    private void historyLost() {
        Thread.ofVirtual().name("search-rebuild-pruned").start(() -> {
            if (closed || !needsRebuild()) {
                return;
            }
            try {
                startRebuild("events the index had not applied were pruned from the event log");
            } catch (Conflict e) {
                log.info("search index missed pruned events; the rebuild already running replaces it");
            } catch (RuntimeException e) {
                log.warn("search index rebuild after pruned events could not start: {}", e.toString());
            }
        });
    }

    private int buildThreads() {
        return settings.buildThreads() > 0 ? settings.buildThreads() : Runtime.getRuntime().availableProcessors();
    }

    /** The {@code search} entry of {@code GET /health}. */
    public JsonObject health() {
        JsonObject check = new JsonObject();
        Indexer current = active;
        RebuildProgress progress = rebuild;
        if (current == null) {
            check.put("status", closed ? "down" : "building");
        } else {
            Throwable failure = current.failure();
            LiveIndex index = current.index();
            check.put("status", failure != null ? "down" : current.stale() ? "stale" : "up")
                    .put("generation", index.generation())
                    .put("seq", current.appliedSeq())
                    .put("lagEvents", Math.max(0, feed.position() - current.appliedSeq()))
                    .put("committedSeq", index.committedSeq())
                    .put("lastCommitAt", Instant.ofEpochMilli(index.lastCommitMillis()).toString());
            boolean rebuilding = progress != null && !progress.phase().finished();
            if (failure != null && rebuilding) {
                check.put("detail", "the index cannot be written (" + failure.getMessage() + "); search serves what"
                        + " it held while a rebuild from PostgreSQL replaces it");
            } else if (failure != null && folderGone(index)) {
                // A rebuild starts on its own (and is retried when it fails): between two tries, or when it
                // could not start.
                check.put("detail", "the index folder " + root + " was deleted while the server ran; a rebuild"
                        + " from PostgreSQL replaces it (if none starts, restart the server)");
            } else if (failure != null) {
                check.put("detail", "the index cannot be written: " + failure.getMessage()
                        + "; fix the cause, then restart or run ./throughline reindex");
            } else if (current.stale()) {
                check.put("detail", "events the index had not applied were pruned from the event log; search"
                        + " serves what it has while a rebuild replaces it");
            }
            if (index.retain()) {
                try {
                    check.put("documents", index.documents());
                } catch (IOException | RuntimeException e) {
                    check.put("documents", null);
                } finally {
                    index.release();
                }
            }
        }
        if (progress != null) {
            check.put("rebuild", progress.toJson());
        }
        return check;
    }

    /**
     * Stops in order: any rebuild (its half-built generation is deleted), the indexer (committing what it
     * applied), the index (once searches in flight release it), the directory lock.
     */
    @Override
    public void close() {
        synchronized (this) {
            closed = true;
        }
        Thread building = rebuildThread;
        if (building != null) {
            try {
                building.join(60_000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        Indexer current = active;
        if (current != null) {
            current.stop();
            current.index().close();
        }
        operator.withdraw();
        if (store != null) {
            store.close();
        }
        slices.shutdown();
        analyzer.close();
        indexAnalyzer.close();
    }
}
