package io.throughline.http;

import io.throughline.failure.NotFound;
import io.vertx.core.http.Cookie;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** What an endpoint answers: a status, an optional JSON body, and headers. */
public final class Reply {

    private static final Logger log = LoggerFactory.getLogger(Reply.class);

    private final int status;
    private final Object body;
    private final Map<String, String> headers = new LinkedHashMap<>();
    private final List<Cookie> cookies = new ArrayList<>();
    private Path file;
    private ByteRange range;

    private Reply(int status, Object body) {
        this.status = status;
        this.body = body;
    }

    public static Reply ok(JsonObject body) {
        return new Reply(200, body);
    }

    public static Reply ok(JsonArray body) {
        return new Reply(200, body);
    }

    public static Reply created(JsonObject body) {
        return new Reply(201, body);
    }

    public static Reply status(int status, JsonObject body) {
        return new Reply(status, body);
    }

    public static Reply noContent() {
        return new Reply(204, null);
    }

    /** A text body of the given content type (an HTML document for a sandboxed frame). */
    public static Reply text(int status, String contentType, String text) {
        Reply reply = new Reply(status, text);
        reply.headers.put("Content-Type", contentType);
        return reply;
    }

    /**
     * A stored file, streamed as the body; the caller sets Content-Type and Content-Disposition. One missing from
     * the store (a node that does not share the attachment directory, a restore without the files) is an error
     * logged here and a 404 problem, never a request left hanging.
     */
    public static Reply file(Path path) {
        if (!Files.isReadable(path)) {
            log.error("a stored file is missing from the attachment store file={}", path);
            throw new NotFound("the file is missing from the attachment store; an administrator must restore "
                    + path.getFileName());
        }
        Reply reply = new Reply(200, null);
        reply.file = path;
        // Sent as stored: most files are compressed already, and a range must count the stored bytes.
        return reply.header("Content-Encoding", "identity");
    }

    /**
     * A stored file, or the part of it a {@code Range} header asks for (206, or 416 past its end); every answer
     * says that ranges are accepted.
     */
    public static Reply file(Path path, String rangeHeader) {
        Reply whole = file(path);
        long size;
        try {
            size = Files.size(path);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read the size of " + path, e);
        }
        whole.header("Accept-Ranges", "bytes");
        try {
            Optional<ByteRange> range = ByteRange.parse(rangeHeader, size);
            if (range.isEmpty()) {
                return whole;
            }
            Reply part = new Reply(206, null);
            part.file = path;
            part.range = range.get();
            part.headers.putAll(whole.headers);
            return part.header("Content-Range", range.get().contentRange(size));
        } catch (ByteRange.Unsatisfiable e) {
            return new Reply(416, ProblemHandler.problem(416, "range-not-satisfiable", "Range not satisfiable",
                    "the file has " + size + " bytes")).header("Content-Range", "bytes */" + size)
                    .header("Accept-Ranges", "bytes").header("Content-Type", "application/problem+json");
        }
    }

    /** Whether this answer sends (part of) a file, rather than a problem about it. */
    public boolean sendsFile() {
        return file != null;
    }

    public Reply header(String name, String value) {
        headers.put(name, value);
        return this;
    }

    public Reply cookie(Cookie cookie) {
        cookies.add(cookie);
        return this;
    }

    void write(HttpServerResponse response) {
        if (response.ended() || response.closed()) {
            return;
        }
        headers.forEach(response::putHeader);
        cookies.forEach(response::addCookie);
        response.setStatusCode(status);
        if (file != null) {
            (range == null ? response.sendFile(file.toString())
                    : response.sendFile(file.toString(), range.offset(), range.length())).onFailure(e -> {
                // Gone between the check and the send, or unreadable: end the exchange rather than leave it open.
                log.error("sending a stored file failed file={}: {}", file, e.toString());
                response.reset();
            });
        } else if (body == null) {
            response.end();
        } else if (body instanceof String text) {
            response.end(text);
        } else {
            if (!headers.containsKey("Content-Type")) {
                response.putHeader("Content-Type", "application/json; charset=utf-8");
            }
            response.end(body instanceof JsonObject json ? json.toBuffer() : ((JsonArray) body).toBuffer());
        }
    }
}
