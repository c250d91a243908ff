package io.throughline.search;

import static org.assertj.core.api.Assertions.assertThat;

import io.throughline.conversation.Status;
import java.io.IOException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.function.Supplier;
import org.apache.lucene.analysis.Analyzer;
import org.apache.lucene.document.NumericDocValuesField;
import org.apache.lucene.index.DirectoryReader;
import org.apache.lucene.index.IndexWriter;
import org.apache.lucene.index.IndexWriterConfig;
import org.apache.lucene.index.LeafReaderContext;
import org.apache.lucene.index.NumericDocValues;
import org.apache.lucene.index.ReaderUtil;
import org.apache.lucene.index.Term;
import org.apache.lucene.search.BooleanClause;
import org.apache.lucene.search.IndexSearcher;
import org.apache.lucene.search.Query;
import org.apache.lucene.search.QueryVisitor;
import org.apache.lucene.search.ScoreDoc;
import org.apache.lucene.search.TopDocs;
import org.apache.lucene.store.ByteBuffersDirectory;
import org.apache.lucene.util.automaton.ByteRunAutomaton;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Documents, queries and snippets together over an in-memory index: the search pipeline without a server. */
class MessageQueriesTest {

    private static final long WORKSPACE = 1;
    private static final Analyzer ANALYZER = SearchAnalyzers.create();
    private static final MessageQueries QUERIES = new MessageQueries(ANALYZER);
    private static final MessageQueries.FilterValues NO_LOOKUPS = new MessageQueries.FilterValues() {
        @Override
        public List<Long> assignees(List<String> values) {
            return values.stream().map(v -> v.equals("none") ? 0L : Long.parseLong(v)).toList();
        }

        @Override
        public List<Long> contacts(String value) {
            return List.of(Long.parseLong(value));
        }
    };
    private static ByteBuffersDirectory directory;
    private static IndexWriter writer;

    @BeforeAll
    static void index() throws IOException {
        directory = new ByteBuffersDirectory();
        writer = new IndexWriter(directory, new IndexWriterConfig(ANALYZER).setIndexSort(LiveIndex.INDEX_SORT));
        add(1, 1, "Де моє замовлення? Чекаю вже тиждень.");
        add(2, 1, "Где мои заказы? Жду неделю.");
        add(3, 1, "Gdzie są moje zamówienia? Czekam tydzień.");
        add(4, 1, "I was refunded twice, please check.");
        add(5, 1, "Call me at (067) 123-45-67 about order #A-10492, or write to Olena.K@Example.com");
        add(6, 1, "<script>alert('x')</script> refund & return");
        add(7, 2, "Де моє замовлення? Інший робочий простір.");
        add(8, 1, "The order arrived broken");
        add(9, 1, "Ми стали постійними клієнтами магазину");
        add(10, 1, "Ми не стали постійними клієнтами магазину");
        add(11, 1, "Write to john.smith@mail.example please");
        writer.commit();
    }

    @AfterAll
    static void close() throws IOException {
        writer.close();
        directory.close();
        ANALYZER.close();
    }

    private static void add(long id, long workspace, String text) throws IOException {
        writer.addDocument(MessageDocuments.toDocument(new IndexedMessage(id, workspace, 100 + id, 200 + id, "api",
                "in", Instant.parse("2024-03-01T00:00:00Z").plusSeconds(id), Status.OPEN, null, text, false)));
    }

    @Test
    void inflectedFormsFindEachOtherInEveryLanguage() throws IOException {
        assertThat(find("замовленням")).containsExactly(1L);
        assertThat(find("заказ")).containsExactly(2L);
        assertThat(find("zamówienie")).containsExactly(3L);
        assertThat(find("refund")).contains(4L, 6L);
    }

    /**
     * A phrase whose stop word ("не") a language field drops is left out there, even when that field makes two
     * words of another ("стали": "стати" and "сталь" at one position): its token count matched the phrase's.
     */
    @Test
    void aPhraseWithAStopWordKeepsItInEveryLanguageThatHasSeveralBaseFormsOfTheOtherWord() throws IOException {
        assertThat(find("\"не стали\"")).containsExactly(10L);
        assertThat(find("клієнтами -\"не стали\"")).containsExactly(9L);
    }

