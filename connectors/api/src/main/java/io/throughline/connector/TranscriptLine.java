package io.throughline.connector;

import java.time.Instant;
import java.util.Objects;

/**
 * One earlier message of a conversation, carried with a reply that falls back to another channel (a chat reply the
 * visitor missed goes by email with the part of the chat they have not seen).
 *
 * @param authorName who wrote it, as the customer knows them
 * @param fromCustomer true for the customer's own messages
 * @param text its plain text
 * @param at when it was written
 */
public record TranscriptLine(String authorName, boolean fromCustomer, String text, Instant at) {

    public TranscriptLine {
        Objects.requireNonNull(text, "text");
        Objects.requireNonNull(at, "at");
    }
}
