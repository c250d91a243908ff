package io.throughline.http;

import io.throughline.attachment.Attachment;
import io.throughline.attachment.AttachmentService;
import io.throughline.failure.Invalid;
import io.throughline.failure.Unauthorized;
import io.vertx.ext.web.FileUpload;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.handler.BodyHandler;
import java.net.URLEncoder;
import java.nio.charset.Charset;
import java.nio.charset.IllegalCharsetNameException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** {@code /api/v1/attachments}: agents upload files to attach, and download any file of their workspace. */
final class AttachmentRoutes {

    /** Types a browser may render inline; everything else downloads, so an HTML "attachment" never runs as a page. */
    /** Kept by the browser, but asked again (a 304 when unchanged) on every use: see {@link #fileReply}. */
    private static final String CACHE_CONTROL = "private, no-cache";
    private static final Set<String> INLINE = Set.of("image/png", "image/jpeg", "image/gif", "image/webp",
            "application/pdf", "text/plain", "audio/ogg", "audio/mpeg", "video/mp4");

    private final AttachmentService attachments;

    AttachmentRoutes(AttachmentService attachments) {
        this.attachments = attachments;
    }

    void mount(Router router, Endpoints endpoints, Path uploadDir) {
        BodyHandler uploads = BodyHandler.create(uploadDir.toString()).setBodyLimit(attachments.maxBytes() + 64_000)
                .setDeleteUploadedFilesOnEnd(true).setHandleFileUploads(true);
        router.post("/api/v1/attachments").handler(UploadGuard.requiring(r -> Authenticator.token(r).isPresent(),
                "log in first, then upload with the session cookie or Authorization: Bearer <token>"));
        router.post("/api/v1/attachments").handler(UploadGuard.checkedBeforeBody(endpoints, request -> {
            if (endpoints.authenticator().find(request).isEmpty()) {
                throw new Unauthorized("your session has ended or the token is unknown: log in again");
            }
        }));
        router.post("/api/v1/attachments").handler(uploads).handler(endpoints.agent(call -> {
            List<FileUpload> files = call.rc().fileUploads();
            if (files.size() != 1) {
                throw Invalid.field("file", "send exactly one file as multipart/form-data field 'file'");
            }
            FileUpload file = files.getFirst();
            Attachment stored = attachments.upload(call.caller().workspaceId(), call.caller().agentId(),
                    Path.of(file.uploadedFileName()), file.fileName(), file.contentType());
            return Reply.created(stored.toJson());
        }));
        router.get("/api/v1/attachments/:id").handler(endpoints.agent(call -> {
            AttachmentService.Download download = attachments.download(call.caller().workspaceId(),
                    call.caller().agentId(), call.pathId("id"));
            return fileReply(download, call.header("Range"), call.header("If-None-Match"));
        }));
    }

    private static final Pattern CHARSET = Pattern.compile(";\\s*charset=\"?([A-Za-z0-9._:+-]{1,40})\"?",
            Pattern.CASE_INSENSITIVE);

    /**
     * The file, or the byte range of it that {@code range} (a Range header) asks for; 304 when {@code ifNoneMatch}
     * names its ETag (the content's SHA-256: an attachment's bytes never change). The browser keeps a copy but
     * asks again on every use ({@code no-cache}), so after a sign-out the next person at the browser gets a 401,
     * not the customer's file from the cache.
     */
    static Reply fileReply(AttachmentService.Download download, String range, String ifNoneMatch) {
        Attachment attachment = download.attachment();
        String etag = "\"" + attachment.sha256() + "\"";
        if (ifNoneMatch != null && matches(ifNoneMatch, etag)) {
            return Reply.status(304, null).header("ETag", etag).header("Cache-Control", CACHE_CONTROL);
        }
        String type = attachment.contentType().toLowerCase(Locale.ROOT).split(";")[0].strip();
        boolean inline = INLINE.contains(type);
        String encoded = URLEncoder.encode(attachment.filename(), StandardCharsets.UTF_8).replace("+", "%20");
        Reply reply = Reply.file(download.path(), range);
        if (!reply.sendsFile()) {
            return reply;
        }
        return reply
                .header("Content-Type", inline ? type + charset(type, attachment.contentType())
                        : "application/octet-stream")
                .header("Content-Disposition", (inline ? "inline" : "attachment") + "; filename*=UTF-8''" + encoded)
                .header("X-Content-Type-Options", "nosniff")
                .header("Content-Security-Policy", "default-src 'none'; sandbox")
                .header("ETag", etag)
                .header("Cache-Control", CACHE_CONTROL);
    }

    /**
     * "; charset=..." for a text file stored with a charset Java knows (a Cyrillic .txt in windows-1251 or KOI8-R),
     * else nothing: without it the browser guesses, and shows such a file as mojibake.
     */
    private static String charset(String type, String stored) {
        Matcher given = CHARSET.matcher(stored);
        if (!type.startsWith("text/") || !given.find()) {
            return "";
        }
        try {
            return Charset.isSupported(given.group(1)) ? "; charset=" + given.group(1) : "";
        } catch (IllegalCharsetNameException e) {
            return "";
        }
    }

    /** Whether an If-None-Match list (RFC 9110: ETags, weak or not, or *) names this ETag. */
    private static boolean matches(String ifNoneMatch, String etag) {
        for (String candidate : ifNoneMatch.split(",")) {
            String tag = candidate.strip();
            if (tag.equals("*") || tag.equals(etag) || tag.equals("W/" + etag)) {
                return true;
            }
        }
        return false;
    }
}
