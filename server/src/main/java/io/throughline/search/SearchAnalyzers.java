package io.throughline.search;

import java.io.Reader;
import java.util.HashMap;
import java.util.Map;
import org.apache.lucene.analysis.Analyzer;
import org.apache.lucene.analysis.CharArraySet;
import org.apache.lucene.analysis.LowerCaseFilter;
import org.apache.lucene.analysis.StopFilter;
import org.apache.lucene.analysis.TokenStream;
import org.apache.lucene.analysis.Tokenizer;
import org.apache.lucene.analysis.charfilter.MappingCharFilter;
import org.apache.lucene.analysis.charfilter.NormalizeCharMap;
import org.apache.lucene.analysis.en.EnglishAnalyzer;
import org.apache.lucene.analysis.miscellaneous.ASCIIFoldingFilter;
import org.apache.lucene.analysis.miscellaneous.PerFieldAnalyzerWrapper;
import org.apache.lucene.analysis.morfologik.MorfologikFilter;
import org.apache.lucene.analysis.ru.RussianAnalyzer;
import org.apache.lucene.analysis.ru.RussianLightStemFilter;
import org.apache.lucene.analysis.standard.StandardTokenizer;
import org.apache.lucene.analysis.uk.UkrainianMorfologikAnalyzer;

/**
 * The analyzers of every field, for indexing, querying and highlighting alike (indexing also splits words joined
 * by dots or underscores in {@code text}: {@link #forIndexing()}).
 *
 * <ul>
 *   <li>{@code text}: Unicode word breaks, lower case, Latin diacritics folded ({@code zamowienie} finds
 *       {@code zamówienie}), one apostrophe, {@code ё} as {@code е}. No stemming: it matches the form typed.
 *   <li>{@code text_en}: Lucene's English analyzer (Porter stemmer): {@code refund} finds {@code refunded}.
 *   <li>{@code text_ru}: Russian stop words and Lucene's light Russian stemmer (inflectional endings only):
 *       {@code заказ} finds {@code заказы}, {@code замена} finds {@code замену}. Chosen over the Snowball stemmer
 *       of {@code RussianAnalyzer}, which cuts some forms of a word deeper than others ({@code замена} to
 *       {@code зам} but {@code замену} to {@code замен}).
 *   <li>{@code text_uk}: the morfologik Ukrainian dictionary lemmatizer: {@code замовлення} finds
 *       {@code замовленням}.
 *   <li>{@code text_pl}: the morfologik Polish dictionary lemmatizer: {@code zamówienie} finds {@code zamówienia}.
 *       Chosen over the Stempel stemmer, which on support vocabulary gives different stems to forms of one word
 *       ({@code zwrot}/{@code zwrotu}, {@code płatność}/{@code płatności}).
 *   <li>{@code email}, {@code phone}, {@code order}: the normalized exact tokens of {@link ExactTokens}.
 * </ul>
 */
final class SearchAnalyzers {

    private SearchAnalyzers() {
    }

    /** One analyzer that dispatches on the field name, for queries and snippets; thread-safe and meant to be shared. */
    static Analyzer create() {
        return create(standard());
    }

    /**
     * The analyzer documents are indexed with: {@link #create()}'s, with the parts of words that dots or
     * underscores join stacked on them in {@code text} ({@link WordParts}).
     */
    static Analyzer forIndexing() {
        return create(standard(true));
    }

    private static Analyzer create(Analyzer text) {
        Map<String, Analyzer> fields = new HashMap<>();
        fields.put(SearchFields.TEXT, text);
        fields.put(Language.EN.field(), new EnglishAnalyzer());
        fields.put(Language.RU.field(), russian());
        fields.put(Language.UK.field(), new UkrainianMorfologikAnalyzer());
        fields.put(Language.PL.field(), polish());
        for (ExactKind kind : ExactKind.values()) {
            fields.put(kind.field(), exact(kind));
        }
        return new PerFieldAnalyzerWrapper(standard(), fields);
    }

    static Analyzer standard() {
        return standard(false);
    }

    private static Analyzer standard(boolean wordParts) {
        NormalizeCharMap map = standardCharMap();
        return new Analyzer() {
            @Override
            protected Reader initReader(String fieldName, Reader reader) {
                return new MappingCharFilter(map, reader);
            }

            @Override
            protected Reader initReaderForNormalization(String fieldName, Reader reader) {
                return new MappingCharFilter(map, reader);
            }

            @Override
            protected TokenStreamComponents createComponents(String fieldName) {
                Tokenizer source = new StandardTokenizer();
                TokenStream result = new ASCIIFoldingFilter(new LowerCaseFilter(source));
                return new TokenStreamComponents(source, wordParts ? new WordParts(result) : result);
            }

            @Override
            protected TokenStream normalize(String fieldName, TokenStream in) {
                return new ASCIIFoldingFilter(new LowerCaseFilter(in));
            }
        };
    }

    private static Analyzer russian() {
        NormalizeCharMap map = yoAsYe();
        CharArraySet stopwords = RussianAnalyzer.getDefaultStopSet();
        return new Analyzer() {
            @Override
            protected Reader initReader(String fieldName, Reader reader) {
                return new MappingCharFilter(map, reader);
            }

            @Override
            protected Reader initReaderForNormalization(String fieldName, Reader reader) {
                return new MappingCharFilter(map, reader);
            }

            @Override
            protected TokenStreamComponents createComponents(String fieldName) {
                Tokenizer source = new StandardTokenizer();
                TokenStream result = new RussianLightStemFilter(new StopFilter(new LowerCaseFilter(source),
                        stopwords));
                return new TokenStreamComponents(source, result);
            }

            @Override
            protected TokenStream normalize(String fieldName, TokenStream in) {
                return new LowerCaseFilter(in);
            }
        };
    }

    private static Analyzer polish() {
        return new Analyzer() {
            @Override
            protected TokenStreamComponents createComponents(String fieldName) {
                Tokenizer source = new StandardTokenizer();
                // Unknown words pass through the lemmatizer as written: lower-case them after it.
                TokenStream result = new LowerCaseFilter(new MorfologikFilter(source));
                return new TokenStreamComponents(source, result);
            }

            @Override
            protected TokenStream normalize(String fieldName, TokenStream in) {
                return new LowerCaseFilter(in);
            }
        };
    }

    private static Analyzer exact(ExactKind kind) {
        return new Analyzer() {
            @Override
            protected TokenStreamComponents createComponents(String fieldName) {
                return new TokenStreamComponents(new ExactTokenizer(kind));
            }
        };
    }

    private static NormalizeCharMap standardCharMap() {
        NormalizeCharMap.Builder builder = new NormalizeCharMap.Builder();
        // Ukrainian is written with any of these apostrophes: п'ять, п’ять, пʼять.
        builder.add("\u2019", "'");
        builder.add("\u02BC", "'");
        builder.add("\u2018", "'");
        builder.add("ё", "е");
        builder.add("Ё", "Е");
        return builder.build();
    }

    private static NormalizeCharMap yoAsYe() {
        NormalizeCharMap.Builder builder = new NormalizeCharMap.Builder();
        builder.add("ё", "е");
        builder.add("Ё", "Е");
        return builder.build();
    }
}
