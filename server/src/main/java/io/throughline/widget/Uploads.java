package io.throughline.widget;

import io.throughline.config.ThroughlineConfig;
import io.throughline.connector.AttachmentStore;
import io.throughline.connector.StoredFile;
import io.throughline.failure.Forbidden;
import io.throughline.failure.PayloadTooLarge;
import io.throughline.failure.UnsupportedMediaType;
import io.throughline.store.Database;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.Arrays;
import java.util.Locale;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Files a visitor attaches ({@code POST /widget/v1/uploads}): size and type limits from the config, a check of the
 * content against the declared type (an "image" that is really HTML is refused), the content-addressed store, and
 * a row tying the upload to its visitor until a message carries it.
 */
final class Uploads {

    private static final Logger log = LoggerFactory.getLogger(Uploads.class);
    /** Images a browser shows inline; SVG is not among them, as it can carry script. */
    static final Set<String> INLINE_IMAGES = Set.of("image/png", "image/jpeg", "image/gif", "image/webp");

    /**
     * Files of the largest size one visitor may upload in a day (the rows are kept a day): the rate limits bound
     * how often a visitor uploads, this bounds the bytes one visitor can make the server store (new visitors are
     * bounded by the sessions an address may start).
     */
    static final int DAILY_UPLOADS = 10;

    private final Database database;
    private final VisitorRepository visitors;
    private final AttachmentStore store;
    private final ThroughlineConfig.Widget config;
    private final RateLimiter perVisitor;

    Uploads(Database database, VisitorRepository visitors, AttachmentStore store, ThroughlineConfig.Widget config,
            Clock clock) {
        this.database = database;
        this.visitors = visitors;
        this.store = store;
        this.config = config;
        this.perVisitor = new RateLimiter(clock, config.messagesPerVisitor(), config.rateWindow());
    }

    JsonObject upload(Viewer viewer, Path file, String filename, String declaredType) {
        if (!viewer.site().settings().attachments()) {
            throw new Forbidden("this chat does not accept attachments");
        }
        perVisitor.acquire(viewer.publicId(), "you are uploading too fast; wait a moment");
        boolean blocked = visitors.thread(database.sql(), viewer.visitor()).map(VisitorRepository.Thread::blocked)
                .orElse(false);
        if (blocked) {
            throw new Forbidden("this conversation is closed");
        }
        long size = size(file);
        if (size > config.maxUploadSize()) {
            throw new PayloadTooLarge("the file is larger than " + config.maxUploadSize() + " bytes");
        }
        long budget = DAILY_UPLOADS * config.maxUploadSize();
        if (visitors.uploadedToday(database.sql(), viewer.visitor()) + size > budget) {
            // Checked before the file is stored, and again as it is recorded (two uploads at once).
            throw overBudget(viewer, budget);
        }
        String type = contentType(file, declaredType);
        StoredFile stored;
        try (InputStream in = Files.newInputStream(file)) {
            stored = store.store(in, filename, type, config.maxUploadSize());
        } catch (AttachmentStore.FileTooLarge e) {
            throw new PayloadTooLarge("the file is larger than " + config.maxUploadSize() + " bytes");
        } catch (IOException e) {
            throw new UncheckedIOException("cannot store the upload", e);
        }
        VisitorRepository.Upload upload = visitors.insertUpload(database.sql(), viewer.visitor(), stored.sha256(),
                stored.size(), stored.filename(), stored.contentType(), budget)
                .orElseThrow(() -> overBudget(viewer, budget));
        log.info("widget upload stored inbox={} visitor={} upload={} size={}", viewer.site().inbox().id(),
                viewer.visitor().id(), upload.id(), upload.size());
        return new JsonObject().put("id", upload.id()).put("filename", upload.filename())
                .put("contentType", upload.contentType()).put("size", upload.size())
                .put("image", INLINE_IMAGES.contains(upload.contentType()));
    }

