package io.throughline.search;

import io.throughline.realtime.EventFeed;
import java.io.Closeable;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Collections;
import java.util.Map;
import java.util.Set;
import java.util.SortedSet;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executor;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Collectors;
import org.apache.lucene.analysis.Analyzer;
import org.apache.lucene.document.Document;
import org.apache.lucene.document.LongField;
import org.apache.lucene.document.NumericDocValuesField;
import org.apache.lucene.index.DirectoryReader;
import org.apache.lucene.index.IndexReader;
import org.apache.lucene.index.IndexWriter;
import org.apache.lucene.index.IndexWriterConfig;
import org.apache.lucene.index.LeafReaderContext;
import org.apache.lucene.search.ControlledRealTimeReopenThread;
import org.apache.lucene.search.IndexSearcher;
import org.apache.lucene.search.ReferenceManager;
import org.apache.lucene.search.SearcherFactory;
import org.apache.lucene.search.SearcherLifetimeManager;
import org.apache.lucene.search.SearcherManager;
import org.apache.lucene.search.Sort;
import org.apache.lucene.search.SortField;
import org.apache.lucene.search.SortedNumericSelector;
import org.apache.lucene.store.Directory;
import org.apache.lucene.store.FSDirectory;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One open index generation, in Gerrit's near-real-time recipe: a single {@link IndexWriter}, a
 * {@link SearcherManager} over it, and a {@link ControlledRealTimeReopenThread} that makes writes searchable
 * within the configured staleness. Searches acquire a searcher and release it in {@code finally}.
 *
 * <p>A commit records the seq of the last event whose changes it holds, so a restart replays only the events
 * after it. The index is sorted newest first, which lets "sort by date" stop after the first page.
 *
 * <p>When a rebuild replaces it, it is retired: it closes once the last search using it has released it.
 */
final class LiveIndex implements Closeable {

    private static final Logger log = LoggerFactory.getLogger(LiveIndex.class);
    /** How long a searcher stays pinned for a search's next page after a newer one replaced it. */
    static final double PIN_SECONDS = 600;
    /**
     * Searchers pinned at most, the newest kept: each holds its segments (merged-away ones too) and their deletions,
     * and under steady writes every refresh is a new one. A next page whose searcher was let go reads the current
     * one (at worst a hit at the page boundary is skipped or repeated).
     */
    static final int MAX_PINS = 32;
    private static final double MIN_STALE_SECONDS = 0.010;

    /** Newest first, then the highest message id: the order of "sort by date", so it can terminate early. */
    static final Sort INDEX_SORT = new Sort(
            LongField.newSortField(SearchFields.CREATED_AT, true, SortedNumericSelector.Type.MIN),
            new SortField(SearchFields.ID, SortField.Type.LONG, true));

    private final String generation;
    private final String owner;
    private final Directory directory;
    private final IndexWriter writer;
    private final SearcherManager searchers;
    private final Executor slices;
    /** Per-workspace scoring statistics of this index's segments. */
    private final WorkspaceStatistics statistics;
    /** Searchers kept for the next pages of searches by relevance ({@link #pin}). */
    private final SearcherLifetimeManager pinned = new SearcherLifetimeManager();
    /** When each pinned searcher was last pinned, by its version. */
    private final Map<Long, Instant> lastPinned = new ConcurrentHashMap<>();
    private final Clock clock;
    private final ControlledRealTimeReopenThread<IndexSearcher> reopener;
    /** Holders: 1 for being the served index, plus one per search in flight. */
    private final AtomicInteger references = new AtomicInteger(1);
    private volatile long committedSeq;
    private volatile SortedSet<Long> committedAwaited;
    private final String committedOwner;
    private volatile long lastCommitMillis;
    private volatile boolean closed;
    private volatile Runnable onClosed = () -> { };

