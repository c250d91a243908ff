package io.throughline.search;

import io.throughline.conversation.Status;
import io.throughline.failure.Invalid;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import org.apache.lucene.analysis.Analyzer;
import org.apache.lucene.analysis.CharArraySet;
import org.apache.lucene.analysis.TokenStream;
import org.apache.lucene.analysis.tokenattributes.CharTermAttribute;
import org.apache.lucene.analysis.tokenattributes.PositionIncrementAttribute;
import org.apache.lucene.analysis.en.EnglishAnalyzer;
import org.apache.lucene.analysis.ru.RussianAnalyzer;
import org.apache.lucene.analysis.uk.UkrainianMorfologikAnalyzer;
import org.apache.lucene.document.LongField;
import org.apache.lucene.document.NumericDocValuesField;
import org.apache.lucene.index.Term;
import org.apache.lucene.queries.spans.SpanMultiTermQueryWrapper;
import org.apache.lucene.queries.spans.SpanNearQuery;
import org.apache.lucene.queries.spans.SpanQuery;
import org.apache.lucene.queries.spans.SpanTermQuery;
import org.apache.lucene.search.BooleanClause;
import org.apache.lucene.search.BooleanQuery;
import org.apache.lucene.search.BoostQuery;
import org.apache.lucene.search.DisjunctionMaxQuery;
import org.apache.lucene.search.MatchNoDocsQuery;
import org.apache.lucene.search.PrefixQuery;
import org.apache.lucene.search.Query;
import org.apache.lucene.search.TermInSetQuery;
import org.apache.lucene.search.TermQuery;
import org.apache.lucene.util.BytesRef;
import org.apache.lucene.util.QueryBuilder;

/**
 * Turns a {@link SearchQuery} into a Lucene query. Every word is searched in the standard field (the form as
 * typed, boosted) and in each language field analyzed by that language, combined as a disjunction-max so a
 * message scores by its best field. The workspace is always a filter clause of the query itself.
 *
 * <p>Words every word list calls common ("the", "и", "та", "się") are optional rather than required, unless the
 * query has nothing else; inside a phrase every word counts.
 */
final class MessageQueries {

    private static final float TEXT_BOOST = 1.5f;
    private static final float EXACT_BOOST = 3f;
    /**
     * A message scores by its best field alone. A tie-breaker above 0 keeps the disjunction from passing the minimum
     * competitive score down to its fields, so every message holding a common word was scored in full; and the same
     * text analyzed five ways has little to add to its best field's score.
     */
    private static final float TIE_BREAKER = 0f;
    /**
     * The terms the prefixes ending a phrase ("A-1*") expand to, at most, shared by all of a query's prefixes. Each
     * such term is a clause of the rewritten query, and Lucene refuses a query of more than 1024 clauses in all
     * (the other words, in every field, count too).
     */
    static final int PREFIX_TERMS_BUDGET = 512;
    /**
     * The positions a search's phrases may hold in all (a word joined by punctuation is a phrase of its parts, and a
     * character of Chinese or Japanese one word): "a-a-a-…" is one term of QuerySyntax's 32, and was a phrase of 500
     * positions, each stepping through the word's postings for every message holding it. A pasted sentence or link
     * stays well within it.
     */
    static final int MAX_QUERY_POSITIONS = 256;
    /**
     * An exact token's text is also looked for as written (for messages indexed before its exact field) only up to
     * this many words: past it, the exact field alone finds it.
     */
    static final int MAX_WRITTEN_EXACT = 64;
    private static final Set<String> POLISH_COMMON = Set.of(
            "i", "w", "z", "na", "do", "się", "sie", "że", "to", "jest", "a", "o", "od", "po", "jak", "czy", "ze",
            "we", "u", "za", "mi", "mnie");

    /** Resolves filter values that name things kept in PostgreSQL (an agent's email, a contact). */
    interface FilterValues {
        /** Resolves no agent and no contact: for queries built outside a server (the benchmark harness, tests). */
        FilterValues NONE = new FilterValues() {
            @Override
            public List<Long> assignees(List<String> values) {
                return List.of();
            }

            @Override
            public List<Long> contacts(String value) {
                return List.of();
            }
        };