    @Test
    void polishWithoutDiacriticsStillFindsTheWordAsWritten() throws IOException {
        assertThat(find("zamowienia")).containsExactly(3L);
    }

    @Test
    void exactTokensMatchInAnyFormat() throws IOException {
        assertThat(find("+380671234567")).containsExactly(5L);
        assertThat(find("\"067 123 45 67\"")).containsExactly(5L);
        assertThat(find("a10492")).containsExactly(5L);
        assertThat(find("OLENA.K@EXAMPLE.COM")).containsExactly(5L);
        // Another address, which a dotted one ends with, is not this one (a review took the written form's phrase
        // for a way it would be; the address is one token of the standard field).
        assertThat(find("john.smith@mail.example")).containsExactly(11L);
        assertThat(find("smith@mail.example")).isEmpty();
        assertThat(find("smith@mail.ex*")).isEmpty();
    }

    /** A prefix with punctuation in it: of an order number, an email, a hyphenated word. */
    @Test
    void prefixesOfOrderNumbersAndEmailsFindThem() throws IOException {
        assertThat(find("#A-104*")).containsExactly(5L);
        assertThat(find("A-104*")).containsExactly(5L);
        assertThat(find("a104*")).as("written without its dash").containsExactly(5L);
        assertThat(find("#A104*")).containsExactly(5L);
        assertThat(find("olena.k@exa*")).containsExactly(5L);
        assertThat(find("#A-105*")).isEmpty();
        assertThat(snippet("A-104*", 5)).contains("<mark>");
    }

    /**
     * Prefixes ending a phrase over a dictionary with more words they start than Lucene's clause limit (1,100
     * order numbers starting "1"): each expands within a shared budget instead of failing the whole query, and
     * the order-number field still finds every match.
     */
    @Test
    void prefixesOfSplitWordsOverAHugeDictionaryStayWithinTheClauseLimit() throws IOException {
        try (ByteBuffersDirectory many = new ByteBuffersDirectory();
             IndexWriter manyWriter = new IndexWriter(many, new IndexWriterConfig(ANALYZER))) {
            for (int i = 0; i < 1100; i++) {
                manyWriter.addDocument(MessageDocuments.toDocument(new IndexedMessage(i, WORKSPACE, 1, 1, "api",
                        "in", Instant.parse("2024-03-01T00:00:00Z"), Status.OPEN, null,
                        "Orders A-1" + (1000 + i) + " and B-1" + (1000 + i) + " arrived", false)));
            }
            manyWriter.commit();
            try (DirectoryReader reader = DirectoryReader.open(many)) {
                IndexSearcher searcher = new IndexSearcher(reader);
                for (String q : List.of("A-1*", "A-1* B-1*", "A-1* OR B-1* OR C-1*")) {
                    Query query = QUERIES.build(WORKSPACE, QuerySyntax.parse(q), NO_LOOKUPS);
                    assertThat(searcher.count(query)).as(q).isEqualTo(1100);
                }
            }
        }
    }

    @Test
    void exclusionsPrefixesAndAlternatives() throws IOException {
        assertThat(find("order -broken")).containsExactly(5L);
        assertThat(find("refun*")).contains(6L);
        assertThat(find("заказ OR zamówienie")).containsExactlyInAnyOrder(2L, 3L);
    }

    @Test
    void commonWordsAreOptional() throws IOException {
        assertThat(find("the refund")).contains(4L, 6L);
    }

    @Test
    void anotherWorkspaceIsNeverFound() throws IOException {
        assertThat(find("замовлення")).containsExactly(1L);
    }

    @Test
    void snippetsMarkEveryFieldsMatchesAndEscapeHtml() throws IOException {
        assertThat(snippet("замовленням", 1)).isEqualTo("Де моє <mark>замовлення</mark>? Чекаю вже тиждень.");
        assertThat(snippet("+380 67 123 45 67", 5)).contains("<mark>(067) 123-45-67</mark>");
        assertThat(snippet("refun*", 6)).contains("<mark>refund</mark>");
        String escaped = snippet("refund", 6);
        assertThat(escaped).contains("&lt;script&gt;").contains("<mark>refund</mark>").doesNotContain("<script>");
    }