    private LiveIndex(String generation, String owner, Directory directory, IndexWriter writer, Duration maxStale,
                      Executor slices, WorkspaceStatistics statistics, Clock clock) throws IOException {
        this.clock = clock;
        this.generation = generation;
        this.owner = owner;
        this.directory = directory;
        this.writer = writer;
        this.slices = slices;
        this.statistics = statistics;
        // Read first: damaged commit data fails the open before any searcher or thread exists to let go of.
        this.committedSeq = Long.parseLong(commitData(writer, SearchFields.COMMIT_SEQ, "0"));
        this.committedAwaited = Collections.unmodifiableSortedSet(SeqRanges.parse(
                commitData(writer, SearchFields.COMMIT_AWAITED, ""), EventFeed.MAX_WATCHED));
        this.committedOwner = commitData(writer, SearchFields.COMMIT_OWNER, null);
        this.searchers = new SearcherManager(writer, new SearcherFactory() {
            @Override
            public IndexSearcher newSearcher(IndexReader reader, IndexReader previous) throws IOException {
                // A segment new to this searcher (flushed, or opened at start) is counted here rather than in the
                // first search; one a merge wrote was counted by the merge.
                for (LeafReaderContext leaf : reader.leaves()) {
                    statistics.warm(leaf.reader());
                }
                return new IndexSearcher(reader, slices);
            }
        });
        // Every reopen tick (each maxStale, changes or not) lets go of searchers pinned too long: pruned only when
        // a search pinned another, a quiet index kept its last for days, and with it the segments merged away.
        this.searchers.addListener(new ReferenceManager.RefreshListener() {
            @Override
            public void beforeRefresh() {
            }

            @Override
            public void afterRefresh(boolean didRefresh) {
                prunePins();
            }
        });
        this.reopener = new ControlledRealTimeReopenThread<>(writer, searchers,
                Math.max(MIN_STALE_SECONDS, maxStale.toMillis() / 1000.0), MIN_STALE_SECONDS);
        this.reopener.setName("search-reopen-" + generation);
        this.reopener.setDaemon(true);
        // A writer that failed (its folder deleted, a full disk) ends the reopen thread with it; the indexer
        // reports the cause in /health, so this is one line, not a stack trace from a dying thread.
        this.reopener.setUncaughtExceptionHandler((thread, e) -> log.warn("search reopening stopped generation={}:"
                + " {}", generation, e.toString()));
        this.reopener.start();
        this.lastCommitMillis = System.currentTimeMillis();
    }

    /**
     * Opens (or creates) the index in {@code path}.
     *
     * @param owner the identity of the database this index is derived from, recorded with every commit
     * @param create true to start empty, discarding whatever is there
     * @param slices where a search runs the slices of the index after the first, in parallel with it; null to
     *     search them one after the other on the caller (an index nobody searches, such as an offline rebuild's)
     */
    static LiveIndex open(String generation, String owner, Path path, Analyzer analyzer, double ramBufferMb,
                          Duration maxStale, boolean create, Executor slices) throws IOException {
        return open(generation, owner, path, analyzer, ramBufferMb, maxStale, create, slices, Clock.systemUTC());
    }

    /** The same, timing how long searchers stay pinned by {@code clock}. */
    static LiveIndex open(String generation, String owner, Path path, Analyzer analyzer, double ramBufferMb,
                          Duration maxStale, boolean create, Executor slices, Clock clock) throws IOException {
        Directory directory = FSDirectory.open(path);
        try {
            WorkspaceStatistics statistics = new WorkspaceStatistics();
            IndexWriterConfig config = new IndexWriterConfig(analyzer)
                    .setOpenMode(create ? IndexWriterConfig.OpenMode.CREATE : IndexWriterConfig.OpenMode.APPEND)
                    .setIndexSort(INDEX_SORT)
                    .setMergedSegmentWarmer(statistics::warm)
                    .setRAMBufferSizeMB(ramBufferMb)
                    // Commits are explicit, each with the seq it holds; closing must not write one without it.
                    .setCommitOnClose(false);
            IndexWriter writer = new IndexWriter(directory, config);
            try {
                return new LiveIndex(generation, owner, directory, writer, maxStale, slices, statistics, clock);
            } catch (IOException | RuntimeException e) {
                // A damaged index (its commit data, a segment the first searcher cannot read): the writer lets go
                // of its lock and files, or the folder, deleted by the rebuild that follows, stays on disk.
                try {
                    writer.rollback();
                } catch (IOException | RuntimeException closing) {
                    e.addSuppressed(closing);
                }
                throw e;
            }
        } catch (IOException | RuntimeException e) {
            directory.close();
            throw e;
        }
    }

    private static String commitData(IndexWriter writer, String key, String otherwise) {
        Iterable<Map.Entry<String, String>> data = writer.getLiveCommitData();
        if (data != null) {
            for (Map.Entry<String, String> entry : data) {
                if (key.equals(entry.getKey())) {
                    return entry.getValue();
                }
            }
        }
        return otherwise;
    }

