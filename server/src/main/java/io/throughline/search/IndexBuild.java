package io.throughline.search;

import io.throughline.store.Database;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.BooleanSupplier;
import org.apache.lucene.document.Document;

/**
 * Fills an empty {@link LiveIndex} with every message in PostgreSQL: one reader pages through the messages in id
 * order while worker threads detect languages, analyze and add the documents to the one writer (IndexWriter is
 * built for concurrent adds). It does not commit; the caller commits with the seq the scan started from.
 */
final class IndexBuild {

    private static final int PAGE = 1_000;
    private static final List<IndexedMessage> END = List.of();

    private final Database database;
    private final MessageSource source;
    private final int threads;

    IndexBuild(Database database, MessageSource source, int threads) {
        this.database = database;
        this.source = source;
        this.threads = Math.max(1, threads);
    }

    /** Indexes every message; returns how many documents were added. */
    long run(LiveIndex target, RebuildProgress progress, BooleanSupplier cancelled)
            throws IOException, InterruptedException {
        progress.total(source.count(database.sql()));
        BlockingQueue<List<IndexedMessage>> pages = new ArrayBlockingQueue<>(threads * 2);
        AtomicReference<Throwable> failure = new AtomicReference<>();
        List<Thread> workers = new ArrayList<>();
        for (int i = 0; i < threads; i++) {
            workers.add(Thread.ofPlatform().daemon().name("search-build-" + i).start(() ->
                    work(target, pages, progress, failure)));
        }
        try {
            source.scan(database.sql(), PAGE, page -> {
                try {
                    pages.put(page);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new IllegalStateException("interrupted while rebuilding the search index", e);
                }
            }, () -> cancelled.getAsBoolean() || failure.get() != null || Thread.currentThread().isInterrupted());
        } finally {
            for (int i = 0; i < threads; i++) {
                pages.put(END);
            }
            for (Thread worker : workers) {
                worker.join();
            }
        }
        Throwable error = failure.get();
        if (error instanceof IOException io) {
            throw io;
        } else if (error instanceof RuntimeException runtime) {
            throw runtime;
        } else if (error != null) {
            throw new IllegalStateException(error);
        }
        target.refresh();
        return progress.indexed();
    }

    private static void work(LiveIndex target, BlockingQueue<List<IndexedMessage>> pages, RebuildProgress progress,
                             AtomicReference<Throwable> failure) {
        try {
            while (true) {
                List<IndexedMessage> page = pages.take();
                if (page == END) {
                    return;
                }
                if (failure.get() != null) {
                    continue;
                }
                List<Document> documents = new ArrayList<>(page.size());
                for (IndexedMessage message : page) {
                    if (!message.redacted()) {
                        documents.add(MessageDocuments.toDocument(message));
                    }
                }
                target.add(documents);
                progress.indexed(page.size());
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (IOException | RuntimeException e) {
            failure.compareAndSet(null, e);
        }
    }
}
