package io.throughline.search;

import io.throughline.conversation.Status;
import java.io.Closeable;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Instant;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import org.apache.lucene.analysis.Analyzer;
import org.apache.lucene.index.DirectoryReader;
import org.apache.lucene.index.IndexWriter;
import org.apache.lucene.index.IndexWriterConfig;
import org.apache.lucene.index.LeafReaderContext;
import org.apache.lucene.index.Terms;
import org.apache.lucene.search.IndexSearcher;
import org.apache.lucene.search.Query;
import org.apache.lucene.search.Sort;
import org.apache.lucene.search.TopFieldCollectorManager;
import org.apache.lucene.store.Directory;
import org.apache.lucene.store.FSDirectory;

/**
 * The benchmark harness's hold on the search internals (it lives in their package, in the bench module): an index
 * written with the server's own documents, analyzers, index sort and segment counting, and a query run as the
 * search API runs it, scored with Lucene's index-wide statistics or with one workspace's alone.
 */
public final class ScoringProbe implements Closeable {

    private final Directory directory;
    private final IndexWriter writer;
    /** The analyzers it made (the query's, the writer's): closed with it, as the server closes its own. */
    private final Analyzer analyzer;
    private final Analyzer indexing;
    private final MessageQueries queries;
    private final WorkspaceStatistics statistics = new WorkspaceStatistics();
    /** The same figures, but keeping no counted word: every search counts its words as if for the first time. */
    private final WorkspaceStatistics counting = new WorkspaceStatistics(0);
    /** As the server's: the slices of a search after the first run in parallel, one thread per core. */
    private final ExecutorService slices = Executors.newFixedThreadPool(Runtime.getRuntime().availableProcessors(),
            Thread.ofPlatform().daemon().name("probe-slice-", 0).factory());
    private DirectoryReader reader;
    private IndexSearcher searcher;

    private ScoringProbe(Directory directory, IndexWriter writer, Analyzer analyzer, Analyzer indexing) {
        this.directory = directory;
        this.writer = writer;
        this.analyzer = analyzer;
        this.indexing = indexing;
        this.queries = new MessageQueries(analyzer);
    }

    /** An empty index in {@code path}, configured as the server's. */
    public static ScoringProbe create(Path path) throws IOException {
        Analyzer analyzer = SearchAnalyzers.create();
        Analyzer indexing = SearchAnalyzers.forIndexing();
        Directory directory = FSDirectory.open(path);
        IndexWriter writer = new IndexWriter(directory, new IndexWriterConfig(indexing)
                .setOpenMode(IndexWriterConfig.OpenMode.CREATE).setIndexSort(LiveIndex.INDEX_SORT)
                .setRAMBufferSizeMB(64));
        return new ScoringProbe(directory, writer, analyzer, indexing);
    }

    /** Adds one message; {@code status} is its wire name ("open"). */
    public void add(long id, long workspaceId, String channel, String status, Instant createdAt, String text)
            throws IOException {
        writer.addDocument(MessageDocuments.toDocument(new IndexedMessage(id, workspaceId, id, id, channel, "in",
                createdAt, Status.fromWireName(status).orElseThrow(), null, text, false)));
    }

    /** Commits and opens the index for searching, segments as the merge policy left them. */
    public void open() throws IOException {
        writer.commit();
        reader = DirectoryReader.open(writer);
        searcher = new IndexSearcher(reader, slices);
    }

    public int segments() {
        return reader.leaves().size();
    }

    /** Segments holding messages of more than one workspace: those whose figures are counted. */
    public int sharedSegments() throws IOException {
        int shared = 0;
        for (LeafReaderContext leaf : reader.leaves()) {
            Terms workspaces = leaf.reader().terms(SearchFields.WORKSPACE);
            if (workspaces != null && workspaces.size() > 1) {
                shared++;
            }
        }
        return shared;
    }

    /** Counts every segment's per-workspace figures, as a refresh or a merge does; returns the nanoseconds. */
    public long countSegments() throws IOException {
        long started = System.nanoTime();
        for (LeafReaderContext leaf : reader.leaves()) {
            statistics.warm(leaf.reader());
        }
        long took = System.nanoTime() - started;
        for (LeafReaderContext leaf : reader.leaves()) {
            counting.warm(leaf.reader());
        }
        return took;
    }

    /**
     * Runs one search of a workspace as the search API does (20 hits and one more, by relevance or by date);
     * returns how many hits it counted.
     *
     * @param scoped true for the workspace's own statistics, false for Lucene's index-wide ones
     * @param keepWords with the workspace's statistics: true to use (and keep) the words counted by earlier
     *     searches, as the server does; false to count every word afresh
     */
    public long search(long workspaceId, String q, boolean byDate, boolean scoped, boolean keepWords)
            throws IOException {
        Query query = queries.build(workspaceId, QuerySyntax.parse(q), MessageQueries.FilterValues.NONE);
        IndexSearcher used = !scoped ? searcher
                : (keepWords ? statistics : counting).scoped(searcher, workspaceId, slices);
        Sort sort = byDate ? LiveIndex.INDEX_SORT : SearchService.BY_RELEVANCE;
        return used.search(query, new TopFieldCollectorManager(sort, 21, null,
                SearchService.TOTAL_HITS_THRESHOLD)).totalHits.value();
    }

    @Override
    public void close() throws IOException {
        slices.shutdown();
        if (reader != null) {
            reader.close();
        }
        writer.rollback();
        directory.close();
        analyzer.close();
        indexing.close();
    }
}
