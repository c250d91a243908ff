package io.throughline.search;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

class SeqRangesTest {

    @Test
    void runsOfConsecutiveSeqsAreWrittenAsRanges() {
        assertThat(SeqRanges.format(List.of(20L, 13L, 12L, 14L, 15L, 31L, 33L, 32L))).isEqualTo("12-15,20,31-33");
        assertThat(SeqRanges.format(Set.of())).isEmpty();
        assertThat(SeqRanges.format(Set.of(7L))).isEqualTo("7");
    }

    @Test
    void parsingGivesBackTheSameSeqs() {
        List<Long> seqs = List.of(1L, 2L, 3L, 9L, 100L, 101L, 5_000_000_000L);
        assertThat(SeqRanges.parse(SeqRanges.format(seqs), 100)).containsExactlyElementsOf(seqs);
        assertThat(SeqRanges.parse("", 100)).isEmpty();
        assertThat(SeqRanges.parse(null, 100)).isEmpty();
    }

    @Test
    void aLimitKeepsTheLowestSeqs() {
        assertThat(SeqRanges.parse("1-1000000000,2000000000", 3)).containsExactly(1L, 2L, 3L);
    }

    @Test
    void textThatIsNotAListIsRefused() {
        assertThatThrownBy(() -> SeqRanges.parse("5-3", 10)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> SeqRanges.parse("0", 10)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> SeqRanges.parse("x", 10)).isInstanceOf(NumberFormatException.class);
    }
}
