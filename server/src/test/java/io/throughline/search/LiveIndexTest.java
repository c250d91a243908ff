package io.throughline.search;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.throughline.conversation.Status;
import io.throughline.testing.MovableClock;
import io.throughline.testing.Scratch;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.apache.lucene.analysis.Analyzer;
import org.apache.lucene.index.IndexWriter;
import org.apache.lucene.index.IndexWriterConfig;
import org.apache.lucene.search.IndexSearcher;
import org.apache.lucene.store.Directory;
import org.apache.lucene.store.FSDirectory;
import org.junit.jupiter.api.Test;

/** The live index's searchers pinned for the next pages of searches by relevance. */
class LiveIndexTest {

    /**
     * An index whose commit data is damaged fails to open (the server rebuilds it), and lets go of its writer: the
     * writer kept the folder's lock and files open, so the old folder, deleted after the rebuild, stayed on disk.
     */
    @Test
    void anIndexThatFailsToOpenLetsGoOfItsWriter() throws Exception {
        Path path = Scratch.dir("damaged-index");
        try (Analyzer analyzer = SearchAnalyzers.create();
             Directory directory = FSDirectory.open(path)) {
            try (IndexWriter damaging = new IndexWriter(directory, new IndexWriterConfig(analyzer))) {
                damaging.setLiveCommitData(Map.of(SearchFields.COMMIT_SEQ, "not a seq").entrySet());
                damaging.commit();
            }
            assertThatThrownBy(() -> LiveIndex.open("v2-g1", "owner", path, analyzer, 16, Duration.ofMillis(50), false,
                    null)).isInstanceOf(NumberFormatException.class);
            // The folder's lock is free again: another writer opens it.
            new IndexWriter(directory, new IndexWriterConfig(analyzer)).rollback();
        }
    }

    /**
     * A generation a rebuild replaced closes when the last search in flight releases it, and its folder is then
     * deleted: that search waited for the deletion (a million files) before it could answer. It runs on a thread of
     * its own.
     */
    @Test
    void theLastSearchToReleaseARetiredIndexDoesNotWaitForItsFolderToGo() throws Exception {
        try (Analyzer analyzer = SearchAnalyzers.create()) {
            LiveIndex index = LiveIndex.open("v2-g1", "owner", Scratch.dir("retired-index"), analyzer, 16,
                    Duration.ofMillis(50), true, null);
            assertThat(index.retain()).as("a search in flight").isTrue();
            CompletableFuture<Thread> deletedOn = new CompletableFuture<>();
            index.whenClosed(() -> deletedOn.complete(Thread.currentThread()));
            index.close();
            assertThat(deletedOn).as("kept open for the search in flight").isNotDone();

            index.release();
            assertThat(deletedOn.get(10, TimeUnit.SECONDS)).isNotSameAs(Thread.currentThread());
            assertThat(index.retain()).as("closed").isFalse();
        }
    }

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

    /**
     * Under steady writes every refresh is a new searcher, and each search with a next page pinned its own: up to
     * ten minutes of them, each holding its segments. Only the newest {@value LiveIndex#MAX_PINS} are kept.
     */
    @Test
    void onlyTheNewestPinnedSearchersAreKept() throws Exception {
        MovableClock clock = new MovableClock();
        try (Analyzer analyzer = SearchAnalyzers.create();
             LiveIndex index = LiveIndex.open("v2-g1", "owner", Scratch.dir("live-index"), analyzer, 16,
                     Duration.ofMillis(50), true, null, clock)) {
            List<Long> versions = new ArrayList<>();
            for (int i = 0; i < LiveIndex.MAX_PINS + 8; i++) {
                versions.add(pinANewSearcher(index, i, 1));
                clock.advance(Duration.ofSeconds(1));
            }
            assertThat(versions).doesNotHaveDuplicates();
            // The next pin prunes: the oldest beyond the limit are gone, the newest still there.
            IndexSearcher searcher = index.acquireSearcher();
            try {
                index.pin(searcher);
            } finally {
                index.releaseSearcher(searcher);
            }
            long kept = versions.stream().filter(version -> pinned(index, version)).count();
            assertThat(kept).isLessThanOrEqualTo(LiveIndex.MAX_PINS);
            assertThat(pinned(index, versions.getLast())).isTrue();
            assertThat(pinned(index, versions.getFirst())).isFalse();
        }
    }

    /**
     * An agent paging an older snapshot pins it again at each page: searches of other workspaces pinning newer
     * ones meanwhile do not take it away (it was let go as the oldest version, though pinned a moment ago).
     */
    @Test
    void aSnapshotPinnedAgainStaysThoughNewerOnesCrowdIn() throws Exception {
        MovableClock clock = new MovableClock();
        try (Analyzer analyzer = SearchAnalyzers.create();
             LiveIndex index = LiveIndex.open("v2-g1", "owner", Scratch.dir("live-index"), analyzer, 16,
                     Duration.ofMillis(50), true, null, clock)) {
            List<Long> versions = new ArrayList<>();
            for (int i = 0; i < LiveIndex.MAX_PINS + 4; i++) {
                versions.add(pinANewSearcher(index, i, 1 + i % 3));
                clock.advance(Duration.ofSeconds(1));
                if (i % 8 == 0) {
                    // The agent's next page: the first snapshot pinned again.
                    IndexSearcher first = index.acquirePinned(versions.getFirst());
                    assertThat(first).as("kept after %d newer pins", i).isNotNull();
                    try {
                        index.pin(first);
                    } finally {
                        index.releaseSearcher(first);
                    }
                }
            }
            assertThat(pinned(index, versions.getFirst())).isTrue();
            assertThat(pinned(index, versions.get(1))).as("pinned once, long ago").isFalse();
        }
    }

    /** Writes message {@code id} of the workspace, opens a new searcher on it and pins that: its version. */
    private static long pinANewSearcher(LiveIndex index, long id, long workspace) throws Exception {
        index.upsert(id, MessageDocuments.toDocument(new IndexedMessage(id, workspace, 1, 1, "api", "in",
                Instant.parse("2024-03-01T00:00:00Z"), Status.OPEN, null, "message " + id, false)));
        index.refresh();
        IndexSearcher searcher = index.acquireSearcher();
        try {
            return index.pin(searcher);
        } finally {
            index.releaseSearcher(searcher);
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
