package io.throughline.connector;

import java.util.Objects;

/**
 * A file that came with an inbound message, already in the {@link AttachmentStore}.
 *
 * @param file the stored file
 * @param contentId the MIME Content-ID of an inline part ({@code cid:} references), or null
 * @param inline true when the part is meant to be shown inside the body
 */
public record InboundAttachment(StoredFile file, String contentId, boolean inline) {

    public InboundAttachment {
        Objects.requireNonNull(file, "file");
    }

    public static InboundAttachment of(StoredFile file) {
        return new InboundAttachment(file, null, false);
    }
}
