package io.throughline.connector.email;

import jakarta.mail.MessagingException;
import java.io.IOException;
import java.io.InputStream;

/**
 * A file a mail carries, not yet stored: its content is read from the parsed message when it is stored.
 *
 * @param filename the decoded file name (never null: one is made up from the type when the mail has none)
 * @param contentType the MIME type, lowercased, without parameters but a text file's charset
 * @param contentId the Content-ID without angle brackets, or null
 * @param inline true when the part is meant to be shown in the body (a {@code cid:} image)
 * @param content opens the decoded bytes
 */
record MailAttachment(String filename, String contentType, String contentId, boolean inline, Content content) {

    /** Where an attachment's bytes come from. */
    @FunctionalInterface
    interface Content {
        InputStream open() throws IOException, MessagingException;
    }
}
