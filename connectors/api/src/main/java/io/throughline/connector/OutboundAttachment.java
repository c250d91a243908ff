package io.throughline.connector;

import java.nio.file.Path;

/**
 * A file to send with a reply.
 *
 * @param id the attachment's id in Throughline (an integration fetches it with its inbox token)
 * @param filename the name to show the customer
 * @param contentType the MIME type
 * @param size the size in bytes
 * @param content where the bytes are
 */
public record OutboundAttachment(long id, String filename, String contentType, long size, Path content) {
}
