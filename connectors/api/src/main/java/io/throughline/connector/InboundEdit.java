package io.throughline.connector;

import io.vertx.core.json.JsonObject;
import java.time.Instant;
import java.util.Objects;

/**
 * A customer edited a message they sent earlier.
 *
 * @param externalId the external id of the original message
 * @param text the new text
 * @param html the new text with its formatting, or null when it has none (the server sanitizes it)
 * @param editedAt when the channel says it was edited, or null
 * @param metadata channel details to merge into the message's metadata
 */
public record InboundEdit(String externalId, String text, String html, Instant editedAt, JsonObject metadata) {

    public InboundEdit {
        Objects.requireNonNull(externalId, "externalId");
        Objects.requireNonNull(text, "text");
        metadata = metadata == null ? new JsonObject() : metadata;
    }

    public InboundEdit(String externalId, String text, Instant editedAt, JsonObject metadata) {
        this(externalId, text, null, editedAt, metadata);
    }
}
