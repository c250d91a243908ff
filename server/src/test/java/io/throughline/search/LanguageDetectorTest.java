package io.throughline.search;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** The language detector, measured on a labelled set of support messages (test resources). */
class LanguageDetectorTest {

    private record Sample(Language language, String text) {
    }

    @Test
    void detectsTheLanguageOfSupportMessagesAccurately() throws IOException {
        List<Sample> samples = samples();
        Map<Language, int[]> perLanguage = new EnumMap<>(Language.class);
        int primaryRight = 0;
        int indexedRight = 0;
        List<String> misses = new ArrayList<>();
        for (Sample sample : samples) {
            LanguageDetector.Detection detection = LanguageDetector.detect(sample.text());
            int[] counts = perLanguage.computeIfAbsent(sample.language(), l -> new int[2]);
            counts[1]++;
            if (detection.primary() == sample.language()) {
                primaryRight++;
                counts[0]++;
            } else {
                misses.add(sample.language().code() + " read as " + detection.primary() + ": " + sample.text());
            }
            if (detection.languages().contains(sample.language())) {
                indexedRight++;
            }
        }
        double accuracy = primaryRight / (double) samples.size();
        double indexed = indexedRight / (double) samples.size();
        System.out.printf("language detection on %d samples: primary accuracy %.1f%%, indexed in the right field"
                + " %.1f%%%n", samples.size(), accuracy * 100, indexed * 100);
        perLanguage.forEach((language, counts) -> System.out.printf("  %s: %d/%d%n", language.code(), counts[0],
                counts[1]));
        misses.forEach(miss -> System.out.println("  miss: " + miss));

        assertThat(samples).hasSizeGreaterThanOrEqualTo(200);
        assertThat(accuracy).as("primary language accuracy").isGreaterThanOrEqualTo(0.97);
        assertThat(indexed).as("share of messages indexed in their language's field").isGreaterThanOrEqualTo(0.99);
        perLanguage.forEach((language, counts) -> assertThat(counts[0] / (double) counts[1])
                .as("accuracy for %s", language.code()).isGreaterThanOrEqualTo(0.94));
    }

    @Test
    void telltaleLettersDecideBetweenUkrainianAndRussian() {
        assertThat(LanguageDetector.detect("Привіт").languages()).containsExactly(Language.UK);
        assertThat(LanguageDetector.detect("Подъезд").languages()).containsExactly(Language.RU);
        assertThat(LanguageDetector.detect("Пʼять").languages()).containsExactly(Language.UK);
    }

    @Test
    void cyrillicWithoutEvidenceIsIndexedAsBothRussianAndUkrainian() {
        LanguageDetector.Detection detection = LanguageDetector.detect("Ок");
        assertThat(detection.languages()).containsExactlyInAnyOrder(Language.RU, Language.UK);
    }

    @Test
    void mixedScriptsGetTheLanguagesOfEach() {
        LanguageDetector.Detection detection = LanguageDetector.detect(
                "Замовлення не прийшло. Tracking says it was delivered to the wrong address.");
        assertThat(detection.languages()).contains(Language.UK, Language.EN);
    }

    @Test
    void polishIsToldFromEnglishByItsLetters() {
        assertThat(LanguageDetector.detect("Zamówienie").languages()).containsExactly(Language.PL);
        assertThat(LanguageDetector.detect("Order").languages()).containsExactly(Language.EN);
        // "ten" and "ale" are Polish words too: without a Polish letter, English is indexed as well.
        assertThat(LanguageDetector.detect("Refunded ten euros").languages()).contains(Language.EN);
        assertThat(LanguageDetector.detect("Shipped ten lamps").languages()).contains(Language.EN);
    }

    @Test
    void textWithoutLettersHasNoLanguage() {
        LanguageDetector.Detection detection = LanguageDetector.detect("+380 67 123 45 67 / 10492");
        assertThat(detection.primary()).isNull();
        assertThat(detection.languages()).isEqualTo(Set.of());
    }

    private static List<Sample> samples() throws IOException {
        List<Sample> samples = new ArrayList<>();
        try (InputStream in = LanguageDetectorTest.class.getResourceAsStream("/search/language-samples.tsv")) {
            String text = new String(in.readAllBytes(), StandardCharsets.UTF_8);
            for (String line : text.split("\n")) {
                if (line.isBlank() || line.startsWith("#")) {
                    continue;
                }
                String[] parts = line.split("\t", 2);
                samples.add(new Sample(Language.fromCode(parts[0]).orElseThrow(), parts[1]));
            }
        }
        return samples;
    }
}
