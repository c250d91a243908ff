package io.throughline.search;

import java.io.IOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.lucene.analysis.Analyzer;
import org.apache.lucene.analysis.TokenStream;
import org.apache.lucene.analysis.tokenattributes.TermToBytesRefAttribute;
import org.apache.lucene.index.StoredFields;
import org.apache.lucene.index.Term;
import org.apache.lucene.queries.spans.SpanMultiTermQueryWrapper;
import org.apache.lucene.queries.spans.SpanNearQuery;
import org.apache.lucene.queries.spans.SpanOrQuery;
import org.apache.lucene.queries.spans.SpanQuery;
import org.apache.lucene.queries.spans.SpanTermQuery;
import org.apache.lucene.search.BooleanClause;
import org.apache.lucene.search.BooleanQuery;
import org.apache.lucene.search.BoostQuery;
import org.apache.lucene.search.DisjunctionMaxQuery;
import org.apache.lucene.search.IndexSearcher;
import org.apache.lucene.search.MatchNoDocsQuery;
import org.apache.lucene.search.PrefixQuery;
import org.apache.lucene.search.Query;
import org.apache.lucene.search.TermQuery;
import org.apache.lucene.search.uhighlight.DefaultPassageFormatter;
import org.apache.lucene.search.uhighlight.LengthGoalBreakIterator;
import org.apache.lucene.search.uhighlight.UnifiedHighlighter;
import org.apache.lucene.util.BytesRef;
import org.apache.lucene.util.StringHelper;

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
    /** Words a prefix is marked by in one page's snippets (the search itself matches every word). */
    static final int MAX_PREFIX_WORDS = 64;
    /** The fields a query's prefixes are on: the text, and the exact fields of emails and order numbers. */
    private static final Set<String> PREFIX_FIELDS = Set.of(SearchFields.TEXT, ExactKind.EMAIL.field(),
            ExactKind.ORDER.field());

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
                        new BoundedSentences(TARGET_CHARS), TARGET_CHARS, MATCH_POSITION))
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
                prefixesIn(query, searcher, docIds, analyzer), docIds, passages);
        String[] snippets = result.get(SearchFields.TEXT);
        for (int i = 0; i < snippets.length; i++) {
            if (snippets[i] == null) {
                snippets[i] = "";
            }
        }
        return snippets;
    }

    /**
     * The query with each prefix replaced by the words it matches in these documents (at most
     * {@link #MAX_PREFIX_WORDS} each), read from their stored text with the prefix field's own analysis. Left as a
     * prefix, the highlighter walks every word of the field's dictionary for every hit it marks: at a million
     * messages, {@code re*} with a hundred hits took seconds of CPU per request; so did an email's or an order
     * number's prefix ({@code olena@exa*}, {@code #A-10*}) over their fields. The words are taken a hit at a time,
     * each hit's first before any hit's second, so long emails at the top of a page do not use them all up and
     * leave the hits below them unmarked.
     */
    static Query prefixesIn(Query query, IndexSearcher searcher, int[] docIds, Analyzer analyzer) throws IOException {
        List<PrefixQuery> prefixes = new ArrayList<>();
        collectPrefixes(query, prefixes);
        if (prefixes.isEmpty()) {
            return query;
        }
        Map<PrefixQuery, List<List<BytesRef>>> byHit = new HashMap<>();
        prefixes.forEach(prefix -> byHit.put(prefix, new ArrayList<>()));
        Map<String, List<PrefixQuery>> byField = new LinkedHashMap<>();
        prefixes.forEach(prefix -> byField.computeIfAbsent(prefix.getField(), f -> new ArrayList<>()).add(prefix));
        StoredFields stored = searcher.storedFields();
        for (int doc : docIds) {
            String text = stored.document(doc, Set.of(SearchFields.TEXT)).get(SearchFields.TEXT);
            if (text == null) {
                continue;
            }
            String read = text.length() > MAX_CHARS ? text.substring(0, MAX_CHARS) : text;
            for (Map.Entry<String, List<PrefixQuery>> field : byField.entrySet()) {
                Map<PrefixQuery, Set<BytesRef>> found = new HashMap<>();
                field.getValue().forEach(prefix -> found.put(prefix, new LinkedHashSet<>()));
                try (TokenStream tokens = analyzer.tokenStream(field.getKey(), read)) {
                    TermToBytesRefAttribute term = tokens.addAttribute(TermToBytesRefAttribute.class);
                    tokens.reset();
                    while (tokens.incrementToken()) {
                        BytesRef bytes = term.getBytesRef();
                        for (PrefixQuery prefix : field.getValue()) {
                            Set<BytesRef> words = found.get(prefix);
                            if (words.size() < MAX_PREFIX_WORDS
                                    && StringHelper.startsWith(bytes, prefix.getPrefix().bytes())) {
                                words.add(BytesRef.deepCopyOf(bytes));
                            }
                        }
                    }
                    tokens.end();
                }
                found.forEach((prefix, words) -> byHit.get(prefix).add(List.copyOf(words)));
            }
        }
        Map<PrefixQuery, Set<BytesRef>> words = new HashMap<>();
        byHit.forEach((prefix, hits) -> words.put(prefix, takenInTurns(hits)));
        return replacePrefixes(query, words);
    }

    /** Up to {@link #MAX_PREFIX_WORDS} of the hits' words: each hit's first, then each hit's second, and so on. */
    private static Set<BytesRef> takenInTurns(List<List<BytesRef>> hits) {
        Set<BytesRef> taken = new LinkedHashSet<>();
        for (int turn = 0; taken.size() < MAX_PREFIX_WORDS; turn++) {
            boolean more = false;
            for (List<BytesRef> hit : hits) {
                if (turn < hit.size()) {
                    more = true;
                    taken.add(hit.get(turn));
                    if (taken.size() == MAX_PREFIX_WORDS) {
                        break;
                    }
                }
            }
            if (!more) {
                break;
            }
        }
        return taken;
    }

    /** The prefixes the highlighter would walk a field's dictionary for: the text's and the exact fields'. */
    private static void collectPrefixes(Query query, List<PrefixQuery> into) {
        switch (query) {
            case PrefixQuery prefix when PREFIX_FIELDS.contains(prefix.getField()) -> into.add(prefix);
            // A prefix the analysis splits ("x-a*"): a phrase ending in the prefix of its last word.
            case SpanMultiTermQueryWrapper<?> span -> collectPrefixes(span.getWrappedQuery(), into);
            case SpanNearQuery near -> Arrays.stream(near.getClauses()).forEach(c -> collectPrefixes(c, into));
            case BoostQuery boost -> collectPrefixes(boost.getQuery(), into);
            case DisjunctionMaxQuery max -> max.getDisjuncts().forEach(d -> collectPrefixes(d, into));
            case BooleanQuery bool -> bool.clauses().forEach(c -> collectPrefixes(c.query(), into));
            default -> {
            }
        }
    }

    private static Query replacePrefixes(Query query, Map<PrefixQuery, Set<BytesRef>> words) {
        return switch (query) {
            case PrefixQuery prefix when words.containsKey(prefix) -> {
                BooleanQuery.Builder any = new BooleanQuery.Builder();
                words.get(prefix).forEach(word -> any.add(new TermQuery(new Term(prefix.getField(), word)),
                        BooleanClause.Occur.SHOULD));
                yield words.get(prefix).isEmpty() ? new MatchNoDocsQuery("no word of the hits has this prefix")
                        : any.build();
            }
            case SpanNearQuery near -> {
                // Left as a prefix in a phrase, the highlighter rewrites it for each hit, walking the dictionary.
                SpanQuery[] clauses = near.getClauses().clone();
                for (int i = 0; i < clauses.length; i++) {
                    if (clauses[i] instanceof SpanMultiTermQueryWrapper<?> span
                            && span.getWrappedQuery() instanceof PrefixQuery prefix && words.containsKey(prefix)) {
                        if (words.get(prefix).isEmpty()) {
                            yield new MatchNoDocsQuery("no word of the hits has this prefix");
                        }
                        clauses[i] = new SpanOrQuery(words.get(prefix).stream()
                                .map(word -> new SpanTermQuery(new Term(prefix.getField(), word)))
                                .toArray(SpanQuery[]::new));
                    }
                }
                yield new SpanNearQuery(clauses, near.getSlop(), near.isInOrder());
            }
            case BoostQuery boost -> new BoostQuery(replacePrefixes(boost.getQuery(), words), boost.getBoost());
            case DisjunctionMaxQuery max -> new DisjunctionMaxQuery(max.getDisjuncts().stream()
                    .map(d -> replacePrefixes(d, words)).toList(), max.getTieBreakerMultiplier());
            case BooleanQuery bool -> {
                BooleanQuery.Builder copy = new BooleanQuery.Builder()
                        .setMinimumNumberShouldMatch(bool.getMinimumNumberShouldMatch());
                bool.clauses().forEach(c -> copy.add(replacePrefixes(c.query(), words), c.occur()));
                yield copy.build();
            }
            default -> query;
        };
    }
}
