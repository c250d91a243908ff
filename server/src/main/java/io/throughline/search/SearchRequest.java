package io.throughline.search;

import java.util.List;
import java.util.Map;

/**
 * {@code GET /api/v1/search} as received: the query text, the filter parameters (each written as in the query
 * syntax), the sort (null: relevance when there are words, else date), the cursor and the page size.
 */
public record SearchRequest(String q, Map<String, String> filters, SearchSort sort, String cursor, int limit) {

    /** The filter parameters the endpoint accepts, by name. */
    public static final List<String> FILTER_PARAMETERS = List.of("channel", "status", "assignee", "from", "to",
            "contact");
}
