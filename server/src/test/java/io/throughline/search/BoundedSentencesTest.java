package io.throughline.search;

import static org.assertj.core.api.Assertions.assertThat;

import java.text.BreakIterator;
import java.text.StringCharacterIterator;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.junit.jupiter.api.Test;

class BoundedSentencesTest {

    @Test
    void shortSentencesKeepTheBoundariesOfTheSentenceIterator() {
        String text = "Where is my order? It was due on Monday. Thanks!";
        BreakIterator jdk = BreakIterator.getSentenceInstance(Locale.ROOT);
        jdk.setText(text);
        assertThat(boundaries(bounded(text, 180))).isEqualTo(boundaries(jdk));
    }

    @Test
    void aLongSentenceIsCutAfterSpacesIntoPiecesNoLongerThanTheLimit() {
        String text = "12 ".repeat(200) + "ends here";
        List<Integer> bounds = boundaries(bounded(text, 50));
        assertThat(bounds.getFirst()).isZero();
        assertThat(bounds.getLast()).isEqualTo(text.length());
        for (int i = 1; i < bounds.size(); i++) {
            assertThat(bounds.get(i) - bounds.get(i - 1)).isBetween(1, 50);
            if (i < bounds.size() - 1) {
                assertThat(text.charAt(bounds.get(i) - 1)).isEqualTo(' ');
            }
        }
    }

    @Test
    void textWithoutSpacesIsCutAnywhereButInsideASurrogatePair() {
        String text = "a" + "😀".repeat(40);
        for (int bound : boundaries(bounded(text, 10))) {
            assertThat(bound == text.length() || !Character.isLowSurrogate(text.charAt(bound)))
                    .as("boundary %d", bound).isTrue();
        }
    }

    @Test
    void followingAndPrecedingAnswerAsTheJdkIteratorsDo() {
        String text = "x".repeat(30);
        StringCharacterIterator chars = new StringCharacterIterator("[[" + text, 2, 32, 2);
        BoundedSentences it = new BoundedSentences(10);
        it.setText(chars);
        assertThat(it.first()).isEqualTo(2);
        assertThat(it.following(2)).isEqualTo(12);
        assertThat(it.following(15)).isEqualTo(22);
        assertThat(it.current()).isEqualTo(22);
        assertThat(it.preceding(22)).isEqualTo(12);
        assertThat(it.preceding(2)).isEqualTo(BreakIterator.DONE);
        assertThat(it.current()).isEqualTo(2);
        assertThat(it.following(32)).isEqualTo(BreakIterator.DONE);
        assertThat(it.current()).isEqualTo(32);
        assertThat(it.last()).isEqualTo(32);
        assertThat(it.previous()).isEqualTo(22);
        assertThat(it.next(2)).isEqualTo(BreakIterator.DONE);
    }

    private static BoundedSentences bounded(String text, int max) {
        BoundedSentences it = new BoundedSentences(max);
        it.setText(new StringCharacterIterator(text));
        return it;
    }

    private static List<Integer> boundaries(BreakIterator it) {
        List<Integer> out = new ArrayList<>();
        for (int b = it.first(); b != BreakIterator.DONE; b = it.next()) {
            out.add(b);
        }
        return out;
    }
}
