package io.throughline.search;

import java.time.Instant;
import java.util.List;
import java.util.Locale;

/**
 * A search as the agent asked for it, parsed and checked: text terms (each may be negated) and filters. Built by
 * {@link QuerySyntax} from {@code q} and from the request's filter parameters.
 */
record SearchQuery(List<Term> terms, List<Filter> filters) {

    /** Something to match in the message text. */
    sealed interface Clause permits Word, Phrase, Prefix, Exact, AnyOf {
    }

    /** A word; every language field stems it, so other forms of it match. */
    record Word(String text) implements Clause {
    }

    /** {@code "words in this order"}, each word in any of its forms. */
    record Phrase(String text) implements Clause {
    }

    /** {@code refun*}: words starting with this, as written. */
    record Prefix(String text) implements Clause {
    }

    /** An email, phone number or order-like token, matched in any format it was written in. */
    record Exact(ExactKind kind, String key, String raw) implements Clause {
    }

    /** {@code a OR b}: any of these. */
    record AnyOf(List<Clause> options) implements Clause {
    }

    /** A clause that must match, or with {@code -} must not. */
    record Term(Clause clause, boolean negated) {
    }

    /** The filters of the syntax, each also a request parameter. */
    enum FilterKind {
        CHANNEL, STATUS, ASSIGNEE, FROM, TO, CONTACT;

        String keyword() {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    /**
     * One filter. Its values are alternatives ({@code status:open,pending}); several filters all apply.
     *
     * @param values checked and normalized values (dates are in {@link #from} and {@link #to})
     * @param from for {@code from:} and {@code to:}: the first instant included, else null
     * @param to for {@code from:} and {@code to:}: the first instant excluded, else null
     */
    record Filter(FilterKind kind, List<String> values, boolean negated, Instant from, Instant to) {
    }
}
