package io.throughline.search;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Emails, phone numbers and order numbers reduce to one key however they are written. */
class ExactTokensTest {

    @ParameterizedTest
    @ValueSource(strings = {"+380 67 123 45 67", "+380671234567", "067 123 45 67", "(067) 123-45-67",
        "067-123-45-67", "0671234567", "+38 (067) 123 45 67", "00380671234567", "067.123.45.67"})
    void ukrainianMobileInEveryCommonFormatHasOneKey(String written) {
        String text = "call me at " + written + " please";
        List<ExactTokens.Match> found = ExactTokens.find(text, ExactKind.PHONE);
        assertThat(found).singleElement().satisfies(m -> {
            assertThat(m.key()).isEqualTo("671234567");
            assertThat(text.substring(m.start(), m.end())).isEqualTo(written);
        });
    }

    @ParameterizedTest
    @ValueSource(strings = {"+1 (555) 010-9999", "(555) 010-9999", "555-010-9999", "555.010.9999", "+15550109999"})
    void americanNumbersMatchWithAndWithoutTheCountryCode(String written) {
        assertThat(ExactTokens.find(written, ExactKind.PHONE)).singleElement()
                .satisfies(m -> assertThat(m.key()).isEqualTo("550109999"));
    }

    @Test
    void aBlobLongerThanAnyAddressOrOrderNumberIsNeither() {
        String blob = "x".repeat(40_000);
        assertThat(ExactTokens.find("mail " + blob + "@example.com now", ExactKind.EMAIL)).isEmpty();
        assertThat(ExactTokens.find("see #A" + blob + " now", ExactKind.ORDER)).isEmpty();
        assertThat(ExactTokens.find("mail olena@example.com, see #A-10492", ExactKind.EMAIL)).hasSize(1);
        assertThat(ExactTokens.find("mail olena@example.com, see #A-10492", ExactKind.ORDER)).hasSize(1);
    }

    /** A pasted column of numbers or a long dotted chain once overflowed the stack, which stopped the indexer. */
    @Test
    void longRunsOfGroupsAreNoTokensAndDoNotOverflowTheStack() {
        int n = 100_000;
        String numbers = "12 ".repeat(n);
        assertThat(ExactTokens.find("call " + numbers + "or +380 67 123 45 67", ExactKind.PHONE))
                .singleElement().satisfies(m -> assertThat(m.key()).isEqualTo("671234567"));
        assertThat(ExactTokens.find("1-".repeat(n) + "2", ExactKind.PHONE)).isEmpty();
        assertThat(ExactTokens.find("a@b" + ".cc".repeat(n) + " and olena@example.com", ExactKind.EMAIL))
                .extracting(ExactTokens.Match::key).containsExactly("olena@example.com");
        assertThat(keys("#A" + "-1".repeat(n) + " and #A-10492", ExactKind.ORDER)).containsExactly("a10492");
        assertThat(keys("AB1" + "-1".repeat(n) + " and INV-77812", ExactKind.ORDER)).containsExactly("inv77812");
        // Up to the bounds, tokens are read whole as before.
        assertThat(keys("#1" + "-2".repeat(30), ExactKind.ORDER)).containsExactly("1" + "2".repeat(30));
        assertThat(ExactTokens.find("x@" + "a.".repeat(60) + "com", ExactKind.EMAIL)).hasSize(1);
        assertThat(ExactTokens.find("1 2 3 4 5 6 7 8 9 0 1 2 3 4 5", ExactKind.PHONE)).hasSize(1);
        assertThat(ExactTokens.find("1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6", ExactKind.PHONE)).isEmpty();
    }

    @Test
    void polishRussianAndBritishNumbersToo() {
        assertThat(key("+48 601 234 567")).isEqualTo(key("601 234 567"));
        assertThat(key("+7 (800) 555-35-35")).isEqualTo(key("8 800 555 35 35"));
        assertThat(key("+44 20 7946 0958")).isEqualTo(key("020 7946 0958"));
    }

    @Test
    void datesShortNumbersAndOrderNumbersAreNotPhones() {
        assertThat(ExactTokens.find("on 2024-03-01 and 12.03.2024", ExactKind.PHONE)).isEmpty();
        assertThat(ExactTokens.find("order 10492, 3 items", ExactKind.PHONE)).isEmpty();
        assertThat(ExactTokens.find("ORD-2024-000123", ExactKind.PHONE)).isEmpty();
    }

