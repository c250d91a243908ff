package io.throughline.telegram;

import java.util.Locale;

/**
 * A file a Telegram message carries, before it is fetched.
 *
 * @param fileId what getFile takes
 * @param uniqueId stable across bots; names files that have no name of their own
 * @param size the size Telegram announced, or -1 when it did not
 * @param filename the name to show agents
 * @param contentType the MIME type
 * @param kind photo, document, voice, video, video_note, audio, animation or sticker
 */
record FileRef(String fileId, String uniqueId, long size, String filename, String contentType, String kind) {

    /** A size for people: 512 B, 20.0 KB, 25.3 MB. */
    static String humanSize(long bytes) {
        if (bytes < 1024) {
            return bytes + " B";
        }
        if (bytes < 1024 * 1024) {
            return String.format(Locale.ROOT, "%.1f KB", bytes / 1024.0);
        }
        return String.format(Locale.ROOT, "%.1f MB", bytes / (1024.0 * 1024));
    }
}
