package io.throughline.search;

import io.throughline.config.ThroughlineConfig;
import io.throughline.store.Database;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Collections;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicBoolean;
import org.apache.lucene.analysis.Analyzer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code ./throughline reindex} when no server runs on the data directory: builds a new generation from
 * PostgreSQL in this process and puts it in service, under the same directory lock a server takes (so a server
 * cannot start on a half-built index, and a running server makes this fail rather than write beside it). The
 * commit holds the settled event seq read before the scan, so the next server start replays whatever other
 * nodes wrote meanwhile. Interrupted or crashed half-way, it leaves the generation in service untouched.
 */
public final class OfflineRebuild implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(OfflineRebuild.class);

    private final ThroughlineConfig.Search settings;
    private final IndexStore store;
    private final RebuildProgress progress;
    private final AtomicBoolean cancelled = new AtomicBoolean();

    private OfflineRebuild(ThroughlineConfig.Search settings, IndexStore store) {
        this.settings = settings;
        this.store = store;
        this.progress = new RebuildProgress(store.nextGeneration(), "./throughline reindex with no server running");
    }

    /** Takes the index directory; {@link IllegalStateException} when a server (or another reindex) holds it. */
    public static OfflineRebuild prepare(ThroughlineConfig.Search settings, Path indexRoot) {
        try {
            return new OfflineRebuild(settings, IndexStore.open(indexRoot));
        } catch (IndexStore.Busy e) {
            throw new IllegalStateException(e.getMessage(), e);
        }
    }

    public RebuildProgress progress() {
        return progress;
    }

    /** The generation in service before this rebuild, if any. */
    public Optional<String> previous() {
        return store.current();
    }

    /** Asks a running {@link #run} to stop; it then deletes its half-built generation. */
    public void cancel() {
        cancelled.set(true);
    }

    /** Builds and swaps; returns the messages indexed. Blocks. */
    public long run(Database database) throws IOException, InterruptedException {
        String generation = progress.generation();
        MessageSource source = new MessageSource();
        Analyzer analyzer = SearchAnalyzers.forIndexing();
        LiveIndex fresh = null;
        boolean done = false;
        try {
            fresh = LiveIndex.open(generation, SearchIndex.ownerOf(database), store.pathOf(generation), analyzer,
                    settings.ramBufferBytes() / (1024.0 * 1024.0), settings.maxStaleness(), true, null);
            long from = source.settledSeq(database.sql());
            int threads = settings.buildThreads() > 0 ? settings.buildThreads()
                    : Runtime.getRuntime().availableProcessors();
            long messages = new IndexBuild(database, source, threads).run(fresh, progress, cancelled::get);
            if (cancelled.get()) {
                throw new InterruptedException("cancelled");
            }
            progress.phase(RebuildProgress.Phase.SWAPPING);
            // Every transaction that could hold a seq up to it had ended: nothing is awaited.
            fresh.commit(from, Collections.emptySortedSet());
            fresh.close();
            fresh = null;
            Optional<String> old = store.current();
            store.makeCurrent(generation);
            old.ifPresent(store::deleteGeneration);
            store.deleteGenerationsExcept(generation);
            progress.phase(RebuildProgress.Phase.DONE);
            done = true;
            log.info("search index rebuilt offline generation={} messages={} seq={}", generation, messages, from);
            return messages;
        } catch (InterruptedException e) {
            progress.phase(RebuildProgress.Phase.CANCELLED);
            throw e;
        } catch (IOException | RuntimeException e) {
            progress.failed(e.getMessage() == null ? e.toString() : e.getMessage());
            throw e;
        } finally {
            if (fresh != null) {
                fresh.close();
            }
            if (!done) {
                store.deleteGeneration(generation);
            }
            analyzer.close();
        }
    }

    @Override
    public void close() {
        store.close();
    }
}
