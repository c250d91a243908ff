package io.throughline.search;

import java.io.IOException;
import java.util.ArrayDeque;
import java.util.Deque;
import org.apache.lucene.analysis.TokenFilter;
import org.apache.lucene.analysis.TokenStream;
import org.apache.lucene.analysis.standard.StandardTokenizer;
import org.apache.lucene.analysis.tokenattributes.CharTermAttribute;
import org.apache.lucene.analysis.tokenattributes.OffsetAttribute;
import org.apache.lucene.analysis.tokenattributes.PositionIncrementAttribute;
import org.apache.lucene.analysis.tokenattributes.TypeAttribute;

/**
 * At indexing, the parts of a word that dots or underscores join, stacked on it: Unicode word breaks keep
 * {@code receipt.pdf}, {@code order_confirmation.docx} and {@code api_key} whole, so an attachment's name (indexed
 * with the message's text) was found only by the whole name, never by {@code receipt}. The whole word stays, at its
 * own position, so a search for {@code receipt.pdf} and phrases around it match as before; each part takes the same
 * position (so no phrase moves) and, where the word's text is as long as its source, the part's own offsets (so a
 * snippet marks it). Numbers ({@code 3.14}) are left whole. Not applied to queries: a search for
 * {@code invoice_march.pdf} must not find every PDF.
 */
final class WordParts extends TokenFilter {

    private final CharTermAttribute term = addAttribute(CharTermAttribute.class);
    private final OffsetAttribute offset = addAttribute(OffsetAttribute.class);
    private final PositionIncrementAttribute increment = addAttribute(PositionIncrementAttribute.class);
    private final TypeAttribute type = addAttribute(TypeAttribute.class);
    private final Deque<Part> parts = new ArrayDeque<>();

    private record Part(String text, int start, int end) {
    }

    WordParts(TokenStream input) {
        super(input);
    }

    @Override
    public boolean incrementToken() throws IOException {
        Part part = parts.poll();
        if (part != null) {
            term.setEmpty().append(part.text());
            offset.setOffset(part.start(), part.end());
            increment.setPositionIncrement(0);
            return true;
        }
        if (!input.incrementToken()) {
            return false;
        }
        if (!StandardTokenizer.TOKEN_TYPES[StandardTokenizer.NUM].equals(type.type())) {
            split();
        }
        return true;
    }

    /** Queues the parts of the current word, if dots or underscores join any. */
    private void split() {
        String word = term.toString();
        if (word.indexOf('.') < 0 && word.indexOf('_') < 0) {
            return;
        }
        int start = offset.startOffset();
        boolean exact = offset.endOffset() - start == word.length();
        int from = 0;
        for (int i = 0; i <= word.length(); i++) {
            if (i == word.length() || word.charAt(i) == '.' || word.charAt(i) == '_') {
                if (i > from && !(from == 0 && i == word.length())) {
                    parts.add(new Part(word.substring(from, i), exact ? start + from : start,
                            exact ? start + i : offset.endOffset()));
                }
                from = i + 1;
            }
        }
    }

    @Override
    public void reset() throws IOException {
        super.reset();
        parts.clear();
    }
}