    @Test
    void aPrefixIsMarkedByTheWordsOfTheHitsItMatches() throws IOException {
        List<Term> terms = new ArrayList<>();
        assertThat(automataLeftFor("refun*", terms)).isEmpty();
        assertThat(terms).contains(new Term(SearchFields.TEXT, "refund"), new Term(SearchFields.TEXT, "refunded"));
    }

    /**
     * An email's or an order number's prefix is replaced by the hits' own tokens of its exact field too: left as a
     * prefix there, the highlighter walked every address or order number of the index for every hit.
     */
    @Test
    void anEmailsOrAnOrderNumbersPrefixIsMarkedByTheHitsOwnTokens() throws IOException {
        List<Term> emails = new ArrayList<>();
        assertThat(automataLeftFor("olena.k@exa*", emails)).doesNotContain(ExactKind.EMAIL.field());
        assertThat(emails).contains(new Term(ExactKind.EMAIL.field(), "olena.k@example.com"));
        List<Term> orders = new ArrayList<>();
        assertThat(automataLeftFor("#A-10*", orders)).doesNotContain(ExactKind.ORDER.field());
        assertThat(orders).anyMatch(t -> t.field().equals(ExactKind.ORDER.field()));
        assertThat(snippet("#A-10*", 5)).contains("<mark>");
    }

    /**
     * A prefix the text analysis splits ("A-104*": the words "a" and a prefix of the next) is a phrase ending in a
     * prefix; left so, the highlighter rewrote it for every hit, walking every word of the index starting with it.
     * It is replaced by the hits' own words too, and still marks them.
     */
    @Test
    void aSplitPrefixIsMarkedByTheHitsOwnWords() throws IOException {
        List<Term> terms = new ArrayList<>();
        assertThat(automataLeftFor("A-104*", terms)).doesNotContain(SearchFields.TEXT);
        assertThat(terms).contains(new Term(SearchFields.TEXT, "10492"));
        assertThat(snippet("A-104*", 5)).contains("<mark>#A-10492</mark>");
    }

    /**
     * A prefix's words are taken a hit at a time: a long email at the top of a page, with more matching words than
     * the cap, took them all, and the hits below it were shown unmarked as if they did not match.
     */
    @Test
    void aLongHitDoesNotTakeEveryWordOfAPrefixFromTheHitsBelowIt() throws IOException {
        try (ByteBuffersDirectory own = new ByteBuffersDirectory();
             IndexWriter ownWriter = new IndexWriter(own, new IndexWriterConfig(ANALYZER))) {
            StringBuilder longMail = new StringBuilder();
            for (int i = 0; i < Snippets.MAX_PREFIX_WORDS + 10; i++) {
                longMail.append("rework").append(i).append(' ');
            }
            ownWriter.addDocument(MessageDocuments.toDocument(new IndexedMessage(1, 1, 101, 201, "email", "in",
                    Instant.parse("2024-03-01T00:00:00Z"), Status.OPEN, null, longMail.toString(), false)));
            ownWriter.addDocument(MessageDocuments.toDocument(new IndexedMessage(2, 1, 102, 202, "email", "in",
                    Instant.parse("2024-03-02T00:00:00Z"), Status.OPEN, null, "we need a replacement", false)));
            ownWriter.commit();
            try (DirectoryReader reader = DirectoryReader.open(ownWriter)) {
                IndexSearcher searcher = new IndexSearcher(reader);
                Query query = QUERIES.build(WORKSPACE, QuerySyntax.parse("re*"), NO_LOOKUPS);
                List<Term> terms = new ArrayList<>();
                Snippets.prefixesIn(query, searcher, new int[] {0, 1}, ANALYZER).visit(new QueryVisitor() {
                    @Override
                    public void consumeTerms(Query leaf, Term... matched) {
                        terms.addAll(List.of(matched));
                    }

                    @Override
                    public QueryVisitor getSubVisitor(BooleanClause.Occur occur, Query parent) {
                        return this;
                    }
                });
                assertThat(terms).contains(new Term(SearchFields.TEXT, "replacement"));
                assertThat(terms.stream().filter(t -> t.field().equals(SearchFields.TEXT)).distinct())
                        .hasSize(Snippets.MAX_PREFIX_WORDS);
            }
        }
    }

