package io.throughline.search;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Finds emails, phone numbers and order-like tokens in text and reduces each to a key that is the same however
 * it was written: {@code Olena.K@Example.com} and {@code olena.k@example.com}; {@code +380 67 123 45 67},
 * {@code (067) 123-45-67} and {@code 0671234567}; {@code #A-10492} and {@code a10492}. The index and the query
 * parser use the same rules, so a token typed in one format finds the others.
 */
final class ExactTokens {

    /** One exact token: where it is in the text and its normalized key. */
    record Match(ExactKind kind, int start, int end, String key) {
    }

    // Repeated groups are bounded: Java matches each repetition of a group one stack frame deeper, so an unbounded
    // one overflows the stack on a long run ("1 2 3 ..." a few thousand times), which would stop the indexer. The
    // bounds lie past what a token can be (254 characters for an address, 15 digits for a phone, 64 for an order
    // key), and a run cut at the bound is dropped, as its whole would be.
    private static final int EMAIL_LABELS = 125;
    private static final int PHONE_GROUPS = 14;
    private static final int ORDER_GROUPS = 63;

    private static final Pattern EMAIL = Pattern.compile(
            "(?<![\\p{L}\\p{N}._%+\\-])[\\p{L}\\p{N}._%+\\-]+@[\\p{L}\\p{N}\\-]+(?:\\.[\\p{L}\\p{N}\\-]+){0,"
                    + EMAIL_LABELS + "}\\.\\p{L}{2,}(?![\\p{L}\\p{N}\\-])");

    // Groups of digits joined by the separators people put in phone numbers: a space, a dash (maybe spaced), a
    // dot, or parentheses around an area code. Never glued to a word or to an order number's "ORD-" prefix. The
    // candidate is then checked by isPhone() (digit count, balanced parentheses, not a date).
    private static final String SPACE = "[ \\t\\u00A0]";
    private static final String SEPARATOR = "(?:" + SPACE + "?-" + SPACE + "?|\\.|" + SPACE + "?\\(|\\)" + SPACE + "?|"
            + SPACE + ")";
    private static final Pattern PHONE = Pattern.compile(
            "(?<![\\p{L}\\p{N}+])(?<![\\p{L}\\p{N}][\\-/.])(?:\\+|00)?" + SPACE + "?\\(?\\d+\\)?(?:" + SEPARATOR
                    + "\\d+\\)?){0," + PHONE_GROUPS + "}(?![\\p{L}\\p{N}])");
    private static final Pattern PHONE_GROUP = Pattern.compile(SEPARATOR + "\\d+\\)?");
    private static final Pattern DATE = Pattern.compile(
            "\\d{4}[\\-./]\\d{1,2}[\\-./]\\d{1,2}|\\d{1,2}[\\-./]\\d{1,2}[\\-./]\\d{2,4}");

    // "#A-10492", "№ 4521", "#10492": a marker, then letters/digits in dash- or slash-separated groups.
    private static final Pattern MARKED_ORDER = Pattern.compile(
            "[#№][ \\u00A0]?([\\p{L}\\p{N}]+(?:[\\-/][\\p{L}\\p{N}]+){0," + ORDER_GROUPS + "})");
    // "A-10492", "INV77812", "ORD-2024-0001": a short letter prefix then digits (at least three in all).
    private static final Pattern PREFIXED_ORDER = Pattern.compile(
            "(?<![\\p{L}\\p{N}#№\\-/])\\p{L}{1,6}[\\-/]?\\p{N}+(?:[\\-/][\\p{L}\\p{N}]+){0," + ORDER_GROUPS
                    + "}(?![\\p{L}\\p{N}])");
    /** What would carry an order token on past its bound. */
    private static final Pattern ORDER_GROUP = Pattern.compile("[\\-/][\\p{L}\\p{N}]");

    static final int MIN_PHONE_DIGITS = 7;
    static final int MAX_PHONE_DIGITS = 15;
    /** A national number with its trunk prefix has ten digits (067 123 45 67): a 0 after that starts the next. */
    private static final int TRUNK_AFTER_DIGITS = 10;
    /** Phone keys keep the national significant end: country codes and trunk prefixes differ between formats. */
    static final int PHONE_KEY_DIGITS = 9;
    private static final int MIN_ORDER_DIGITS = 3;
    /** Longer is no address (RFC 5321 caps a path at 256 octets) and no order number, but may be a pasted blob. */
    static final int MAX_EMAIL_CHARS = 254;
    static final int MAX_ORDER_CHARS = 64;

    private ExactTokens() {
    }

    /** Every token of this kind in the text, in order, without overlaps. */
    static List<Match> find(CharSequence text, ExactKind kind) {
        return switch (kind) {
            case EMAIL -> emails(text).stream().filter(m -> m.key().length() <= MAX_EMAIL_CHARS).toList();
            case PHONE -> phones(text);
            case ORDER -> orders(text).stream().filter(m -> m.key().length() <= MAX_ORDER_CHARS).toList();
        };
    }

    /**
     * The exact token this whole query word is, if it is one (trailing punctuation aside): an email, a phone
     * number written without spaces, or an order-like token.
     */
    static Optional<Match> whole(String word) {
        String token = trimPunctuation(word);
        if (token.isEmpty()) {
            return Optional.empty();
        }
        for (ExactKind kind : new ExactKind[] {ExactKind.EMAIL, ExactKind.ORDER, ExactKind.PHONE}) {
            for (Match match : find(token, kind)) {
                if (match.start() == 0 && match.end() == token.length()) {
                    return Optional.of(match);
                }
            }
        }
        return Optional.empty();
    }

    /** A phone number starting exactly at {@code from} (it may contain spaces), for the query lexer. */
    static Optional<Match> phoneAt(CharSequence text, int from) {
        Matcher matcher = PHONE.matcher(text);
        matcher.region(from, text.length());
        matcher.useTransparentBounds(true);
        matcher.useAnchoringBounds(false);
        if (matcher.lookingAt()) {
            int end = phoneEnd(text, matcher.start(), matcher.end());
            String candidate = text.subSequence(matcher.start(), end).toString();
            if (isPhone(candidate)) {
                return Optional.of(new Match(ExactKind.PHONE, matcher.start(), end, phoneKey(candidate)));
            }
        }
        return Optional.empty();
    }

    static String emailKey(String email) {
        return email.toLowerCase(Locale.ROOT);
    }

    static String phoneKey(String phone) {
        StringBuilder digits = new StringBuilder();
        for (int i = 0; i < phone.length(); i++) {
            char c = phone.charAt(i);
            if (c >= '0' && c <= '9') {
                digits.append(c);
            }
        }
        String all = digits.toString();
        return all.length() > PHONE_KEY_DIGITS ? all.substring(all.length() - PHONE_KEY_DIGITS) : all;
    }

    static String orderKey(String order) {
        StringBuilder key = new StringBuilder();
        order.toLowerCase(Locale.ROOT).codePoints().filter(Character::isLetterOrDigit).forEach(key::appendCodePoint);
        return key.toString();
    }

    private static List<Match> emails(CharSequence text) {
        List<Match> out = new ArrayList<>();
        Matcher matcher = EMAIL.matcher(text);
        while (matcher.find()) {
            out.add(new Match(ExactKind.EMAIL, matcher.start(), matcher.end(), emailKey(matcher.group())));
        }
        return out;
    }

    private static List<Match> phones(CharSequence text) {
        List<Match> out = new ArrayList<>();
        Matcher matcher = PHONE.matcher(text);
        Matcher group = PHONE_GROUP.matcher(text);
        int from = 0;
        while (from < text.length() && matcher.find(from)) {
            from = matcher.end();
            if (digitRuns(matcher.group()) > PHONE_GROUPS && continues(group, text, from)) {
                // Cut at the bound: a run of numbers this long is no phone number, and neither is its tail.
                while (continues(group, text, from)) {
                    from = group.end();
                }
                continue;
            }
            // What follows the number is read again on its own: the next number, or the time after it.
            int end = phoneEnd(text, matcher.start(), matcher.end());
            from = end;
            String candidate = text.subSequence(matcher.start(), end).toString();
            if (isPhone(candidate)) {
                out.add(new Match(ExactKind.PHONE, matcher.start(), end, phoneKey(candidate)));
            }
        }
        return out;
    }

    /**
     * Where the phone number a candidate starts with ends: the pattern joins every group of digits a space apart,
     * so a number's neighbours would join it ("0671234567 10 times", "067 123 45 67 9:00-18:00", two numbers in a
     * row). The number stops before a group spaced from a run of seven digits or more (a whole local number),
     * before a spaced group starting with 0 after ten digits, when a whole number follows from it (the next number's
     * trunk prefix: "067 123 45 67 050 765 43 21", "01 23 45 67 89 06 12 34 56 78", while "+38 (067) 123 45 07" and
     * "0044 7700 900 077" end in theirs), and before a last group that a colon joins to more digits (a time).
     */
    private static int phoneEnd(CharSequence text, int start, int end) {
        int digits = 0;
        int previousRun = 0;
        int previousEnd = -1;
        int i = start;
        while (i < end) {
            if (!isDigit(text.charAt(i))) {
                i++;
                continue;
            }
            int runStart = i;
            while (i < end && isDigit(text.charAt(i))) {
                i++;
            }
            boolean spaced = digits > 0 && hasSpace(text, previousEnd, runStart);
            if (spaced && (previousRun >= MIN_PHONE_DIGITS || digits >= TRUNK_AFTER_DIGITS
                    && text.charAt(runStart) == '0' && digitsFrom(text, runStart, end) >= MIN_PHONE_DIGITS)) {
                return afterGroup(text, previousEnd, end);
            }
            if (i == end && digits > 0 && end + 1 < text.length() && text.charAt(end) == ':'
                    && isDigit(text.charAt(end + 1))) {
                return afterGroup(text, previousEnd, end);
            }
            digits += i - runStart;
            previousRun = i - runStart;
            previousEnd = i;
        }
        return end;
    }

    private static boolean hasSpace(CharSequence text, int from, int end) {
        for (int i = from; i < end; i++) {
            if (Character.isWhitespace(text.charAt(i))) {
                return true;
            }
        }
        return false;
    }

    private static int digitsFrom(CharSequence text, int from, int end) {
        int digits = 0;
        for (int i = from; i < end; i++) {
            if (isDigit(text.charAt(i))) {
                digits++;
            }
        }
        return digits;
    }

    /** The end of a group of digits, with the parenthesis closing it. */
    private static int afterGroup(CharSequence text, int groupEnd, int limit) {
        return groupEnd < limit && text.charAt(groupEnd) == ')' ? groupEnd + 1 : groupEnd;
    }

    private static boolean isDigit(char c) {
        return c >= '0' && c <= '9';
    }

    /** Whether {@code group} matches right at {@code at} in {@code text} (its end is then where it stops). */
    private static boolean continues(Matcher group, CharSequence text, int at) {
        group.region(at, text.length());
        return group.lookingAt();
    }

    private static int digitRuns(String text) {
        int runs = 0;
        for (int i = 0; i < text.length(); i++) {
            if (Character.isDigit(text.charAt(i)) && (i == 0 || !Character.isDigit(text.charAt(i - 1)))) {
                runs++;
            }
        }
        return runs;
    }

    static boolean isPhone(String candidate) {
        int digits = 0;
        int open = 0;
        int close = 0;
        for (int i = 0; i < candidate.length(); i++) {
            char c = candidate.charAt(i);
            if (c >= '0' && c <= '9') {
                digits++;
            } else if (c == '(') {
                open++;
            } else if (c == ')') {
                close++;
            }
        }
        if (digits < MIN_PHONE_DIGITS || digits > MAX_PHONE_DIGITS || open > 1 || open != close) {
            return false;
        }
        return !DATE.matcher(candidate.strip()).matches();
    }

    private static List<Match> orders(CharSequence text) {
        List<Match> out = new ArrayList<>();
        Matcher marked = MARKED_ORDER.matcher(text);
        Matcher group = ORDER_GROUP.matcher(text);
        while (marked.find()) {
            // Only a run cut at the bound goes on after a match: whole, it is longer than an order key may be.
            if (countDigits(marked.group(1)) > 0 && !continues(group, text, marked.end())) {
                out.add(new Match(ExactKind.ORDER, marked.start(), marked.end(), orderKey(marked.group(1))));
            }
        }
        Matcher prefixed = PREFIXED_ORDER.matcher(text);
        while (prefixed.find()) {
            int start = prefixed.start();
            int end = prefixed.end();
            boolean overlaps = out.stream().anyMatch(m -> m.start() < end && start < m.end());
            if (!overlaps && countDigits(prefixed.group()) >= MIN_ORDER_DIGITS && !continues(group, text, end)) {
                out.add(new Match(ExactKind.ORDER, start, end, orderKey(prefixed.group())));
            }
        }
        out.sort(Comparator.comparingInt(Match::start));
        return out;
    }

    private static int countDigits(String text) {
        return (int) text.codePoints().filter(Character::isDigit).count();
    }

    private static String trimPunctuation(String word) {
        int start = 0;
        int end = word.length();
        while (start < end && "([{<'\"«„".indexOf(word.charAt(start)) >= 0) {
            start++;
        }
        while (end > start && ".,;:!?)]}>'\"»“".indexOf(word.charAt(end - 1)) >= 0) {
            end--;
        }
        return word.substring(start, end);
    }
}