    String generation() {
        return generation;
    }

    /** The seq of the newest commit on disk: where a restart resumes. */
    long committedSeq() {
        return committedSeq;
    }

    /** Seqs at or below {@link #committedSeq()} whose events may still commit, as the newest commit recorded them. */
    SortedSet<Long> committedAwaited() {
        return committedAwaited;
    }

    /** The database the last commit was derived from (null for an index older than this record). */
    String committedOwner() {
        return committedOwner;
    }

    long lastCommitMillis() {
        return lastCommitMillis;
    }

    void upsert(long messageId, Document document) throws IOException {
        try {
            writer.updateDocument(MessageDocuments.idTerm(messageId), document);
        } catch (IllegalArgumentException e) {
            // Lucene refuses this one document (a term over its 32 KB limit, say) and stays usable. Retrying the
            // batch would refuse it again for ever and stop indexing every later message: it is left out instead.
            log.error("a message cannot be indexed and is left out of search message={}: {}", messageId,
                    e.getMessage());
            writer.deleteDocuments(MessageDocuments.idTerm(messageId));
        }
    }

    void add(Iterable<Document> documents) throws IOException {
        // One by one: addDocuments() would make them a block, which an index sort allows only with a parent field.
        for (Document document : documents) {
            try {
                writer.addDocument(document);
            } catch (IllegalArgumentException e) {
                log.error("a message cannot be indexed and is left out of search message={}: {}",
                        document.get(SearchFields.ID), e.getMessage());
            }
        }
    }

    void delete(long messageId) throws IOException {
        writer.deleteDocuments(MessageDocuments.idTerm(messageId));
    }

    /** Rewrites the conversation-level doc values of every message of a conversation, without reindexing them. */
    void updateConversation(long conversationId, long status, long assignee) throws IOException {
        writer.updateDocValues(MessageDocuments.conversationTerm(conversationId),
                new NumericDocValuesField(SearchFields.STATUS, status),
                new NumericDocValuesField(SearchFields.ASSIGNEE, assignee));
    }

    boolean hasUncommittedChanges() {
        return writer.hasUncommittedChanges();
    }

    /**
     * Commits everything written so far as holding the events up to {@code seq}, except those of {@code awaited}
     * (seqs the event feed passed while their transaction ran, which a restart must watch again).
     */
    void commit(long seq, SortedSet<Long> awaited) throws IOException {
        SortedSet<Long> kept = Collections.unmodifiableSortedSet(new TreeSet<>(awaited));
        writer.setLiveCommitData(Map.of(SearchFields.COMMIT_SEQ, Long.toString(seq),
                SearchFields.COMMIT_SCHEMA, Integer.toString(SearchFields.SCHEMA_VERSION),
                SearchFields.COMMIT_OWNER, owner,
                SearchFields.COMMIT_AWAITED, SeqRanges.format(kept)).entrySet());
        writer.commit();
        committedSeq = seq;
        committedAwaited = kept;
        lastCommitMillis = System.currentTimeMillis();
    }

    /** Makes everything written so far searchable now (after a bulk build). */
    void refresh() throws IOException {
        searchers.maybeRefreshBlocking();
    }

    /** Takes a reference for one search; false when the index is already retired and closed. */
    boolean retain() {
        while (true) {
            int current = references.get();
            if (current <= 0) {
                return false;
            }
            if (references.compareAndSet(current, current + 1)) {
                return true;
            }
        }
    }

    /** Gives back a reference; the last one closes the index. */
    void release() {
        if (references.decrementAndGet() == 0) {
            closeNow();
        }
    }

    IndexSearcher acquireSearcher() throws IOException {
        return searchers.acquire();
    }

    /**
     * A searcher over the same reader as {@code searcher} (which stays the one to release and pin) that scores with
     * the statistics of one workspace's messages alone.
     */
    IndexSearcher scoped(IndexSearcher searcher, long workspaceId) {
        return statistics.scoped(searcher, workspaceId, slices);
    }