    private static PayloadTooLarge overBudget(Viewer viewer, long budget) {
        log.info("widget upload over the visitor's daily budget inbox={} visitor={} budget={}",
                viewer.site().inbox().id(), viewer.visitor().id(), budget);
        return new PayloadTooLarge("this chat has received " + budget + " bytes of files from you today, the most"
                + " it takes in a day; send the file another way or try again tomorrow");
    }

    /** The type to store: the declared one when allowed and the content agrees, else 415 naming what is allowed. */
    String contentType(Path file, String declared) {
        String sniffed = sniff(file);
        String type = declared == null ? "" : declared.toLowerCase(Locale.ROOT).split(";")[0].strip();
        if (type.isEmpty() || type.equals("application/octet-stream")) {
            type = sniffed == null ? "application/octet-stream" : sniffed;
        }
        if (!allowed(type)) {
            throw new UnsupportedMediaType("files of type " + type + " cannot be attached here; allowed: "
                    + String.join(", ", config.uploadTypes()));
        }
        boolean checkable = type.startsWith("image/") || type.equals("application/pdf");
        if (checkable && !type.equals(sniffed)) {
            throw new UnsupportedMediaType("the file's content is not " + type);
        }
        if (type.equals("text/plain") && !plainText(file)) {
            throw new UnsupportedMediaType("the file's content is not text/plain");
        }
        return type;
    }

    private boolean allowed(String type) {
        for (String pattern : config.uploadTypes()) {
            if (pattern.equals(type) || (pattern.endsWith("/*")
                    && type.startsWith(pattern.substring(0, pattern.length() - 1)))) {
                return true;
            }
        }
        return false;
    }

    /** The type the first bytes announce, for the formats we show or accept; null when unknown. */
    static String sniff(Path file) {
        byte[] head = head(file, 16);
        if (starts(head, 0x89, 'P', 'N', 'G')) {
            return "image/png";
        }
        if (starts(head, 0xFF, 0xD8, 0xFF)) {
            return "image/jpeg";
        }
        if (starts(head, 'G', 'I', 'F', '8')) {
            return "image/gif";
        }
        if (starts(head, 'R', 'I', 'F', 'F') && head.length >= 12
                && new String(head, 8, 4, StandardCharsets.US_ASCII).equals("WEBP")) {
            return "image/webp";
        }
        if (starts(head, '%', 'P', 'D', 'F', '-')) {
            return "application/pdf";
        }
        return null;
    }

    private static boolean plainText(Path file) {
        byte[] head = head(file, 8192);
        for (byte b : head) {
            if (b == 0) {
                return false;
            }
        }
        byte[] checked = head.length == 8192 ? trimPartial(head) : head;
        return StandardCharsets.UTF_8.newDecoder().decode(ByteBuffer.wrap(checked),
                CharBuffer.allocate(checked.length), true).isUnderflow();
    }

    /** Drops a UTF-8 sequence cut in half by the read limit, so a valid file is not refused for it. */
    private static byte[] trimPartial(byte[] bytes) {
        int end = bytes.length;
        for (int i = 1; i <= 3 && end - i >= 0; i++) {
            int b = bytes[end - i] & 0xFF;
            if ((b & 0xC0) == 0xC0) {
                return Arrays.copyOf(bytes, end - i);
            }
            if ((b & 0x80) == 0) {
                break;
            }
        }
        return bytes;
    }

    private static long size(Path file) {
        try {
            return Files.size(file);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read the upload", e);
        }
    }

    private static byte[] head(Path file, int max) {
        try (InputStream in = Files.newInputStream(file)) {
            return in.readNBytes(max);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read the upload", e);
        }
    }

    private static boolean starts(byte[] bytes, int... prefix) {
        if (bytes.length < prefix.length) {
            return false;
        }
        for (int i = 0; i < prefix.length; i++) {
            if ((bytes[i] & 0xFF) != prefix[i]) {
                return false;
            }
        }
        return true;
    }

    void sweep() {
        perVisitor.sweep();
    }
}
