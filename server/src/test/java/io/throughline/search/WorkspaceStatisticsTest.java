package io.throughline.search;

import static org.assertj.core.api.Assertions.assertThat;

import io.throughline.conversation.Status;
import java.io.IOException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.lucene.analysis.Analyzer;
import org.apache.lucene.index.DirectoryReader;
import org.apache.lucene.index.IndexWriter;
import org.apache.lucene.index.IndexWriterConfig;
import org.apache.lucene.index.LeafReaderContext;
import org.apache.lucene.index.NoMergePolicy;
import org.apache.lucene.index.NumericDocValues;
import org.apache.lucene.index.ReaderUtil;
import org.apache.lucene.search.IndexSearcher;
import org.apache.lucene.search.Query;
import org.apache.lucene.search.ScoreDoc;
import org.apache.lucene.store.ByteBuffersDirectory;
import org.apache.lucene.store.Directory;
import org.junit.jupiter.api.Test;

/**
 * Scores with per-workspace statistics over real indexes: a workspace's messages score exactly as they would in
 * an index of their own, whether the other workspace's messages share its segments or sit in segments of their
 * own.
 */
class WorkspaceStatisticsTest {

    private static final long MINE = 1;
    private static final long THEIRS = 2;
    private static final Analyzer ANALYZER = SearchAnalyzers.create();
    private static final MessageQueries QUERIES = new MessageQueries(ANALYZER);
    private static final List<String> MY_TEXTS = List.of(
            "I was refunded twice, please check order A-10023.",
            "Where is my refund? I wrote to anna@example.com last week.",
            "The parcel arrived damaged, the box was crushed and the refund form does not load",
            "Call me on +380 44 123 4567 about the replacement",
            "Де моє повернення коштів? Чекаю вже тиждень.",
            "Thanks, the replacement arrived and works fine");
    private static final List<String> QUERIES_TYPED = List.of(
            "refund", "refunded twice", "\"refund form\"", "anna@example.com", "A-10023", "+380441234567",
            "the parcel", "повернення", "replacement arrived", "refund OR parcel");

    @Test
    void aWorkspaceScoresAsIfItWereAloneInTheIndex() throws IOException {
        try (Directory alone = index(false, false); Directory shared = index(true, false);
             Directory split = index(true, true);
             DirectoryReader aloneReader = DirectoryReader.open(alone);
             DirectoryReader sharedReader = DirectoryReader.open(shared);
             DirectoryReader splitReader = DirectoryReader.open(split)) {
            assertThat(sharedReader.leaves()).hasSize(1);
            assertThat(splitReader.leaves()).hasSizeGreaterThan(3);
            WorkspaceStatistics statistics = new WorkspaceStatistics();
            IndexSearcher lucene = new IndexSearcher(aloneReader);
            for (String typed : QUERIES_TYPED) {
                Query query = QUERIES.build(MINE, QuerySyntax.parse(typed), MessageQueries.FilterValues.NONE);
                Map<Long, Float> expected = scores(lucene, query);
                assertThat(expected).as(typed).isNotEmpty();
                assertThat(scores(statistics.scoped(lucene, MINE, null), query)).as(typed).isEqualTo(expected);
                assertThat(scores(statistics.scoped(new IndexSearcher(sharedReader), MINE, null), query))
                        .as("one segment both workspaces share: %s", typed).isEqualTo(expected);
                assertThat(scores(statistics.scoped(new IndexSearcher(splitReader), MINE, null), query))
                        .as("segments of one workspace and of both: %s", typed).isEqualTo(expected);
            }
            // Lucene's own figures count the other workspace's messages: what the scoped searcher keeps out.
            Query refund = QUERIES.build(MINE, QuerySyntax.parse("refund"), MessageQueries.FilterValues.NONE);
            assertThat(scores(new IndexSearcher(sharedReader), refund)).isNotEqualTo(scores(lucene, refund));
            assertThat(statistics.segmentsKept()).isEqualTo(1 + 1 + splitReader.leaves().size());
        }
    }

