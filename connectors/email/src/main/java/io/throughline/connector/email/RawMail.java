package io.throughline.connector.email;

import jakarta.mail.util.SharedByteArrayInputStream;
import jakarta.mail.util.SharedFileInputStream;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * One raw mail, byte for byte as the server or the sender gave it: small ones in memory (fetched in batches over
 * IMAP), large ones spooled to a file. Parsed from a shared stream, so attachments are read in place, not copied.
 */
interface RawMail {

    /** A shared stream for Jakarta Mail's parser; closing it releases the mail. */
    InputStream shared() throws IOException;

    /** A fresh stream over all the bytes (for the original .eml and its hash). */
    InputStream open() throws IOException;

    static RawMail of(byte[] bytes) {
        return new RawMail() {
            @Override
            public InputStream shared() {
                return new SharedByteArrayInputStream(bytes);
            }

            @Override
            public InputStream open() {
                return new ByteArrayInputStream(bytes);
            }
        };
    }

    static RawMail of(Path file) {
        return new RawMail() {
            @Override
            public InputStream shared() throws IOException {
                return new SharedFileInputStream(file.toFile());
            }

            @Override
            public InputStream open() throws IOException {
                return Files.newInputStream(file);
            }
        };
    }
}
