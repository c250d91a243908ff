package io.throughline.search;

import java.text.BreakIterator;
import java.text.CharacterIterator;
import java.text.StringCharacterIterator;
import java.util.Arrays;
import java.util.Locale;

/**
 * Sentence boundaries, with a sentence longer than {@code maxChars} cut at spaces (or, with none near, anywhere but
 * inside a surrogate pair). Passages are made of whole sentences, so a pasted log, a CSV or a long chat message
 * with no full stop was one sentence: its snippet was the whole text, up to the highlighter's 300,000 characters.
 */
final class BoundedSentences extends BreakIterator {

    private final int maxChars;
    private CharacterIterator text = new StringCharacterIterator("");
    private int[] bounds = {0};
    private int index;

    BoundedSentences(int maxChars) {
        if (maxChars < 2) {
            throw new IllegalArgumentException("maxChars must be at least 2");
        }
        this.maxChars = maxChars;
    }

    @Override
    public void setText(CharacterIterator newText) {
        text = newText;
        int begin = newText.getBeginIndex();
        StringBuilder chars = new StringBuilder(newText.getEndIndex() - begin);
        for (char c = newText.first(); c != CharacterIterator.DONE; c = newText.next()) {
            chars.append(c);
        }
        String s = chars.toString();
        BreakIterator sentences = BreakIterator.getSentenceInstance(Locale.ROOT);
        sentences.setText(s);
        int[] out = new int[16];
        int count = 0;
        int start = sentences.first();
        out[count++] = start;
        for (int end = sentences.next(); end != DONE; start = end, end = sentences.next()) {
            for (int cut = cut(s, start, end); cut < end; cut = cut(s, cut, end)) {
                out = room(out, count);
                out[count++] = cut;
            }
            out = room(out, count);
            out[count++] = end;
        }
        bounds = Arrays.copyOf(out, count);
        for (int i = 0; i < count; i++) {
            bounds[i] += begin;
        }
        index = 0;
    }

    /** Where a piece starting at {@code from} ends: {@code end} when short enough, else after its last space. */
    private int cut(String s, int from, int end) {
        if (end - from <= maxChars) {
            return end;
        }
        int limit = from + maxChars;
        for (int i = limit; i > from + maxChars / 2; i--) {
            if (Character.isWhitespace(s.charAt(i - 1))) {
                return i;
            }
        }
        return Character.isLowSurrogate(s.charAt(limit)) ? limit - 1 : limit;
    }

    private static int[] room(int[] array, int count) {
        return count < array.length ? array : Arrays.copyOf(array, array.length * 2);
    }

    @Override
    public CharacterIterator getText() {
        return text;
    }

    @Override
    public int first() {
        index = 0;
        return bounds[index];
    }

    @Override
    public int last() {
        index = bounds.length - 1;
        return bounds[index];
    }

    @Override
    public int current() {
        return bounds[index];
    }

    @Override
    public int next() {
        if (index >= bounds.length - 1) {
            return DONE;
        }
        return bounds[++index];
    }

    @Override
    public int previous() {
        if (index == 0) {
            return DONE;
        }
        return bounds[--index];
    }

    @Override
    public int next(int n) {
        int target = index + n;
        if (target < 0 || target >= bounds.length) {
            index = target < 0 ? 0 : bounds.length - 1;
            return DONE;
        }
        index = target;
        return bounds[index];
    }

    /** The first boundary after {@code offset}, or DONE (the iterator then rests on the last boundary). */
    @Override
    public int following(int offset) {
        int i = Arrays.binarySearch(bounds, offset);
        i = i >= 0 ? i + 1 : -i - 1;
        if (i >= bounds.length) {
            index = bounds.length - 1;
            return DONE;
        }
        index = i;
        return bounds[index];
    }

    /** The last boundary before {@code offset}, or DONE (the iterator then rests on the first boundary). */
    @Override
    public int preceding(int offset) {
        int i = Arrays.binarySearch(bounds, offset);
        i = i >= 0 ? i - 1 : -i - 2;
        if (i < 0) {
            index = 0;
            return DONE;
        }
        index = i;
        return bounds[index];
    }
}