    /**
     * A shared segment keeps the words it counted last: searched again, a word scores the same without being
     * counted again; each workspace's figures are its own; and past the limit the least recently used goes.
     */
    @Test
    void aWordSearchedAgainIsNotCountedAgain() throws IOException {
        try (Directory alone = index(false, false); Directory shared = index(true, false);
             DirectoryReader aloneReader = DirectoryReader.open(alone);
             DirectoryReader sharedReader = DirectoryReader.open(shared)) {
            IndexSearcher searcher = new IndexSearcher(sharedReader);
            Query twoWords = QUERIES.build(MINE, QuerySyntax.parse("refund parcel"), MessageQueries.FilterValues.NONE);
            Map<Long, Float> expected = scores(new IndexSearcher(aloneReader), twoWords);
            // The terms the search counts: each word in each text field holding it.
            WorkspaceStatistics roomy = new WorkspaceStatistics();
            scores(roomy.scoped(searcher, MINE, null), twoWords);
            long counted = roomy.termsCounted();
            assertThat(counted).isGreaterThan(2);

            // Room for this search's terms, and no more.
            WorkspaceStatistics statistics = new WorkspaceStatistics((int) counted);
            assertThat(scores(statistics.scoped(searcher, MINE, null), twoWords)).isEqualTo(expected);
            assertThat(statistics.termsCounted()).isEqualTo(counted);
            assertThat(scores(statistics.scoped(searcher, MINE, null), twoWords)).isEqualTo(expected);
            assertThat(statistics.termsCounted()).as("searched again").isEqualTo(counted);

            // Another word's terms push the least recently used out: those of the two words, counted again.
            Query other = QUERIES.build(MINE, QuerySyntax.parse("replacement"), MessageQueries.FilterValues.NONE);
            scores(statistics.scoped(searcher, MINE, null), other);
            long afterOther = statistics.termsCounted();
            assertThat(afterOther).isGreaterThan(counted);
            assertThat(scores(statistics.scoped(searcher, MINE, null), other)).as("kept: the newest")
                    .isNotEmpty();
            assertThat(statistics.termsCounted()).isEqualTo(afterOther);
            assertThat(scores(statistics.scoped(searcher, MINE, null), twoWords)).isEqualTo(expected);
            assertThat(statistics.termsCounted()).as("counted again once pushed out").isGreaterThan(afterOther);

            // Each workspace's figures are its own: the other workspace's search counts its words anew.
            long before = roomy.termsCounted();
            scores(roomy.scoped(searcher, THEIRS, null), QUERIES.build(THEIRS, QuerySyntax.parse("refund parcel"),
                    MessageQueries.FilterValues.NONE));
            assertThat(roomy.termsCounted()).isEqualTo(before + counted);
        }
    }

    @Test
    void aClosedSegmentsFiguresAreDropped() throws IOException {
        WorkspaceStatistics statistics = new WorkspaceStatistics();
        try (Directory split = index(true, true)) {
            try (DirectoryReader reader = DirectoryReader.open(split)) {
                for (LeafReaderContext leaf : reader.leaves()) {
                    statistics.warm(leaf.reader());
                }
                assertThat(statistics.segmentsKept()).isEqualTo(reader.leaves().size());
            }
            assertThat(statistics.segmentsKept()).isZero();
        }
    }

    /**
     * My messages, and (when {@code withTheirs}) the other workspace's: many mention a refund, at other lengths, so
     * in the one shared segment a common word's postings outnumber my messages (counted by walking mine) and a rare
     * one's do not (counted by walking its postings).
     * {@code manySegments} flushes every few messages without merging, so some segments hold one workspace and some
     * both; otherwise everything ends in one segment.
     */
    private static Directory index(boolean withTheirs, boolean manySegments) throws IOException {
        Directory directory = new ByteBuffersDirectory();
        IndexWriterConfig config = new IndexWriterConfig(ANALYZER).setIndexSort(LiveIndex.INDEX_SORT);
        if (manySegments) {
            config.setMergePolicy(NoMergePolicy.INSTANCE);
        }
        try (IndexWriter writer = new IndexWriter(directory, config)) {
            long id = 0;
            List<IndexedMessage> messages = new ArrayList<>();
            for (String text : MY_TEXTS) {
                messages.add(message(++id, MINE, text));
            }
            if (withTheirs) {
                messages.add(2, message(++id, THEIRS, "refund refund refund"));
                for (int i = 0; i < 120; i++) {
                    messages.add(message(++id, THEIRS, "Ticket " + i + ": a refund for order A-" + (20000 + i)
                            + " was requested by bob" + i + "@example.com; the parcel is back at the warehouse"
                            + " and the refund can be issued today".repeat(i % 3)));
                }
            }
            int written = 0;
            for (IndexedMessage message : messages) {
                writer.addDocument(MessageDocuments.toDocument(message));
                if (manySegments && ++written % 3 == 0) {
                    writer.flush();
                }
            }
            if (!manySegments) {
                writer.forceMerge(1);
            }
            writer.commit();
        }
        return directory;
    }

    private static IndexedMessage message(long id, long workspace, String text) {
        return new IndexedMessage(id, workspace, id, id, "email", "message", Instant.ofEpochSecond(1_700_000_000 + id),
                Status.OPEN, null, text, false);
    }

    /** Message id to score of every hit. */
    private static Map<Long, Float> scores(IndexSearcher searcher, Query query) throws IOException {
        Map<Long, Float> scores = new LinkedHashMap<>();
        List<LeafReaderContext> leaves = searcher.getIndexReader().leaves();
        for (ScoreDoc hit : searcher.search(query, 1000).scoreDocs) {
            LeafReaderContext leaf = leaves.get(ReaderUtil.subIndex(hit.doc, leaves));
            NumericDocValues ids = leaf.reader().getNumericDocValues(SearchFields.ID);
            assertThat(ids.advanceExact(hit.doc - leaf.docBase)).isTrue();
            scores.put(ids.longValue(), hit.score);
        }
        return scores;
    }
}
