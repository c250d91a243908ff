package io.throughline.bench;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Arrays;
import java.util.HashSet;
import java.util.Locale;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.Test;

class SearchCorpusTest {

    private final SearchCorpus corpus = new SearchCorpus();

    /**
     * The recall answer key agrees with the text: a generated message mentions a word exactly when one of the
     * word's forms is one of its words. The key once knew only the lemmas a message was built from, and missed the
     * collocations ("refund request"). A form two languages share is left out: the text cannot say whose it is.
     */
    @Test
    void theAnswerKeyHoldsAWordExactlyWhenTheTextDoes() {
        Random random = new Random(42);
        int collocations = 0;
        for (int i = 0; i < 20_000; i++) {
            SearchCorpus.Message message = corpus.message(random, i);
            Set<String> words = words(message.text());
            for (int lemma = 0; lemma < corpus.lemmaCount(); lemma++) {
                if (twin(lemma, message.lemmaA()) || twin(lemma, message.lemmaB())) {
                    continue;
                }
                boolean inText = corpus.lemma(lemma).forms().stream().anyMatch(words::contains);
                boolean keyed = corpus.mentions(lemma, message.lemmaA(), message.lemmaB(), message.collocation());
                assertThat(keyed).as("lemma %s in \"%s\"", corpus.lemma(lemma).forms().getFirst(), message.text())
                        .isEqualTo(inText);
                if (inText && lemma != message.lemmaA() && lemma != message.lemmaB()) {
                    collocations++;
                }
            }
        }
        assertThat(collocations).as("messages holding a word only through a collocation").isPositive();
    }

    private boolean twin(int lemma, int other) {
        return other >= 0 && other != lemma && corpus.writtenAlike(lemma, other);
    }

    private static Set<String> words(String text) {
        return new HashSet<>(Arrays.asList(text.toLowerCase(Locale.ROOT).split("[\\s,.]+")));
    }
}
