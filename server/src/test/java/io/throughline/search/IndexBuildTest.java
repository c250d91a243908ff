package io.throughline.search;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.throughline.conversation.Status;
import io.throughline.testing.Scratch;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.function.Consumer;
import java.util.function.Function;
import org.apache.lucene.analysis.Analyzer;
import org.apache.lucene.document.Document;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The rebuild's scan and its workers, over messages given in memory. */
class IndexBuildTest {

    private static final int MESSAGES = 12_000;

    /**
     * A worker hit by an Error (a heap too small for the pages in flight) died silently: the rebuild swapped in an
     * index missing its page and said done, and with every worker dead the scan waited for ever on a full queue.
     * The build now fails with it, having drained the queue. The timeout is no speed bound: a hang is the bug.
     */
    @Test
    @Timeout(value = 2, unit = TimeUnit.MINUTES)
    void anErrorInEveryWorkerFailsTheBuildInsteadOfHangingIt() throws Exception {
        Function<IndexedMessage, Document> failing = message -> {
            throw new OutOfMemoryError("test: no heap for message " + message.id());
        };
        try (Analyzer analyzer = SearchAnalyzers.create(); LiveIndex index = open(analyzer)) {
            RebuildProgress progress = new RebuildProgress("v2-g2", "test");
            assertThatThrownBy(() -> new IndexBuild(messages(), 2, failing).run(index, progress, () -> false))
                    .hasRootCauseInstanceOf(OutOfMemoryError.class);
        }
    }

    /** One worker failing on one message fails the whole build: no index with a page missing is reported done. */
    @Test
    @Timeout(value = 2, unit = TimeUnit.MINUTES)
    void anErrorOnOneMessageFailsTheBuild() throws Exception {
        Function<IndexedMessage, Document> onOne = message -> {
            if (message.id() == 5_555) {
                throw new StackOverflowError("test");
            }
            return MessageDocuments.toDocument(message);
        };
        try (Analyzer analyzer = SearchAnalyzers.create(); LiveIndex index = open(analyzer)) {
            RebuildProgress progress = new RebuildProgress("v2-g2", "test");
            assertThatThrownBy(() -> new IndexBuild(messages(), 3, onOne).run(index, progress, () -> false))
                    .hasRootCauseInstanceOf(StackOverflowError.class);
        }
        try (Analyzer analyzer = SearchAnalyzers.create(); LiveIndex index = open(analyzer)) {
            RebuildProgress progress = new RebuildProgress("v2-g2", "test");
            assertThat(new IndexBuild(messages(), 3, MessageDocuments::toDocument).run(index, progress, () -> false))
                    .isEqualTo(MESSAGES);
        }
    }

    private static LiveIndex open(Analyzer analyzer) throws Exception {
        return LiveIndex.open("v2-g2", "owner", Scratch.dir("index-build"), analyzer, 16, Duration.ofMillis(50),
                true, null);
    }

    private static IndexBuild.Messages messages() {
        return new IndexBuild.Messages() {
            @Override
            public long count() {
                return MESSAGES;
            }

            @Override
            public void scan(int pageSize, Consumer<List<IndexedMessage>> pages, BooleanSupplier stop) {
                for (int from = 1; from <= MESSAGES && !stop.getAsBoolean(); from += pageSize) {
                    List<IndexedMessage> page = new ArrayList<>();
                    for (int id = from; id < from + pageSize && id <= MESSAGES; id++) {
                        page.add(new IndexedMessage(id, 1, id, id, "email", "in",
                                Instant.ofEpochSecond(1_700_000_000L + id), Status.OPEN, null, "order " + id, false));
                    }
                    pages.accept(page);
                }
            }
        };
    }
}
