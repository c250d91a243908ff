package io.throughline.search;

import io.throughline.failure.Invalid;
import java.nio.charset.StandardCharsets;
import java.util.Base64;

/**
 * The position after the last hit of a page, handed back by the client unchanged. It carries the sort values of
 * that hit (score or date, then message id) and a fingerprint of the search, so a cursor cannot be replayed
 * against another query. Keyset, not an offset: pages stay stable while new messages arrive. By relevance the
 * cursor also names the searcher the first page was read from ({@link Pin}): scores move with the whole index's
 * statistics, and the next pages are read from the same searcher while it is kept (ten minutes).
 */
record SearchCursor(SearchSort sort, long value, long messageId, String fingerprint, Pin pin) {

    /** The searcher a search by relevance reads its pages from: its index generation and pinned version. */
    record Pin(String generation, long version) {
    }

    String encode() {
        String plain = sort.wireName() + "|" + value + "|" + messageId + "|" + fingerprint
                + (pin == null ? "" : "|" + pin.generation() + "|" + pin.version());
        return Base64.getUrlEncoder().withoutPadding().encodeToString(plain.getBytes(StandardCharsets.UTF_8));
    }

    static SearchCursor decode(String text, String expectedFingerprint) {
        SearchCursor cursor;
        try {
            String plain = new String(Base64.getUrlDecoder().decode(text), StandardCharsets.UTF_8);
            String[] parts = plain.split("\\|", -1);
            if (parts.length != 4 && parts.length != 6) {
                throw new IllegalArgumentException("parts");
            }
            SearchSort sort = SearchSort.fromWireName(parts[0]).orElseThrow(IllegalArgumentException::new);
            cursor = new SearchCursor(sort, Long.parseLong(parts[1]), Long.parseLong(parts[2]), parts[3],
                    parts.length == 6 ? new Pin(parts[4], Long.parseLong(parts[5])) : null);
        } catch (IllegalArgumentException e) {
            throw Invalid.field("cursor", "is not a cursor returned by this API");
        }
        if (!cursor.fingerprint.equals(expectedFingerprint)) {
            throw Invalid.field("cursor", "belongs to another search; start again without a cursor when the query,"
                    + " the filters or the sort change");
        }
        return cursor;
    }

    /** The score of a relevance cursor (stored as its float bits, to resume exactly). */
    float score() {
        return Float.intBitsToFloat((int) value);
    }
}