    /**
     * Keeps this searcher for the next pages of the same search, for {@link #PIN_SECONDS} after a newer one
     * replaced it or after its last pin, whichever comes first, and returns its version. Scores depend on the
     * workspace's statistics, so a page by relevance read from a newer searcher could skip or repeat a hit at the
     * page boundary.
     */
    long pin(IndexSearcher searcher) throws IOException {
        prunePins();
        // Noted first: a prune on the reopen thread between the two would find a pin without its time.
        lastPinned.put(((DirectoryReader) searcher.getIndexReader()).getVersion(), clock.instant());
        return pinned.record(searcher);
    }

    /**
     * Lets go of the searchers pinned {@link #PIN_SECONDS} ago: replaced by a newer pin that long ago, or, for the
     * newest, pinned last that long ago; and of all but the {@link #MAX_PINS} pinned last.
     */
    private void prunePins() {
        Instant now = clock.instant();
        // Kept by when each was last pinned, not by its version: an agent paging an older snapshot pins it again,
        // and thirty-two searches of other workspaces on newer ones must not take it away between two pages.
        Set<Long> recent = lastPinned.entrySet().stream()
                .sorted(Map.Entry.<Long, Instant>comparingByValue().reversed())
                .limit(MAX_PINS).map(Map.Entry::getKey).collect(Collectors.toSet());
        int[] seen = {0};
        try {
            pinned.prune((ageSec, searcher) -> {
                long version = ((DirectoryReader) searcher.getIndexReader()).getVersion();
                Instant last = lastPinned.get(version);
                boolean crowded = last == null ? ++seen[0] > MAX_PINS : !recent.contains(version);
                boolean expired = crowded || ageSec > PIN_SECONDS
                        || (last != null && Duration.between(last, now).toSeconds() > PIN_SECONDS);
                if (expired && last != null) {
                    // Only the time read here: a pin meanwhile noted a newer one, for the searcher it records again.
                    lastPinned.remove(version, last);
                }
                return expired;
            });
        } catch (IOException e) {
            log.warn("pinned searchers not pruned generation={}: {}", generation, e.toString());
        }
    }

    /** The searcher pinned under this version (released like any other), or null when it is no longer kept. */
    IndexSearcher acquirePinned(long version) {
        return pinned.acquire(version);
    }

    void releaseSearcher(IndexSearcher searcher) {
        try {
            searchers.release(searcher);
        } catch (IOException e) {
            log.warn("cannot release a searcher generation={}: {}", generation, e.toString());
        }
    }

    /** The number of live documents in the newest searcher. */
    int documents() throws IOException {
        IndexSearcher searcher = searchers.acquire();
        try {
            return searcher.getIndexReader().numDocs();
        } finally {
            searchers.release(searcher);
        }
    }

    /**
     * Runs once the index is closed (after the last search released it), e.g. to delete its directory: on a thread
     * of its own, as the release that closes it is a search's, which must not wait for a million files to go. Runs
     * at once on this thread when the index is already closed.
     */
    synchronized void whenClosed(Runnable action) {
        onClosed = action;
        if (closed) {
            action.run();
        }
    }

    /** Stops serving: closes now if no search holds it, else when the last one releases it. */
    @Override
    public void close() {
        release();
    }

    /**
     * Closes in Gerrit's order: the reopen thread, a last refresh, the writer (uncommitted changes are dropped;
     * the owner commits first when it wants them), the searcher manager, the directory.
     */
    private synchronized void closeNow() {
        if (closed) {
            return;
        }
        closed = true;
        reopener.close();
        try {
            searchers.maybeRefreshBlocking();
        } catch (IOException | RuntimeException e) {
            log.debug("last refresh before close failed generation={}: {}", generation, e.toString());
        }
        try {
            writer.rollback();
        } catch (IOException | RuntimeException e) {
            log.warn("closing the index writer failed generation={}: {}", generation, e.toString());
        }
        try {
            pinned.close();
            searchers.close();
        } catch (IOException e) {
            log.warn("closing the searcher manager failed generation={}: {}", generation, e.toString());
        }
        try {
            directory.close();
        } catch (IOException e) {
            // Nothing to retry: the caller is a search that has its answer, or a swap already done.
            log.warn("closing the index directory failed generation={}: {}", generation, e.toString());
        }
        log.debug("search index closed generation={}", generation);
        Thread.ofVirtual().name("search-closed-" + generation).start(onClosed);
    }

    /** The IndexWriter hit a tragic error (disk full, corruption) and can write no more. */
    Throwable tragedy() {
        return writer.getTragicException();
    }

    boolean isOpen() {
        return writer.isOpen();
    }
}
