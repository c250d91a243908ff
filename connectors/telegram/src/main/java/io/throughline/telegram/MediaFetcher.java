package io.throughline.telegram;

import io.throughline.connector.AttachmentStore;
import io.throughline.connector.InboundAttachment;
import io.throughline.connector.StorageUnavailable;
import io.throughline.connector.StoredFile;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.telegram.telegrambots.meta.api.objects.File;

/**
 * Fetches a message's files into the attachment store: getFile, then a download from the configured Bot API
 * server. A file over the limit, or one Telegram no longer serves, becomes a note in the message ("file too
 * large", with its name and size) instead of blocking the message; a passing fault (the network, Telegram's own
 * trouble) is thrown so the whole update is tried again.
 */
final class MediaFetcher {

    private static final Logger log = LoggerFactory.getLogger(MediaFetcher.class);

    private final BotApi api;
    private final AttachmentStore store;
    private final long maxBytes;
    private final long inboxId;

    MediaFetcher(BotApi api, AttachmentStore store, long maxBytes, long inboxId) {
        this.api = api;
        this.store = store;
        this.maxBytes = maxBytes;
        this.inboxId = inboxId;
    }

    /**
     * The stored files, and a note for each that could not be stored.
     *
     * @param attachments the files now in the attachment store
     * @param notes lines for the message body, one per file left out
     * @param gaveUp whether a file was left out for a passing failure (patience ran out)
     */
    record Fetched(List<InboundAttachment> attachments, List<String> notes, boolean gaveUp) {
    }

    /**
     * Thrown, while the update has tries left, for a file Telegram says it cannot serve for now ("wrong file_id
     * or the file is temporarily unavailable", its answer to passing trouble too): the update is tried again, and
     * its last try keeps the message with a note for the file.
     */
    static final class FileNotReady extends RuntimeException {
        FileNotReady(FileRef ref, String description) {
            super("telegram cannot serve the " + ref.kind() + " now: " + description);
        }
    }

    /**
     * @param patient whether a file Telegram cannot serve for now fails the update ({@link FileNotReady}); once
     *                not, the message is kept with a note for the file
     * @param waitForPassing whether a passing fault fails the update (thrown), rather than leaving the file out
     */
    Fetched fetch(List<FileRef> files, boolean patient, boolean waitForPassing) throws BotApiException {
        List<InboundAttachment> attachments = new ArrayList<>();
        List<String> notes = new ArrayList<>();
        boolean gaveUp = false;
        for (FileRef ref : files) {
            if (ref.size() > maxBytes) {
                notes.add(tooLarge(ref, ref.size()));
                continue;
            }
            File file;
            try {
                file = api.getFile(ref.fileId());
            } catch (BotApiException e) {
                if (e.transientFailure()) {
                    if (waitForPassing) {
                        throw e;
                    }
                    notes.add(unavailable(ref, "Telegram kept failing to serve it: " + reason(e)));
                    gaveUp = true;
                    continue;
                }
                String description = e.description() == null ? "" : e.description().toLowerCase(Locale.ROOT);
                if (patient && description.contains("temporarily unavailable")) {
                    throw new FileNotReady(ref, e.description());
                }
                notes.add(description.contains("too big")
                        ? tooLarge(ref, ref.size()) : unavailable(ref, e.description()));
                continue;
            }
            long announced = file.getFileSize() == null ? ref.size() : file.getFileSize();
            if (announced > maxBytes) {
                notes.add(tooLarge(ref, announced));
                continue;
            }
            if (file.getFilePath() == null) {
                notes.add(unavailable(ref, "Telegram gave no download path"));
                continue;
            }
            try {
                storeOne(ref, file.getFilePath()).ifPresentOrElse(attachments::add,
                        () -> notes.add(tooLarge(ref, -1)));
            } catch (BotApiException e) {
                if (e.transientFailure() && waitForPassing) {
                    throw e;
                }
                gaveUp |= e.transientFailure();
                notes.add(unavailable(ref, e.transientFailure()
                        ? "its download kept failing: " + reason(e) : e.description()));
            }
        }
        return new Fetched(attachments, notes, gaveUp);
    }

    /** The stored file, or empty when its content turned out larger than the limit (nothing is kept then). */
    private Optional<InboundAttachment> storeOne(FileRef ref, String path) throws BotApiException {
        try (Download content = new Download(api.download(path))) {
            try {
                StoredFile stored = store.store(content, ref.filename(), ref.contentType(), maxBytes);
                log.debug("telegram file stored inbox={} kind={} size={}", inboxId, ref.kind(), stored.size());
                return Optional.of(new InboundAttachment(stored, null, "sticker".equals(ref.kind())));
            } catch (AttachmentStore.FileTooLarge e) {
                return Optional.empty();
            } catch (IOException e) {
                if (!content.broke) {
                    // The disk refused, not Telegram: the update waits for it however long it takes, and no
                    // patience for Telegram's trouble runs out over it (that would leave the file out).
                    throw new StorageUnavailable("cannot store a Telegram file: " + e.getMessage(), e);
                }
                throw e;
            }
        } catch (AttachmentStore.FileTooLarge e) {
            return Optional.empty();
        } catch (IOException e) {
            // The download broke off: nothing was kept, so the update is tried again.
            throw BotApiException.unreachable("file download", e).withoutSecret(api.token());
        }
    }

    /** A download's stream, noting whether reading it failed (rather than storing what it gave). */
    private static final class Download extends FilterInputStream {
        private boolean broke;

        Download(InputStream in) {
            super(in);
        }

        @Override
        public int read() throws IOException {
            try {
                return super.read();
            } catch (IOException e) {
                broke = true;
                throw e;
            }
        }

        @Override
        public int read(byte[] buffer, int offset, int length) throws IOException {
            try {
                return super.read(buffer, offset, length);
            } catch (IOException e) {
                broke = true;
                throw e;
            }
        }
    }

    private static String reason(BotApiException e) {
        return e.description() != null ? e.description() : String.valueOf(e.getMessage());
    }

    private String tooLarge(FileRef ref, long size) {
        String given = size > 0 ? ", " + FileRef.humanSize(size) : "";
        log.info("telegram file over the limit inbox={} kind={} size={} limit={}", inboxId, ref.kind(), size,
                maxBytes);
        return "[File too large: \"" + ref.filename() + "\"" + given + "; bots can fetch files up to "
                + FileRef.humanSize(maxBytes) + ". Ask the customer to send it another way.]";
    }

    private String unavailable(FileRef ref, String why) {
        log.info("telegram file unavailable inbox={} kind={} reason={}", inboxId, ref.kind(), why);
        return "[File not available: \"" + ref.filename() + "\" (" + why + ")]";
    }
}
