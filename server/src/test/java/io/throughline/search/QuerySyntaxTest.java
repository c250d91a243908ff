package io.throughline.search;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.throughline.failure.Invalid;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The search syntax: what parses into what, and what is refused with an explanation. */
class QuerySyntaxTest {

    @Test
    void wordsPhrasesAndExclusions() {
        SearchQuery query = QuerySyntax.parse("refund \"broken screen\" -invoice -\"gift card\"");
        assertThat(query.terms()).containsExactly(
                new SearchQuery.Term(new SearchQuery.Word("refund"), false),
                new SearchQuery.Term(new SearchQuery.Phrase("broken screen"), false),
                new SearchQuery.Term(new SearchQuery.Word("invoice"), true),
                new SearchQuery.Term(new SearchQuery.Phrase("gift card"), true));
    }

    /** A no-break space (macOS's Option+Space, a pasted page) separates as a space does. */
    @Test
    void aNoBreakSpaceSeparatesWordsAndFilters() {
        SearchQuery query = QuerySyntax.parse("status:open\u00A0refund\u202Fparcel");
        assertThat(query.terms()).containsExactly(
                new SearchQuery.Term(new SearchQuery.Word("refund"), false),
                new SearchQuery.Term(new SearchQuery.Word("parcel"), false));
        assertThat(query.filters().getFirst().values()).containsExactly("open");
    }

    /** A contact's phone written with spaces is the filter's whole value. */
    @Test
    void aContactsPhoneWithSpacesIsOneValue() {
        SearchQuery query = QuerySyntax.parse("contact:+380 67 123 45 67 refund");
        assertThat(query.filters()).singleElement().satisfies(f -> assertThat(f.values())
                .containsExactly("+380 67 123 45 67"));
        assertThat(query.terms()).containsExactly(new SearchQuery.Term(new SearchQuery.Word("refund"), false));
        // A contact's id ends at the space: the number after it is a word.
        SearchQuery byId = QuerySyntax.parse("contact:17 4521789");
        assertThat(byId.filters()).singleElement().satisfies(f -> assertThat(f.values()).containsExactly("17"));
        assertThat(byId.terms()).hasSize(1);
    }

    /** A number excluded after a number is an exclusion, not the second half of a phone number. */
    @Test
    void anExcludedNumberAfterANumberIsNoPhone() {
        SearchQuery query = QuerySyntax.parse("invoice 4521 -4522");
        assertThat(query.terms()).extracting(SearchQuery.Term::negated).containsExactly(false, false, true);
        assertThat(query.terms()).extracting(SearchQuery.Term::clause).noneMatch(SearchQuery.Exact.class::isInstance);
        assertThat(QuerySyntax.parse("067 - 123 45 67").terms()).extracting(SearchQuery.Term::clause)
                .containsExactly(new SearchQuery.Exact(ExactKind.PHONE, "671234567", "067 - 123 45 67"));
    }

    @Test
    void exactTokensAreRecognizedEvenWithSpaces() {
        SearchQuery query = QuerySyntax.parse("+380 67 123 45 67 olena@example.com #A-10492");
        assertThat(query.terms()).extracting(SearchQuery.Term::clause).containsExactly(
                new SearchQuery.Exact(ExactKind.PHONE, "671234567", "+380 67 123 45 67"),
                new SearchQuery.Exact(ExactKind.EMAIL, "olena@example.com", "olena@example.com"),
                new SearchQuery.Exact(ExactKind.ORDER, "a10492", "#A-10492"));
    }

    /** A number typed after a phone number is a word of its own, not the phone's last digits. */
    @Test
    void aNumberAfterAPhoneIsAWordOfItsOwn() {
        assertThat(QuerySyntax.parse("0671234567 10492").terms()).extracting(SearchQuery.Term::clause)
                .containsExactly(new SearchQuery.Exact(ExactKind.PHONE, "671234567", "0671234567"),
                        new SearchQuery.Word("10492"));
    }

    @Test
    void orJoinsNeighbours() {
        SearchQuery query = QuerySyntax.parse("refund OR return OR exchange parcel");
        assertThat(query.terms()).containsExactly(
                new SearchQuery.Term(new SearchQuery.AnyOf(List.of(new SearchQuery.Word("refund"),
                        new SearchQuery.Word("return"), new SearchQuery.Word("exchange"))), false),
                new SearchQuery.Term(new SearchQuery.Word("parcel"), false));
    }

    @Test
    void prefixes() {
        assertThat(QuerySyntax.parse("refun*").terms()).containsExactly(
                new SearchQuery.Term(new SearchQuery.Prefix("refun"), false));
    }

