package io.throughline.search;

import java.io.IOException;
import java.text.BreakIterator;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import org.apache.lucene.analysis.Analyzer;
import org.apache.lucene.search.BooleanClause;
import org.apache.lucene.search.BooleanQuery;
import org.apache.lucene.search.BoostQuery;
import org.apache.lucene.search.DisjunctionMaxQuery;
import org.apache.lucene.search.IndexSearcher;
import org.apache.lucene.search.MultiTermQuery;
import org.apache.lucene.search.PrefixQuery;
import org.apache.lucene.search.Query;
import org.apache.lucene.search.uhighlight.DefaultPassageFormatter;
import org.apache.lucene.search.uhighlight.LengthGoalBreakIterator;
import org.apache.lucene.search.uhighlight.UnifiedHighlighter;

/**
 * Highlighted snippets: Lucene's unified highlighter over the stored text, with the offsets of what every field
 * matched merged into one snippet ("masked fields"): {@code замовленням} marked by the Ukrainian field,
 * {@code refunded} by the English one and {@code (067) 123-45-67} by the phone field, in the same passage. The
 * text is HTML-escaped and the matches wrapped in {@code <mark>}.
 */
final class Snippets {

    private static final int TARGET_CHARS = 180;
    private static final float MATCH_POSITION = 0.3f;
    /** Long emails: matches past this many characters are not looked for. */
    private static final int MAX_CHARS = 300_000;
    /** Words of the index a prefix is marked by in snippets (the search itself matches every word). */
    static final int MAX_PREFIX_WORDS = 64;

    private final Analyzer analyzer;
    private final Set<String> masked;

    Snippets(Analyzer analyzer) {
        this.analyzer = analyzer;
        Set<String> others = new HashSet<>(SearchFields.textFields());
        others.remove(SearchFields.TEXT);
        this.masked = Set.copyOf(others);
    }

    /** One snippet per document, in the order given; a document with no match gets its opening passage. */
    String[] highlight(IndexSearcher searcher, Query query, int[] docIds) throws IOException {
        if (docIds.length == 0) {
            return new String[0];
        }
        UnifiedHighlighter highlighter = UnifiedHighlighter.builder(searcher, analyzer)
                .withFormatter(new DefaultPassageFormatter("<mark>", "</mark>", "… ", true))
                .withBreakIterator(() -> LengthGoalBreakIterator.createClosestToLength(
                        BreakIterator.getSentenceInstance(Locale.ROOT), TARGET_CHARS, MATCH_POSITION))
                .withMaskedFieldsFunc(field -> SearchFields.TEXT.equals(field) ? masked : Set.of())
                .withMaxNoHighlightPassages(1)
                .withMaxLength(MAX_CHARS)
                .withHandleMultiTermQuery(true)
                .withHighlightPhrasesStrictly(true)
                // The Matches API path re-runs the whole query per document and field; with eight masked fields it
                // costs about four times the postings path, for the same marks.
                .withWeightMatches(false)
                .build();
        int[] passages = {1};
        Map<String, String[]> result = highlighter.highlightFields(new String[] {SearchFields.TEXT},
                boundedPrefixes(query, searcher), docIds, passages);
        String[] snippets = result.get(SearchFields.TEXT);
        for (int i = 0; i < snippets.length; i++) {
            if (snippets[i] == null) {
                snippets[i] = "";
            }
        }
        return snippets;
    }

    /**
     * The query with each prefix replaced by the words it stands for, at most {@link #MAX_PREFIX_WORDS} of them,
     * looked up once. Left as a prefix, the highlighter walks every word of the field's dictionary for every hit
     * it marks: at a million messages, {@code re*} with a hundred hits took seconds of CPU per request.
     */
    static Query boundedPrefixes(Query query, IndexSearcher searcher) throws IOException {
        return switch (query) {
            case PrefixQuery prefix -> searcher.rewrite(new PrefixQuery(prefix.getPrefix(),
                    new MultiTermQuery.TopTermsScoringBooleanQueryRewrite(MAX_PREFIX_WORDS)));
            case BoostQuery boost -> new BoostQuery(boundedPrefixes(boost.getQuery(), searcher), boost.getBoost());
            case DisjunctionMaxQuery max -> {
                List<Query> disjuncts = new ArrayList<>();
                for (Query disjunct : max.getDisjuncts()) {
                    disjuncts.add(boundedPrefixes(disjunct, searcher));
                }
                yield new DisjunctionMaxQuery(disjuncts, max.getTieBreakerMultiplier());
            }
            case BooleanQuery bool -> {
                BooleanQuery.Builder copy = new BooleanQuery.Builder()
                        .setMinimumNumberShouldMatch(bool.getMinimumNumberShouldMatch());
                for (BooleanClause clause : bool.clauses()) {
                    copy.add(boundedPrefixes(clause.query(), searcher), clause.occur());
                }
                yield copy.build();
            }
            default -> query;
        };
    }
}