        /** Agent ids for {@code assignee:} values (0 for none). */
        List<Long> assignees(List<String> values);

        /** Contact ids (after merges) for a {@code contact:} value. */
        List<Long> contacts(String value);
    }

    private final Analyzer analyzer;
    private final QueryBuilder builder;
    private final List<CharArraySet> stopSets = List.of(EnglishAnalyzer.ENGLISH_STOP_WORDS_SET,
            RussianAnalyzer.getDefaultStopSet(), UkrainianMorfologikAnalyzer.getDefaultStopwords());

    MessageQueries(Analyzer analyzer) {
        this.analyzer = analyzer;
        this.builder = new QueryBuilder(analyzer);
    }

    /** The query of one search; null when nothing in it can be searched for (only punctuation, say). */
    Query build(long workspaceId, SearchQuery query, FilterValues values) {
        BooleanQuery.Builder top = new BooleanQuery.Builder();
        top.add(new TermQuery(new Term(SearchFields.WORKSPACE, Long.toString(workspaceId))),
                BooleanClause.Occur.FILTER);
        List<Query> required = new ArrayList<>();
        List<Query> optional = new ArrayList<>();
        int constraints = 0;
        int positions = query.terms().stream().mapToInt(t -> positions(t.clause())).sum();
        if (positions > MAX_QUERY_POSITIONS) {
            throw Invalid.field("q", "holds " + positions + " words in its phrases and joined words; a search takes"
                    + " at most " + MAX_QUERY_POSITIONS + " (a character of Chinese or Japanese counts as one)");
        }
        int prefixes = query.terms().stream().mapToInt(t -> splitPrefixes(t.clause())).sum();
        int prefixTerms = PREFIX_TERMS_BUDGET / Math.max(1, prefixes);
        for (SearchQuery.Term term : query.terms()) {
            Query clause = clause(term.clause(), prefixTerms);
            if (clause == null) {
                continue;
            }
            if (term.negated()) {
                top.add(clause, BooleanClause.Occur.MUST_NOT);
                constraints++;
            } else if (term.clause() instanceof SearchQuery.Word word && isCommon(word.text())) {
                optional.add(clause);
            } else {
                required.add(clause);
            }
        }
        if (required.isEmpty()) {
            required.addAll(optional);
            optional.clear();
        }
        required.forEach(q -> top.add(q, BooleanClause.Occur.MUST));
        optional.forEach(q -> top.add(q, BooleanClause.Occur.SHOULD));
        constraints += required.size();
        for (SearchQuery.Filter filter : query.filters()) {
            top.add(filter(filter, values), filter.negated() ? BooleanClause.Occur.MUST_NOT
                    : BooleanClause.Occur.FILTER);
            constraints++;
        }
        return constraints == 0 ? null : top.build();
    }

    /** The positions a clause's phrases hold (its words, for one word: a phrase of one). */
    private int positions(SearchQuery.Clause clause) {
        return switch (clause) {
            case SearchQuery.Word word -> positions(SearchFields.TEXT, word.text());
            case SearchQuery.Phrase phrase -> positions(SearchFields.TEXT, phrase.text());
            case SearchQuery.Prefix prefix -> analyze(SearchFields.TEXT, prefix.text()).size();
            case SearchQuery.Exact exact -> writtenExact(exact.raw());
            case SearchQuery.AnyOf any -> any.options().stream().mapToInt(this::positions).sum();
        };
    }

    /** The positions an exact token's text as written is looked for with; 0 past {@link #MAX_WRITTEN_EXACT}. */
    private int writtenExact(String raw) {
        int words = positions(SearchFields.TEXT, raw);
        return words > MAX_WRITTEN_EXACT ? 0 : words;
    }

    /** The prefixes in a clause that end a phrase ("A-1*"): only those expand to terms, within the budget. */
    private int splitPrefixes(SearchQuery.Clause clause) {
        return switch (clause) {
            case SearchQuery.Prefix prefix -> analyze(SearchFields.TEXT, prefix.text()).size() > 1 ? 1 : 0;
            case SearchQuery.AnyOf any -> any.options().stream().mapToInt(this::splitPrefixes).sum();
            default -> 0;
        };
    }