    /** The pattern joins every group a space apart: a number's neighbours are read as themselves. */
    @Test
    void whatFollowsANumberIsNotPartOfIt() {
        assertThat(keys("Тел. 067 123 45 67 9:00-18:00", ExactKind.PHONE)).containsExactly("671234567");
        assertThat(keys("Call 0671234567 10 times", ExactKind.PHONE)).containsExactly("671234567");
        assertThat(keys("067 123 45 67 050 765 43 21", ExactKind.PHONE)).containsExactly("671234567", "507654321");
        assertThat(keys("(067) 1234567 (050) 7654321", ExactKind.PHONE)).containsExactly("671234567", "507654321");
        assertThat(keys("01 23 45 67 89 06 12 34 56 78", ExactKind.PHONE)).containsExactly("123456789", "612345678");
        // A last group starting with 0 is the number's own, whatever the country code before it.
        for (String whole : List.of("+38 (067) 123 45 07", "+380 67 123 45 07", "38 067 123 45 07",
                "0671234507")) {
            assertThat(keys("call " + whole + " today", ExactKind.PHONE)).as(whole).containsExactly("671234507");
        }
        assertThat(key("0048 600 123 045")).isEqualTo(key("600 123 045"));
        assertThat(key("0044 7700 900 077")).isEqualTo(key("07700 900 077"));
        assertThat(key("+44 (0)7700 900 077")).isEqualTo(key("07700 900 077"));
        assertThat(key("0049 30 1234 0567")).isEqualTo(key("030 1234 0567"));
        assertThat(key("+49 30 1234567-890")).isEqualTo(key("030 1234567-890"));
    }

    @Test
    void aSentenceEndAfterANumberIsNotPartOfIt() {
        assertThat(ExactTokens.find("call 067 123 45 67. 2 items were missing", ExactKind.PHONE)).singleElement()
                .satisfies(m -> assertThat(m.key()).isEqualTo("671234567"));
    }

    @Test
    void emailsAreFoundAndLowerCased() {
        assertThat(ExactTokens.find("write to Olena.K@Example.COM.", ExactKind.EMAIL)).singleElement()
                .satisfies(m -> assertThat(m.key()).isEqualTo("olena.k@example.com"));
        assertThat(ExactTokens.find("not@an email", ExactKind.EMAIL)).isEmpty();
    }

    @Test
    void orderNumbersMatchWithOrWithoutTheirPunctuation() {
        assertThat(keys("#A-10492", ExactKind.ORDER)).containsExactly("a10492");
        assertThat(keys("A-10492", ExactKind.ORDER)).containsExactly("a10492");
        assertThat(keys("a10492", ExactKind.ORDER)).containsExactly("a10492");
        assertThat(keys("invoice INV-2024-0017 and № 4521", ExactKind.ORDER)).containsExactly("inv20240017", "4521");
        assertThat(keys("замовлення ЗМ-77812", ExactKind.ORDER)).containsExactly("зм77812");
    }

    @Test
    void wordsWithFewDigitsAreNotOrders() {
        assertThat(keys("mp3 covid-19 e-mail B2B", ExactKind.ORDER)).isEmpty();
    }

    @Test
    void aWholeQueryWordIsRecognized() {
        assertThat(ExactTokens.whole("olena@example.com,")).hasValueSatisfying(m ->
                assertThat(m.kind()).isEqualTo(ExactKind.EMAIL));
        assertThat(ExactTokens.whole("#A-10492")).hasValueSatisfying(m ->
                assertThat(m.kind()).isEqualTo(ExactKind.ORDER));
        assertThat(ExactTokens.whole("+380671234567")).hasValueSatisfying(m ->
                assertThat(m.kind()).isEqualTo(ExactKind.PHONE));
        assertThat(ExactTokens.whole("refund")).isEmpty();
    }

    private static String key(String phone) {
        return ExactTokens.find(phone, ExactKind.PHONE).getFirst().key();
    }

    private static List<String> keys(String text, ExactKind kind) {
        return ExactTokens.find(text, kind).stream().map(ExactTokens.Match::key).toList();
    }
}
