package io.throughline.search;

import io.throughline.store.Database;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.BooleanSupplier;
import java.util.function.Consumer;
import java.util.function.Function;
import org.apache.lucene.document.Document;

/**
 * Fills an empty {@link LiveIndex} with every message in PostgreSQL: one reader pages through the messages in id
 * order while worker threads detect languages, analyze and add the documents to the one writer (IndexWriter is
 * built for concurrent adds). It does not commit; the caller commits with the seq the scan started from.
 */
final class IndexBuild {

    private static final int PAGE = 1_000;
    private static final List<IndexedMessage> END = List.of();

    /** The messages to index, page by page in id order: PostgreSQL's in service. */
    interface Messages {

        long count();

        void scan(int pageSize, Consumer<List<IndexedMessage>> pages, BooleanSupplier stop);
    }

    private final Messages messages;
    private final int threads;
    private final Function<IndexedMessage, Document> documents;

    IndexBuild(Database database, MessageSource source, int threads) {
        this(new Messages() {
            @Override
            public long count() {
                return source.count(database.sql());
            }

            @Override
            public void scan(int pageSize, Consumer<List<IndexedMessage>> pages, BooleanSupplier stop) {
                source.scan(database.sql(), pageSize, pages, stop);
            }
        }, threads, MessageDocuments::toDocument);
    }

    IndexBuild(Messages messages, int threads, Function<IndexedMessage, Document> documents) {
        this.messages = messages;
        this.threads = Math.max(1, threads);
        this.documents = documents;
    }

    /** Indexes every message; returns how many documents were added. */
    long run(LiveIndex target, RebuildProgress progress, BooleanSupplier cancelled)
            throws IOException, InterruptedException {
        progress.total(messages.count());
        BlockingQueue<List<IndexedMessage>> pages = new ArrayBlockingQueue<>(threads * 2);
        AtomicReference<Throwable> failure = new AtomicReference<>();
        List<Thread> workers = new ArrayList<>();
        for (int i = 0; i < threads; i++) {
            workers.add(Thread.ofPlatform().daemon().name("search-build-" + i).start(() ->
                    work(target, pages, progress, failure)));
        }
        try {
            messages.scan(PAGE, page -> {
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

    /**
     * Takes pages until the end. A failure of any kind, an {@link Error} too (a heap too small for the pages in
     * flight), is recorded for {@link #run} to throw, and the worker goes on taking pages without indexing them: a
     * worker that died would leave its page half indexed behind a rebuild that reports done, and, all of them dead,
     * the scan waiting for ever on a full queue.
     */
    private void work(LiveIndex target, BlockingQueue<List<IndexedMessage>> pages, RebuildProgress progress,
                      AtomicReference<Throwable> failure) {
        while (true) {
            List<IndexedMessage> page;
            try {
                page = pages.take();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
            if (page == END) {
                return;
            }
            if (failure.get() != null) {
                continue;
            }
            try {
                List<Document> batch = new ArrayList<>(page.size());
                for (IndexedMessage message : page) {
                    if (!message.redacted()) {
                        batch.add(documents.apply(message));
                    }
                }
                target.add(batch);
                progress.indexed(page.size());
            } catch (Throwable e) {
                failure.compareAndSet(null, e);
            }
        }
    }
}