    /**
     * The text part of a clause, or null when it analyzes to nothing in every field; a prefix ending a phrase
     * expands to at most {@code prefixTerms} terms.
     */
    private Query clause(SearchQuery.Clause clause, int prefixTerms) {
        return switch (clause) {
            case SearchQuery.Word word -> acrossFields(word.text());
            case SearchQuery.Phrase phrase -> acrossFields(phrase.text());
            case SearchQuery.Prefix prefix -> prefix(prefix.text(), prefixTerms);
            case SearchQuery.Exact exact -> exact(exact);
            case SearchQuery.AnyOf any -> anyOf(any.options(), prefixTerms);
        };
    }

    /**
     * A word or a phrase, in the standard field and every language field, best field wins. A language field whose
     * analysis drops words of a phrase (its stop words: "not", "не", "was") is left out for it: there "not
     * delivered" would be "delivered" alone, found in "was delivered" and excluded by -"not delivered" wrongly.
     */
    private Query acrossFields(String text) {
        int words = positions(SearchFields.TEXT, text);
        List<Query> perField = new ArrayList<>();
        Query standard = builder.createPhraseQuery(SearchFields.TEXT, text);
        if (standard != null) {
            perField.add(new BoostQuery(standard, TEXT_BOOST));
        }
        for (Language language : Language.values()) {
            Query stemmed = builder.createPhraseQuery(language.field(), text);
            if (stemmed != null && (words < 2 || positions(language.field(), text) >= words)) {
                perField.add(stemmed);
            }
        }
        return perField.isEmpty() ? null : new DisjunctionMaxQuery(perField, TIE_BREAKER);
    }

    /**
     * How many positions the field's analysis fills with a token: its words, where each of several base forms of
     * one word ("стали": "стати", "сталь") shares that word's position, and a dropped stop word leaves a gap.
     */
    private int positions(String field, String text) {
        return (int) analyze(field, text).stream().filter(token -> token.increment() > 0).count();
    }

    /** A token of a field's analysis: its term, and how many positions it moves on from the one before. */
    private record Token(String term, int increment) {
    }

