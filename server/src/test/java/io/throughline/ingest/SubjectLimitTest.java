package io.throughline.ingest;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class SubjectLimitTest {

    @Test
    void subjectsAreCutAtTheMailLineLengthNeverInsideACharacter() {
        assertThat(IngestService.subject(null)).isNull();
        assertThat(IngestService.subject("Order 42\u0000 late")).isEqualTo("Order 42 late");
        String exact = "x".repeat(IngestService.MAX_SUBJECT_CHARS);
        assertThat(IngestService.subject(exact)).isEqualTo(exact);
        assertThat(IngestService.subject(exact + "yz")).isEqualTo(exact);
        // An emoji straddling the limit goes whole.
        String straddling = "x".repeat(IngestService.MAX_SUBJECT_CHARS - 1) + "😀 and more";
        assertThat(IngestService.subject(straddling)).isEqualTo("x".repeat(IngestService.MAX_SUBJECT_CHARS - 1));
    }
}
