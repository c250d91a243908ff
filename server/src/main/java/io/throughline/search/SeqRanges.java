package io.throughline.search;

import java.util.Collection;
import java.util.SortedSet;
import java.util.TreeSet;

/**
 * A set of event seqs as compact text for the commit user data ({@code 12-15,20}): the seqs the event feed passed
 * while their transaction still ran, which are usually a few runs of consecutive numbers.
 */
final class SeqRanges {

    private SeqRanges() {
    }

    static String format(Collection<Long> seqs) {
        StringBuilder out = new StringBuilder();
        Long start = null;
        long previous = 0;
        for (long seq : new TreeSet<>(seqs)) {
            if (start != null && seq == previous + 1) {
                previous = seq;
                continue;
            }
            if (start != null) {
                append(out, start, previous);
            }
            start = seq;
            previous = seq;
        }
        if (start != null) {
            append(out, start, previous);
        }
        return out.toString();
    }

    private static void append(StringBuilder out, long from, long to) {
        if (!out.isEmpty()) {
            out.append(',');
        }
        out.append(from);
        if (to != from) {
            out.append('-').append(to);
        }
    }

    /**
     * The seqs of {@link #format}'s text; at most {@code limit} of them (the lowest).
     *
     * @throws IllegalArgumentException when the text is not such a list
     */
    static SortedSet<Long> parse(String text, int limit) {
        SortedSet<Long> seqs = new TreeSet<>();
        if (text == null || text.isBlank()) {
            return seqs;
        }
        for (String part : text.split(",")) {
            int dash = part.indexOf('-');
            long from = Long.parseLong(dash < 0 ? part : part.substring(0, dash));
            long to = dash < 0 ? from : Long.parseLong(part.substring(dash + 1));
            if (from <= 0 || to < from) {
                throw new IllegalArgumentException("not a seq range: " + part);
            }
            for (long seq = from; seq <= to && seqs.size() < limit; seq++) {
                seqs.add(seq);
            }
        }
        return seqs;
    }
}