    /** The tokens the field's analysis makes of the text, in order. */
    private List<Token> analyze(String field, String text) {
        List<Token> tokens = new ArrayList<>();
        try (TokenStream stream = analyzer.tokenStream(field, text)) {
            CharTermAttribute term = stream.addAttribute(CharTermAttribute.class);
            PositionIncrementAttribute increment = stream.addAttribute(PositionIncrementAttribute.class);
            stream.reset();
            while (stream.incrementToken()) {
                tokens.add(new Token(term.toString(), increment.getPositionIncrement()));
            }
            stream.end();
            return tokens;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * Words starting with the text. A stem the text analysis splits ("A-104", "olena@exa") is a phrase whose last
     * word is the prefix; one shaped like an order number or an email also matches the start of those exact tokens
     * ("#A-104*" finds #A-10492, whose words are "a" and "10492").
     */
    private Query prefix(String text, int maxTerms) {
        List<String> words = analyze(SearchFields.TEXT, text).stream().map(Token::term).toList();
        Query inText;
        if (words.size() <= 1) {
            BytesRef stem = words.isEmpty() ? analyzer.normalize(SearchFields.TEXT, text) : new BytesRef(words.get(0));
            inText = new PrefixQuery(new Term(SearchFields.TEXT, stem));
        } else {
            SpanQuery[] clauses = new SpanQuery[words.size()];
            for (int i = 0; i < words.size() - 1; i++) {
                clauses[i] = new SpanTermQuery(new Term(SearchFields.TEXT, words.get(i)));
            }
            SpanMultiTermQueryWrapper<PrefixQuery> last = new SpanMultiTermQueryWrapper<>(
                    new PrefixQuery(new Term(SearchFields.TEXT, words.getLast())));
            // A short last word ("A-1*") would expand to every term it starts, past Lucene's clause limit: it keeps
            // the first ones in term order (of every workspace's words). An order number's or an email's prefix
            // is matched in full besides, by its exact field below.
            last.setRewriteMethod(new SpanMultiTermQueryWrapper.TopTermsSpanBooleanQueryRewrite(maxTerms));
            clauses[words.size() - 1] = last;
            inText = new SpanNearQuery(clauses, 0, true);
        }
        BooleanQuery.Builder any = new BooleanQuery.Builder().add(inText, BooleanClause.Occur.SHOULD);
        // An order number's start written without its dash ("a104*", one word) is one too: README calls A-10492 and
        // a10492 the same order.
        String order = ExactTokens.orderKey(text);
        if (order.chars().anyMatch(Character::isDigit)) {
            any.add(new PrefixQuery(new Term(ExactKind.ORDER.field(), order)), BooleanClause.Occur.SHOULD);
        }
        if (text.indexOf('@') > 0) {
            any.add(new PrefixQuery(new Term(ExactKind.EMAIL.field(), ExactTokens.emailKey(text))),
                    BooleanClause.Occur.SHOULD);
        }
        return any.build();
    }

    /** The normalized token in its exact field, or the text as written (a phrase) for messages that predate it. */
    private Query exact(SearchQuery.Exact exact) {
        BooleanQuery.Builder either = new BooleanQuery.Builder();
        either.add(new BoostQuery(new TermQuery(new Term(exact.kind().field(), exact.key())), EXACT_BOOST),
                BooleanClause.Occur.SHOULD);
        Query written = writtenExact(exact.raw()) == 0 ? null : acrossFields(exact.raw());
        if (written != null) {
            either.add(written, BooleanClause.Occur.SHOULD);
        }
        return either.build();
    }

    private Query anyOf(List<SearchQuery.Clause> options, int prefixTerms) {
        BooleanQuery.Builder any = new BooleanQuery.Builder();
        int added = 0;
        for (SearchQuery.Clause option : options) {
            Query query = clause(option, prefixTerms);
            if (query != null) {
                any.add(query, BooleanClause.Occur.SHOULD);
                added++;
            }
        }
        return added == 0 ? null : any.setMinimumNumberShouldMatch(1).build();
    }

    private boolean isCommon(String word) {
        String lower = word.toLowerCase(Locale.ROOT);
        if (POLISH_COMMON.contains(lower)) {
            return true;
        }
        for (CharArraySet stop : stopSets) {
            if (stop.contains(lower)) {
                return true;
            }
        }
        return false;
    }

    private static Query filter(SearchQuery.Filter filter, FilterValues values) {
        return switch (filter.kind()) {
            case CHANNEL -> terms(SearchFields.CHANNEL, filter.values());
            case STATUS -> NumericDocValuesField.newSlowSetQuery(SearchFields.STATUS, filter.values().stream()
                    .mapToLong(s -> StatusCodes.of(Status.fromWireName(s).orElseThrow()))
                    .toArray());
            case ASSIGNEE -> NumericDocValuesField.newSlowSetQuery(SearchFields.ASSIGNEE,
                    values.assignees(filter.values()).stream().mapToLong(Long::longValue).toArray());
            case FROM -> LongField.newRangeQuery(SearchFields.CREATED_AT, filter.from().toEpochMilli(), Long.MAX_VALUE);
            case TO -> LongField.newRangeQuery(SearchFields.CREATED_AT, Long.MIN_VALUE,
                    filter.to().toEpochMilli() - 1);
            case CONTACT -> {
                Set<String> ids = new HashSet<>();
                for (String value : filter.values()) {
                    values.contacts(value).forEach(id -> ids.add(Long.toString(id)));
                }
                yield ids.isEmpty() ? new MatchNoDocsQuery("no such contact") : terms(SearchFields.CONTACT, ids);
            }
        };
    }

    private static Query terms(String field, Collection<String> values) {
        if (values.size() == 1) {
            return new TermQuery(new Term(field, values.iterator().next()));
        }
        return new TermInSetQuery(field, values.stream().map(BytesRef::new).toList());
    }
}
