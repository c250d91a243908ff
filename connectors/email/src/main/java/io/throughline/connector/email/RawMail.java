package io.throughline.connector.email;

import jakarta.mail.util.SharedByteArrayInputStream;
import jakarta.mail.util.SharedFileInputStream;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.RandomAccessFile;
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
                return new ClosingSharedFile(file);
            }

            @Override
            public InputStream open() throws IOException {
                return Files.newInputStream(file);
            }
        };
    }

    /**
     * A shared file stream whose close closes the file for every stream made from it. Jakarta Mail's counts a reader
     * per part the parser made and closes the file when all are closed, which nobody does: the file stayed open (its
     * descriptor and, once deleted, its disk space) until the garbage collector found the parts.
     */
    final class ClosingSharedFile extends SharedFileInputStream {

        ClosingSharedFile(Path file) throws IOException {
            super(file.toFile());
        }

        @Override
        public void close() throws IOException {
            RandomAccessFile file = in;
            try {
                super.close();
            } finally {
                if (file != null) {
                    file.close();
                }
            }
        }
    }
}