    /** The fields whose dictionary the highlighter would still walk for a query's hits, for its prefixes. */
    private static List<String> automataLeftFor(String q, List<Term> terms) throws IOException {
        try (DirectoryReader reader = DirectoryReader.open(writer)) {
            IndexSearcher searcher = new IndexSearcher(reader);
            Query query = QUERIES.build(WORKSPACE, QuerySyntax.parse(q), NO_LOOKUPS);
            int[] hits = Arrays.stream(searcher.search(query, 20).scoreDocs).mapToInt(d -> d.doc).toArray();
            assertThat(hits).as("hits of " + q).isNotEmpty();
            List<String> automata = new ArrayList<>();
            Snippets.prefixesIn(query, searcher, hits, ANALYZER).visit(new QueryVisitor() {
                @Override
                public void consumeTerms(Query leaf, Term... matched) {
                    terms.addAll(List.of(matched));
                }

                @Override
                public void consumeTermsMatching(Query leaf, String field, Supplier<ByteRunAutomaton> automaton) {
                    automata.add(field);
                }

                @Override
                public QueryVisitor getSubVisitor(BooleanClause.Occur occur, Query parent) {
                    return this;
                }
            });
            return automata;
        }
    }

    @Test
    void conversationStatusIsUpdatedInPlace() throws IOException {
        writer.updateDocValues(MessageDocuments.conversationTerm(101),
                new NumericDocValuesField(SearchFields.STATUS, StatusCodes.of(Status.RESOLVED)),
                new NumericDocValuesField(SearchFields.ASSIGNEE, 42));
        try (DirectoryReader reader = DirectoryReader.open(writer)) {
            IndexSearcher searcher = new IndexSearcher(reader);
            Query resolved = QUERIES.build(WORKSPACE, QuerySyntax.parse("status:resolved assignee:42"), NO_LOOKUPS);
            TopDocs top = searcher.search(resolved, 10);
            assertThat(top.scoreDocs).hasSize(1);
            assertThat(idOf(reader, top.scoreDocs[0].doc)).isEqualTo(1L);
        }
    }

    private static List<Long> find(String q) throws IOException {
        try (DirectoryReader reader = DirectoryReader.open(writer)) {
            IndexSearcher searcher = new IndexSearcher(reader);
            TopDocs top = searcher.search(QUERIES.build(WORKSPACE, QuerySyntax.parse(q), NO_LOOKUPS), 20);
            List<Long> ids = new ArrayList<>();
            for (ScoreDoc doc : top.scoreDocs) {
                ids.add(idOf(reader, doc.doc));
            }
            return ids;
        }
    }

    private static String snippet(String q, long messageId) throws IOException {
        try (DirectoryReader reader = DirectoryReader.open(writer)) {
            IndexSearcher searcher = new IndexSearcher(reader);
            Query query = QUERIES.build(WORKSPACE, QuerySyntax.parse(q), NO_LOOKUPS);
            for (ScoreDoc doc : searcher.search(query, 20).scoreDocs) {
                if (idOf(reader, doc.doc) == messageId) {
                    return new Snippets(ANALYZER).highlight(searcher, query, new int[] {doc.doc})[0];
                }
            }
            throw new AssertionError("message " + messageId + " not found by " + q);
        }
    }

    private static long idOf(DirectoryReader reader, int doc) throws IOException {
        LeafReaderContext leaf = reader.leaves().get(ReaderUtil.subIndex(doc, reader.leaves()));
        NumericDocValues ids = leaf.reader().getNumericDocValues(SearchFields.ID);
        ids.advanceExact(doc - leaf.docBase);
        return ids.longValue();
    }

}
