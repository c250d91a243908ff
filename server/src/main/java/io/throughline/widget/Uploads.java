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
import java.util.LinkedHashSet;
import java.util.List;
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
    /** The control characters text files carry: tab, line feed, vertical tab, form feed, carriage return, escape. */
    private static final String TEXT_CONTROLS = "\t\n\u000B\f\r\u001B";

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
                + " it takes in a day; send the file another way or try again tomorrow", "daily");
    }

    /** The type to store: the declared one when allowed and the content agrees, else 415 naming what is allowed. */
    String contentType(Path file, String declared) {
        Set<String> sniffed = sniff(file);
        String type = declared == null ? "" : declared.toLowerCase(Locale.ROOT).split(";")[0].strip();
        if (type.isEmpty() || type.equals("application/octet-stream")) {
            type = sniffed.isEmpty() ? "application/octet-stream" : sniffed.iterator().next();
        }
        if (!allowed(type)) {
            throw new UnsupportedMediaType("files of type " + type + " cannot be attached here; allowed: "
                    + String.join(", ", config.uploadTypes()));
        }
        boolean checkable = type.startsWith("image/") || type.equals("application/pdf");
        if (checkable && !sniffed.contains(type)) {
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

    /**
     * The types the first bytes announce, for the formats we show or accept, the usual one first; empty when
     * unknown. SVG is never among them: it is a document that runs script, not a picture.
     */
    static Set<String> sniff(Path file) {
        byte[] head = head(file, 16);
        if (starts(head, 0x89, 'P', 'N', 'G')) {
            return Set.of("image/png");
        }
        if (starts(head, 0xFF, 0xD8, 0xFF)) {
            return Set.of("image/jpeg");
        }
        if (starts(head, 'G', 'I', 'F', '8')) {
            return Set.of("image/gif");
        }
        if (starts(head, 'R', 'I', 'F', 'F') && head.length >= 12 && ascii(head, 8).equals("WEBP")) {
            return Set.of("image/webp");
        }
        if (starts(head, '%', 'P', 'D', 'F', '-')) {
            return Set.of("application/pdf");
        }
        if (starts(head, 'B', 'M')) {
            return new LinkedHashSet<>(List.of("image/bmp", "image/x-ms-bmp"));
        }
        if (starts(head, 'I', 'I', '*', 0) || starts(head, 'M', 'M', 0, '*')) {
            return Set.of("image/tiff");
        }
        if (head.length >= 12 && ascii(head, 4).equals("ftyp")) {
            // ISO media files name their kind in a brand: HEIF's (what phones take photos in) and AVIF's.
            return switch (ascii(head, 8)) {
                case "avif", "avis" -> Set.of("image/avif");
                case "heic", "heix", "heim", "heis", "hevc", "hevx" -> new LinkedHashSet<>(List.of("image/heic",
                        "image/heif"));
                case "mif1", "msf1" -> new LinkedHashSet<>(List.of("image/heif", "image/heic", "image/avif"));
                default -> Set.of();
            };
        }
        return Set.of();
    }

    private static String ascii(byte[] bytes, int from) {
        return new String(bytes, from, 4, StandardCharsets.US_ASCII);
    }

    /**
     * Whether the file reads as text: no control characters but line breaks, tabs, form feeds and escapes, in
     * whatever single-byte or multibyte encoding (a Notepad file in windows-1251 is as much text as a UTF-8 one), or
     * UTF-16 text when it starts with a byte-order mark.
     */
    static boolean plainText(Path file) {
        byte[] head = head(file, 8192);
        if (starts(head, 0xFE, 0xFF) || starts(head, 0xFF, 0xFE)) {
            CharBuffer text = CharBuffer.allocate(head.length);
            // Not at the end of the input: a pair the read limit cut in half is not an error.
            boolean decoded = StandardCharsets.UTF_16.newDecoder().decode(ByteBuffer.wrap(head), text, false)
                    .isUnderflow();
            return decoded && text.flip().chars().noneMatch(c -> c < 0x20 && TEXT_CONTROLS.indexOf(c) < 0);
        }
        for (byte b : head) {
            if (b >= 0 && b < 0x20 && TEXT_CONTROLS.indexOf(b) < 0) {
                return false;
            }
        }
        return true;
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
