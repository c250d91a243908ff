package io.throughline.search;

import io.throughline.conversation.Status;
import io.throughline.failure.Invalid;
import java.text.Normalizer;
import java.time.DateTimeException;
import java.time.Instant;
import java.time.LocalDate;
import java.time.OffsetDateTime;
import java.time.Year;
import java.time.YearMonth;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Parses the search syntax agents type (README, "Search"):
 *
 * <pre>
 *   words                 every word must match, in any inflected form, in any of en, uk, ru, pl
 *   "exact phrase"        the words in this order
 *   -word  -"phrase"      must not match
 *   refun*                words starting with refun
 *   a OR b                either
 *   channel:email         status:open,pending     assignee:me|none|&lt;id&gt;|&lt;email&gt;
 *   from:2024-03-01       to:2024-03             contact:&lt;id&gt;|&lt;email&gt;|&lt;phone&gt;|"name"
 * </pre>
 *
 * Emails, phone numbers (also written with spaces) and order numbers like {@code #A-10492} are recognized and
 * matched in any format. Anything malformed is an {@link Invalid} that says what is wrong and where, with the
 * request parameter as its field.
 */
final class QuerySyntax {

    static final int MAX_LENGTH = 1_000;
    private static final Pattern PHONE_START = Pattern.compile("[+(0]");
    private static final Pattern EXCLUSION = Pattern.compile("\\s-[^\\s-]");
    private static final Pattern NO_BREAK_SPACE = Pattern.compile("[\u00A0\u2007\u202F]");
    static final int MAX_TERMS = 32;
    /** Filter values in one query: each contact or assignee value is a lookup in PostgreSQL. */
    static final int MAX_FILTER_VALUES = 16;
    private static final Instant EARLIEST = Instant.parse("0001-01-01T00:00:00Z");
    private static final Instant LATEST = Instant.parse("9999-12-31T23:59:59Z");
    private static final int MIN_PREFIX = 2;
    private static final Pattern FILTER_NAME = Pattern.compile("[A-Za-z]+");
    private static final Pattern CHANNEL = Pattern.compile("[a-z][a-z0-9_]{0,31}");
    private static final Pattern ASSIGNEE = Pattern.compile("me|none|\\d{1,18}|[^@\\s]+@[^@\\s]+");
    private static final String FILTERS = "channel:, status:, assignee:, from:, to:, contact:";

    private final String text;
    private final String field;
    private final List<SearchQuery.Term> terms = new ArrayList<>();
    private final List<SearchQuery.Filter> filters = new ArrayList<>();
    private int pos;
    private boolean orPending;
    private int orAt;

    private QuerySyntax(String text, String field) {
        this.text = text;
        this.field = field;
    }

    /** Parses {@code q}; a null or blank query gives an empty one. */
    static SearchQuery parse(String q) {
        if (q == null || q.isBlank()) {
            return new SearchQuery(List.of(), List.of());
        }
        if (q.length() > MAX_LENGTH) {
            throw Invalid.field("q", "is longer than " + MAX_LENGTH + " characters");
        }
        // Composed as the index's text is (MessageSource): a word typed with combining accents finds the same. A
        // no-break space (macOS's Option+Space, a pasted web page) separates words as a space does: Java's
        // whitespace leaves it out, and two words became a phrase, a filter's value a 400.
        QuerySyntax parser = new QuerySyntax(NO_BREAK_SPACE.matcher(Normalizer.normalize(q, Normalizer.Form.NFC))
                .replaceAll(" "), "q");
        parser.run();
        return new SearchQuery(List.copyOf(parser.terms), List.copyOf(parser.filters));
    }

    /** Parses one filter given as a request parameter ({@code ?status=open,pending}). */
    static SearchQuery.Filter parameter(SearchQuery.FilterKind kind, String value) {
        // The same value as in q, where a name with spaces is quoted: the quotes are not part of it.
        String composed = value == null ? null : Normalizer.normalize(value, Normalizer.Form.NFC);
        String given = composed != null && composed.length() >= 2 && composed.startsWith("\"")
                && composed.endsWith("\"") ? composed.substring(1, composed.length() - 1) : composed;
        return new QuerySyntax(given, kind.keyword()).filter(kind, given, false);
    }

    private void run() {
        int length = text.length();
        while (pos < length) {
            char c = text.charAt(pos);
            if (Character.isWhitespace(c)) {
                pos++;
                continue;
            }
            int start = pos;
            boolean negated = false;
            if (c == '-' && pos + 1 < length && !Character.isWhitespace(text.charAt(pos + 1))
                    && text.charAt(pos + 1) != '-') {
                negated = true;
                pos++;
            }
            readTerm(start, negated);
        }
        if (orPending) {
            throw error("OR at character " + (orAt + 1) + " must stand between two search terms");
        }
        // Each word of an OR counts: a search of one word per language field must stay far below Lucene's limit
        // on clauses.
        if (terms.stream().mapToInt(t -> t.clause() instanceof SearchQuery.AnyOf any ? any.options().size() : 1)
                .sum() > MAX_TERMS) {
            throw error("has more than " + MAX_TERMS + " search terms (each word of an OR counts)");
        }
        if (filterValues(filters) > MAX_FILTER_VALUES) {
            throw error("has more than " + MAX_FILTER_VALUES + " filter values");
        }
    }

    /** The values these filters name (a date range counts one), capped at {@link #MAX_FILTER_VALUES} a search. */
    static int filterValues(List<SearchQuery.Filter> filters) {
        return filters.stream().mapToInt(f -> f.values() == null ? 1 : Math.max(1, f.values().size())).sum();
    }

    /**
     * A phone number written from {@code from}. A phone may be written with " - " between its groups, but a space
     * before a dash that a word follows is an exclusion ("invoice 4521 -4522"): the phone ends before it.
     */
    private Optional<ExactTokens.Match> phoneAt(int from) {
        Matcher exclusion = EXCLUSION.matcher(text);
        int limit = exclusion.find(from) ? exclusion.start() : text.length();
        return ExactTokens.phoneAt(text.subSequence(0, limit), from);
    }

    private void readTerm(int start, boolean negated) {
        char c = text.charAt(pos);
        if (c == '"') {
            String phrase = quoted();
            if (!phrase.isBlank()) {
                add(phraseClause(phrase), negated, start);
            }
            return;
        }
        Optional<ExactTokens.Match> phone = phoneAt(pos);
        if (phone.isPresent() && phone.get().start() == pos) {
            ExactTokens.Match match = phone.get();
            pos = match.end();
            add(new SearchQuery.Exact(ExactKind.PHONE, match.key(), text.substring(match.start(), match.end())),
                    negated, start);
            return;
        }
        int chunkStart = pos;
        while (pos < text.length() && !Character.isWhitespace(text.charAt(pos)) && text.charAt(pos) != '"') {
            pos++;
        }
        String chunk = text.substring(chunkStart, pos);
        if (!filterTerm(chunk, chunkStart, negated)) {
            wordTerm(chunk, chunkStart, start, negated);
        }
    }

    /** {@code name:value}: true when the chunk was a filter; an unknown name is an error, a URL is a word. */
    private boolean filterTerm(String chunk, int chunkStart, boolean negated) {
        int colon = chunk.indexOf(':');
        if (colon <= 0 || !FILTER_NAME.matcher(chunk.substring(0, colon)).matches()) {
            return false;
        }
        String name = chunk.substring(0, colon).toLowerCase(Locale.ROOT);
        String rest = chunk.substring(colon + 1);
        Optional<SearchQuery.FilterKind> kind = Arrays.stream(SearchQuery.FilterKind.values())
                .filter(k -> k.keyword().equals(name)).findFirst();
        if (kind.isEmpty()) {
            if (rest.startsWith("//")) {
                return false;
            }
            throw error("unknown filter \"" + name + ":\" at character " + (chunkStart + 1) + "; the filters are "
                    + FILTERS + " (to search for the text itself, put it in quotes: \"" + chunk + "\")");
        }
        String value = rest.isEmpty() && pos < text.length() && text.charAt(pos) == '"' ? quoted() : rest;
        if (kind.get() == SearchQuery.FilterKind.CONTACT && PHONE_START.matcher(rest).lookingAt()) {
            // A phone written with spaces (pasted from the contact panel: "+380 67 123 45 67") is the whole value:
            // cut at the first space, the contact searched for was "+380", and nobody. A value starting otherwise
            // (an id: "contact:17 4521789") ends at the space.
            int valueStart = chunkStart + colon + 1;
            Optional<ExactTokens.Match> phone = phoneAt(valueStart);
            if (phone.isPresent() && phone.get().start() == valueStart && phone.get().end() > pos) {
                pos = phone.get().end();
                value = text.substring(valueStart, pos);
            }
        }
        if (orPending) {
            throw error("OR at character " + (orAt + 1) + " must stand between two search terms, not before a"
                    + " filter");
        }
        filters.add(filter(kind.get(), value, negated));
        return true;
    }

    /** A word: OR between two terms, a prefix, an exact token, or a plain word. */
    private void wordTerm(String chunk, int chunkStart, int start, boolean negated) {
        if (chunk.equals("OR") && !negated) {
            if (terms.isEmpty() || orPending || terms.getLast().negated()) {
                throw error("OR at character " + (chunkStart + 1) + " must stand between two search terms");
            }
            orPending = true;
            orAt = chunkStart;
            return;
        }
        if (chunk.endsWith("*")) {
            String stem = chunk.replaceAll("\\*+$", "");
            if (stem.codePoints().filter(Character::isLetterOrDigit).count() < MIN_PREFIX) {
                throw error("\"" + chunk + "\" at character " + (chunkStart + 1) + ": a prefix needs at least "
                        + MIN_PREFIX + " letters before the *");
            }
            add(new SearchQuery.Prefix(stem), negated, start);
            return;
        }
        Optional<ExactTokens.Match> exact = ExactTokens.whole(chunk);
        if (exact.isPresent()) {
            add(new SearchQuery.Exact(exact.get().kind(), exact.get().key(), chunk), negated, start);
        } else {
            add(new SearchQuery.Word(chunk), negated, start);
        }
    }

    /** Reads {@code "..."} at {@link #pos}; an unclosed quote is an error naming where it opened. */
    private String quoted() {
        int open = pos;
        int close = text.indexOf('"', open + 1);
        if (close < 0) {
            throw error("the quote at character " + (open + 1) + " is never closed");
        }
        pos = close + 1;
        return text.substring(open + 1, close).strip();
    }

    private static SearchQuery.Clause phraseClause(String phrase) {
        Optional<ExactTokens.Match> exact = ExactTokens.whole(phrase);
        if (exact.isEmpty()) {
            exact = ExactTokens.phoneAt(phrase, 0).filter(m -> m.end() == phrase.length());
        }
        return exact.<SearchQuery.Clause>map(m -> new SearchQuery.Exact(m.kind(), m.key(), phrase))
                .orElseGet(() -> new SearchQuery.Phrase(phrase));
    }

    private void add(SearchQuery.Clause clause, boolean negated, int at) {
        if (orPending) {
            if (negated) {
                throw error("OR at character " + (orAt + 1) + " cannot join an excluded term (-word)");
            }
            orPending = false;
            SearchQuery.Term previous = terms.removeLast();
            List<SearchQuery.Clause> options = new ArrayList<>();
            if (previous.clause() instanceof SearchQuery.AnyOf any) {
                options.addAll(any.options());
            } else {
                options.add(previous.clause());
            }
            options.add(clause);
            terms.add(new SearchQuery.Term(new SearchQuery.AnyOf(List.copyOf(options)), false));
            return;
        }
        terms.add(new SearchQuery.Term(clause, negated));
    }

    private SearchQuery.Filter filter(SearchQuery.FilterKind kind, String raw, boolean negated) {
        String value = raw == null ? "" : raw.strip();
        String name = kind.keyword();
        if (value.isEmpty()) {
            throw error("\"" + name + ":\" needs a value, e.g. " + example(kind));
        }
        if (negated && (kind == SearchQuery.FilterKind.FROM || kind == SearchQuery.FilterKind.TO)) {
            throw error("\"-" + name + ":\" cannot be excluded; use from: and to: to bound the dates");
        }
        List<String> values = new ArrayList<>();
        // -1 keeps trailing empty items ("status:open," or a lone ","), which are refused like any empty one.
        for (String part : kind == SearchQuery.FilterKind.CONTACT ? List.of(value)
                : Arrays.asList(value.split(",", -1))) {
            String item = part.strip();
            if (item.isEmpty()) {
                throw error(name + ":" + value + " has an empty value between commas");
            }
            values.add(item);
        }
        return switch (kind) {
            case CHANNEL -> new SearchQuery.Filter(kind, checked(values, CHANNEL, name,
                    "a channel name such as email, telegram, widget, api or note"), negated, null, null);
            case STATUS -> {
                for (String status : values) {
                    if (Status.fromWireName(status.toLowerCase(Locale.ROOT)).isEmpty()) {
                        throw error("status:" + status + " is not a status; use open, pending, snoozed or resolved");
                    }
                }
                yield new SearchQuery.Filter(kind, values.stream().map(v -> v.toLowerCase(Locale.ROOT)).toList(),
                        negated, null, null);
            }
            case ASSIGNEE -> new SearchQuery.Filter(kind, checked(values, ASSIGNEE, name,
                    "me, none, an agent id or an agent's email"), negated, null, null);
            case FROM, TO -> {
                if (values.size() > 1) {
                    throw error(name + ": takes one date");
                }
                Instant[] range = dateRange(name, values.getFirst());
                yield kind == SearchQuery.FilterKind.FROM
                        ? new SearchQuery.Filter(kind, values, false, range[0], null)
                        : new SearchQuery.Filter(kind, values, false, null, range[1]);
            }
            case CONTACT -> new SearchQuery.Filter(kind, values, negated, null, null);
        };
    }

    private List<String> checked(List<String> values, Pattern pattern, String name, String expected) {
        List<String> out = new ArrayList<>();
        for (String value : values) {
            String normalized = value.toLowerCase(Locale.ROOT);
            if (!pattern.matcher(normalized).matches()) {
                throw error(name + ":" + value + " is not valid; use " + expected);
            }
            out.add(normalized);
        }
        return out;
    }

    /** The instants a date covers: [first included, first excluded). */
    private Instant[] dateRange(String name, String value) {
        try {
            if (value.matches("\\d{4}-\\d{2}-\\d{2}")) {
                LocalDate day = LocalDate.parse(value);
                return new Instant[] {day.atStartOfDay().toInstant(ZoneOffset.UTC),
                    day.plusDays(1).atStartOfDay().toInstant(ZoneOffset.UTC)};
            }
            if (value.matches("\\d{4}-\\d{2}")) {
                YearMonth month = YearMonth.parse(value);
                return new Instant[] {month.atDay(1).atStartOfDay().toInstant(ZoneOffset.UTC),
                    month.plusMonths(1).atDay(1).atStartOfDay().toInstant(ZoneOffset.UTC)};
            }
            if (value.matches("\\d{4}")) {
                Year year = Year.parse(value);
                return new Instant[] {year.atDay(1).atStartOfDay().toInstant(ZoneOffset.UTC),
                    year.plusYears(1).atDay(1).atStartOfDay().toInstant(ZoneOffset.UTC)};
            }
            if (value.contains("T")) {
                Instant instant = OffsetDateTime.parse(value).toInstant();
                if (instant.isBefore(EARLIEST) || instant.isAfter(LATEST)) {
                    throw error(name + ":" + value + " is out of range; dates run from the year 1 to 9999");
                }
                return new Instant[] {instant, instant.plusMillis(1)};
            }
        } catch (DateTimeException e) {
            // fall through to the error below
        }
        throw error(name + ":" + value + " is not a date; use YYYY-MM-DD (e.g. " + name + ":2024-03-01), YYYY-MM,"
                + " YYYY or an ISO 8601 time such as 2024-03-01T09:30:00Z");
    }

    private static String example(SearchQuery.FilterKind kind) {
        return switch (kind) {
            case CHANNEL -> "channel:email";
            case STATUS -> "status:open";
            case ASSIGNEE -> "assignee:me";
            case FROM -> "from:2024-03-01";
            case TO -> "to:2024-03-31";
            case CONTACT -> "contact:olena@example.com";
        };
    }

    private Invalid error(String message) {
        return Invalid.field(field, message);
    }
}
