package io.throughline.connector;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Path;

/** The content-addressed file store under {@code data/attachments}. Blocking: call it off the event loop. */
public interface AttachmentStore {

    /**
     * Streams content into the store. Identical content is stored once.
     *
     * @throws FileTooLarge when the content exceeds {@code maxBytes}; nothing is kept
     */
    StoredFile store(InputStream content, String filename, String contentType, long maxBytes) throws IOException;

    /** The path of a stored file's content, for connectors that send attachments. */
    Path path(String sha256);

    /** The content was larger than allowed. */
    final class FileTooLarge extends IOException {
        private final long limit;

        public FileTooLarge(long limit) {
            super("file exceeds " + limit + " bytes");
            this.limit = limit;
        }

        public long limit() {
            return limit;
        }
    }
}
