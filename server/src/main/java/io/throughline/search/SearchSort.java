package io.throughline.search;

import java.util.Locale;
import java.util.Optional;

/** The order of search results. */
public enum SearchSort {
    /** Best match first (the default when the query has words). */
    RELEVANCE,
    /** Newest first (the default for a search by filters only). */
    DATE;

    public String wireName() {
        return name().toLowerCase(Locale.ROOT);
    }

    public static Optional<SearchSort> fromWireName(String name) {
        for (SearchSort sort : values()) {
            if (sort.wireName().equals(name)) {
                return Optional.of(sort);
            }
        }
        return Optional.empty();
    }
}
