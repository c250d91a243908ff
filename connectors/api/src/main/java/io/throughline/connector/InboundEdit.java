package io.throughline.connector;

import io.vertx.core.json.JsonObject;
import java.time.Instant;
import java.util.List;
import java.util.Objects;

/**
 * A customer edited a message they sent earlier.
 *
 * @param externalId the external id of the original message
 * @param text the new text
 * @param html the new text with its formatting, or null when it has none (the server sanitizes it)
 * @param editedAt when the channel says it was edited, or null
 * @param metadata channel details to merge into the message's metadata
 * @param attachments the message's files as they are after the edit (a replaced photo), already in the
 *     {@link AttachmentStore}; null when the channel does not say, and the files stay as they are
 */
public record InboundEdit(String externalId, String text, String html, Instant editedAt, JsonObject metadata,
                          List<InboundAttachment> attachments) {

    public InboundEdit {
        Objects.requireNonNull(externalId, "externalId");
        Objects.requireNonNull(text, "text");
        metadata = metadata == null ? new JsonObject() : metadata;
        attachments = attachments == null ? null : List.copyOf(attachments);
    }

    public InboundEdit(String externalId, String text, String html, Instant editedAt, JsonObject metadata) {
        this(externalId, text, html, editedAt, metadata, null);
    }

    public InboundEdit(String externalId, String text, Instant editedAt, JsonObject metadata) {
        this(externalId, text, null, editedAt, metadata, null);
    }
}
