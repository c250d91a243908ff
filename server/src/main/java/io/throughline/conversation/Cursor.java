package io.throughline.conversation;

import io.throughline.failure.Invalid;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.Base64;

/**
 * An opaque keyset position in a list ordered by (time, id) descending. Clients pass it back unchanged; it is not
 * an offset, so pages stay stable while new rows arrive.
 */
public record Cursor(Instant at, long id) {

    public String encode() {
        return Base64.getUrlEncoder().withoutPadding()
                .encodeToString((at.toString() + "|" + id).getBytes(StandardCharsets.UTF_8));
    }

    /** The times a cursor can hold: those PostgreSQL stores (a forged one past them would fail the query). */
    private static final Instant EARLIEST = Instant.parse("0001-01-01T00:00:00Z");
    private static final Instant LATEST = Instant.parse("9999-12-31T23:59:59Z");

    public static Cursor decode(String text) {
        Cursor cursor;
        try {
            String plain = new String(Base64.getUrlDecoder().decode(text), StandardCharsets.UTF_8);
            int bar = plain.indexOf('|');
            cursor = new Cursor(Instant.parse(plain.substring(0, bar)), Long.parseLong(plain.substring(bar + 1)));
        } catch (IllegalArgumentException | DateTimeParseException | StringIndexOutOfBoundsException e) {
            throw Invalid.field("cursor", "is not a cursor returned by this API");
        }
        if (cursor.at().isBefore(EARLIEST) || cursor.at().isAfter(LATEST)) {
            throw Invalid.field("cursor", "is not a cursor returned by this API");
        }
        return cursor;
    }
}
