package io.throughline.search;

import java.io.IOException;
import java.util.Iterator;
import java.util.List;
import org.apache.lucene.analysis.Tokenizer;
import org.apache.lucene.analysis.tokenattributes.CharTermAttribute;
import org.apache.lucene.analysis.tokenattributes.OffsetAttribute;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Emits the normalized keys of one kind of exact token ({@link ExactTokens}) with the offsets of the text as
 * written, so the highlighter marks {@code (067) 123-45-67} when {@code +380671234567} was searched.
 */
final class ExactTokenizer extends Tokenizer {

    private static final Logger log = LoggerFactory.getLogger(ExactTokenizer.class);
    private final ExactKind kind;
    private final CharTermAttribute term = addAttribute(CharTermAttribute.class);
    private final OffsetAttribute offset = addAttribute(OffsetAttribute.class);
    private final StringBuilder text = new StringBuilder();
    private Iterator<ExactTokens.Match> matches;

    ExactTokenizer(ExactKind kind) {
        this.kind = kind;
    }

    @Override
    public void reset() throws IOException {
        super.reset();
        text.setLength(0);
        char[] buffer = new char[4096];
        for (int read = input.read(buffer); read >= 0; read = input.read(buffer)) {
            text.append(buffer, 0, read);
        }
        List<ExactTokens.Match> found;
        try {
            found = ExactTokens.find(text, kind);
        } catch (StackOverflowError e) {
            // The patterns are bounded so this cannot happen; if it ever does, inside the index writer it would be
            // a tragedy that stops all indexing. This one text loses its exact tokens of this kind instead.
            log.error("exact {} tokens left out of a text that overflowed the matcher chars={}", kind, text.length());
            found = List.of();
        }
        matches = found.iterator();
    }

    @Override
    public boolean incrementToken() {
        if (!matches.hasNext()) {
            return false;
        }
        clearAttributes();
        ExactTokens.Match match = matches.next();
        term.setEmpty().append(match.key());
        offset.setOffset(correctOffset(match.start()), correctOffset(match.end()));
        return true;
    }

    @Override
    public void end() throws IOException {
        super.end();
        int last = correctOffset(text.length());
        offset.setOffset(last, last);
    }

    @Override
    public void close() throws IOException {
        super.close();
        text.setLength(0);
        matches = null;
    }
}
