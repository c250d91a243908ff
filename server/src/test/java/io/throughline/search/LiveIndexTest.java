package io.throughline.search;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.throughline.testing.MovableClock;
import io.throughline.testing.Scratch;
import java.time.Duration;
import org.apache.lucene.analysis.Analyzer;
import org.apache.lucene.search.IndexSearcher;
import org.junit.jupiter.api.Test;

/** The live index's searchers pinned for the next pages of searches by relevance. */
class LiveIndexTest {

    /**
     * The newest pinned searcher was let go only when a search pinned another: on a quiet index it stayed for
     * days, a next page read an old snapshot, and the segments merged away since stayed on disk. It goes once it
     * was last pinned ten minutes ago, on the reopen thread's own ticks.
     */
    @Test
    void aPinnedSearcherNobodyPinnedForTenMinutesIsLetGoWithoutAnotherSearch() throws Exception {
        MovableClock clock = new MovableClock();
        try (Analyzer analyzer = SearchAnalyzers.create();
             LiveIndex index = LiveIndex.open("v2-g1", "owner", Scratch.dir("live-index"), analyzer, 16,
                     Duration.ofMillis(50), true, null, clock)) {
            IndexSearcher searcher = index.acquireSearcher();
            long version;
            try {
                version = index.pin(searcher);
            } finally {
                index.releaseSearcher(searcher);
            }
            clock.advance(Duration.ofMinutes(9));
            assertThat(pinned(index, version)).as("kept for the next pages").isTrue();

            clock.advance(Duration.ofMinutes(2));
            await().atMost(Duration.ofSeconds(5)).until(() -> !pinned(index, version));
        }
    }

    private static boolean pinned(LiveIndex index, long version) {
        IndexSearcher pinned = index.acquirePinned(version);
        if (pinned == null) {
            return false;
        }
        index.releaseSearcher(pinned);
        return true;
    }
}