    @Test
    void filtersWithSeveralValuesQuotesAndDates() {
        SearchQuery query = QuerySyntax.parse("status:open,pending channel:Email -channel:telegram"
                + " contact:\"Olena K\" from:2024-03 to:2024-03-31 assignee:me");
        assertThat(query.terms()).isEmpty();
        assertThat(query.filters()).extracting(SearchQuery.Filter::kind).containsExactly(
                SearchQuery.FilterKind.STATUS, SearchQuery.FilterKind.CHANNEL, SearchQuery.FilterKind.CHANNEL,
                SearchQuery.FilterKind.CONTACT, SearchQuery.FilterKind.FROM, SearchQuery.FilterKind.TO,
                SearchQuery.FilterKind.ASSIGNEE);
        assertThat(query.filters().get(0).values()).containsExactly("open", "pending");
        assertThat(query.filters().get(1).values()).containsExactly("email");
        assertThat(query.filters().get(2).negated()).isTrue();
        assertThat(query.filters().get(3).values()).containsExactly("Olena K");
        assertThat(query.filters().get(4).from()).isEqualTo(Instant.parse("2024-03-01T00:00:00Z"));
        assertThat(query.filters().get(5).to()).isEqualTo(Instant.parse("2024-04-01T00:00:00Z"));
    }

    @Test
    void urlsAndTimesAreWordsNotFilters() {
        assertThat(QuerySyntax.parse("https://shop.example/track 12:30").terms()).extracting(SearchQuery.Term::clause)
                .containsExactly(new SearchQuery.Word("https://shop.example/track"), new SearchQuery.Word("12:30"));
    }

    @Test
    void malformedQueriesSayWhatIsWrong() {
        assertRefused("refund \"broken screen", "the quote at character 8 is never closed");
        assertRefused("foo:bar", "unknown filter \"foo:\" at character 1");
        assertRefused("status:closed", "status:closed is not a status; use open, pending, snoozed or resolved");
        assertRefused("from:2024-13-01", "from:2024-13-01 is not a date");
        assertRefused("status:", "\"status:\" needs a value");
        assertRefused("refund from:,", "from:, has an empty value between commas");
        assertRefused("status:open,", "status:open, has an empty value between commas");
        assertRefused("channel:,", "channel:, has an empty value between commas");
        assertRefused("refund OR", "OR at character 8 must stand between two search terms");
        assertRefused("OR refund", "OR at character 1 must stand between two search terms");
        assertRefused("a OR -b", "cannot join an excluded term");
        assertRefused("r*", "a prefix needs at least 2 letters");
        assertRefused("-from:2024-01-01", "cannot be excluded");
        assertRefused("channel:e-mail", "channel:e-mail is not valid");
        assertRefused("x".repeat(1001), "is longer than 1000 characters");
        assertRefused("from:-999999999-01-01T00:00:00Z", "is out of range");
        assertRefused("to:+300000000-01-01T00:00:00Z", "is out of range");
        assertRefused("refund " + "contact:ab ".repeat(17), "has more than 16 filter values");
        // Every word of an OR counts: 200 of them would be a thousand clauses across the language fields.
        StringBuilder ors = new StringBuilder("w0");
        for (int i = 1; i < 33; i++) {
            ors.append(" OR w").append(i);
        }
        assertRefused(ors.toString(), "has more than 32 search terms (each word of an OR counts)");
    }

    @Test
    void requestParametersUseTheSameRulesAndNameThemselves() {
        assertThat(QuerySyntax.parameter(SearchQuery.FilterKind.STATUS, "resolved").values())
                .containsExactly("resolved");
        assertThatThrownBy(() -> QuerySyntax.parameter(SearchQuery.FilterKind.TO, "yesterday"))
                .isInstanceOfSatisfying(Invalid.class, e -> assertThat(e.errors().getFirst().field()).isEqualTo("to"));
        assertThatThrownBy(() -> QuerySyntax.parameter(SearchQuery.FilterKind.FROM, ","))
                .isInstanceOfSatisfying(Invalid.class, e -> assertThat(e.errors().getFirst().field())
                        .isEqualTo("from"));
        // Quoted as in q (a name with spaces): the quotes are not part of the name.
        assertThat(QuerySyntax.parameter(SearchQuery.FilterKind.CONTACT, "\"Olena K\"").values())
                .containsExactly("Olena K");
    }

    private static void assertRefused(String q, String message) {
        assertThatThrownBy(() -> QuerySyntax.parse(q)).isInstanceOfSatisfying(Invalid.class, e -> {
            assertThat(e.errors().getFirst().field()).isEqualTo("q");
            assertThat(e.getMessage()).contains(message);
        });
    }
}
