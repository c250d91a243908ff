package io.throughline.search;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import org.apache.lucene.analysis.Analyzer;
import org.apache.lucene.analysis.TokenStream;
import org.apache.lucene.analysis.tokenattributes.CharTermAttribute;
import org.apache.lucene.analysis.tokenattributes.OffsetAttribute;
import org.apache.lucene.analysis.tokenattributes.PositionIncrementAttribute;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

/** Each field's analyzer: the language fields bring inflected forms together; the standard field keeps forms. */
class SearchAnalyzersTest {

    private static final Analyzer ANALYZER = SearchAnalyzers.create();

    @AfterAll
    static void close() {
        ANALYZER.close();
    }

    /**
     * At indexing, the parts of a word that dots or underscores join are stacked on it (same position, their own
     * offsets), so a file's name is found by its words; numbers stay whole, and queries are not split.
     */
    @Test
    void indexingStacksThePartsOfWordsJoinedByDotsOrUnderscores() throws IOException {
        String text = "see Receipt_March.pdf at 3.14 ok";
        List<String> indexed = new ArrayList<>();
        try (Analyzer indexing = SearchAnalyzers.forIndexing();
             TokenStream stream = indexing.tokenStream(SearchFields.TEXT, text)) {
            CharTermAttribute term = stream.addAttribute(CharTermAttribute.class);
            OffsetAttribute offset = stream.addAttribute(OffsetAttribute.class);
            PositionIncrementAttribute increment = stream.addAttribute(PositionIncrementAttribute.class);
            stream.reset();
            while (stream.incrementToken()) {
                indexed.add(term + "@" + increment.getPositionIncrement() + ":"
                        + text.substring(offset.startOffset(), offset.endOffset()));
            }
            stream.end();
        }
        assertThat(indexed).containsExactly("see@1:see", "receipt_march.pdf@1:Receipt_March.pdf",
                "receipt@0:Receipt", "march@0:March", "pdf@0:pdf", "at@1:at", "3.14@1:3.14", "ok@1:ok");
        assertThat(terms(SearchFields.TEXT, "Receipt_March.pdf")).containsExactly("receipt_march.pdf");
    }

    @Test
    void ukrainianFieldLemmatizesCaseForms() throws IOException {
        assertSameTerms(Language.UK.field(), "замовлення", "замовленням");
        assertSameTerms(Language.UK.field(), "посилка", "посилкою");
        assertSameTerms(Language.UK.field(), "повернення", "поверненні");
    }

    @Test
    void russianFieldStemsPlurals() throws IOException {
        assertSameTerms(Language.RU.field(), "заказ", "заказы");
        assertSameTerms(Language.RU.field(), "возврат", "возврата");
        assertSameTerms(Language.RU.field(), "счёт", "счета");
    }

    @Test
    void polishFieldLemmatizesCaseForms() throws IOException {
        assertSameTerms(Language.PL.field(), "zamówienie", "zamówienia");
        assertSameTerms(Language.PL.field(), "zwrot", "zwrotu");
        assertSameTerms(Language.PL.field(), "płatność", "płatności");
        assertSameTerms(Language.PL.field(), "przesyłka", "przesyłkę");
    }

    @Test
    void englishFieldStemsVerbForms() throws IOException {
        assertSameTerms(Language.EN.field(), "refund", "refunded");
        assertSameTerms(Language.EN.field(), "order", "orders");
        assertSameTerms(Language.EN.field(), "ship", "shipping");
    }

    @Test
    void standardFieldFoldsSpellingButKeepsForms() throws IOException {
        assertThat(terms(SearchFields.TEXT, "Zamówienie")).containsExactly("zamowienie");
        assertThat(terms(SearchFields.TEXT, "п’ять пʼять")).containsExactly("п'ять", "п'ять");
        assertThat(terms(SearchFields.TEXT, "Ещё")).containsExactly("еще");
        assertThat(terms(SearchFields.TEXT, "refunded")).containsExactly("refunded");
    }

    @Test
    void exactFieldsKeepOnlyNormalizedTokensWithTheirOffsets() throws IOException {
        String text = "Call (067) 123-45-67 or mail OLENA@example.com about #A-10492";
        assertThat(terms(SearchFields.PHONE, text)).containsExactly("671234567");
        assertThat(terms(SearchFields.EMAIL, text)).containsExactly("olena@example.com");
        assertThat(terms(SearchFields.ORDER, text)).containsExactly("a10492");
        assertThat(offsets(SearchFields.PHONE, text)).containsExactly(text.substring(5, 20));
    }

    private static void assertSameTerms(String field, String a, String b) throws IOException {
        List<String> first = terms(field, a);
        List<String> second = terms(field, b);
        assertThat(first).as("%s of %s", field, a).isNotEmpty();
        assertThat(second).as("%s: '%s' %s vs '%s' %s", field, a, first, b, second).containsAnyElementsOf(first);
    }

    private static List<String> terms(String field, String text) throws IOException {
        List<String> out = new ArrayList<>();
        try (TokenStream stream = ANALYZER.tokenStream(field, text)) {
            CharTermAttribute term = stream.addAttribute(CharTermAttribute.class);
            stream.reset();
            while (stream.incrementToken()) {
                out.add(term.toString());
            }
            stream.end();
        }
        return out;
    }

    private static List<String> offsets(String field, String text) throws IOException {
        List<String> out = new ArrayList<>();
        try (TokenStream stream = ANALYZER.tokenStream(field, text)) {
            OffsetAttribute offset = stream.addAttribute(OffsetAttribute.class);
            stream.reset();
            while (stream.incrementToken()) {
                out.add(text.substring(offset.startOffset(), offset.endOffset()));
            }
            stream.end();
        }
        return out;
    }
}
