package io.throughline.http;

import io.throughline.failure.Invalid;
import io.throughline.failure.Unauthorized;
import io.vertx.core.Context;
import io.vertx.core.Handler;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.ext.web.FileUpload;
import io.vertx.ext.web.RoutingContext;
import java.util.Locale;
import java.util.function.Consumer;
import java.util.function.Predicate;

/**
 * Runs before an upload route's body handler (a route of its own: Vert.x wants body handlers first). A request
 * without any credentials is refused before a byte of its body is written to disk; the full check of those
 * credentials still happens after the body, in the endpoint. Whatever the body handler wrote is deleted when the
 * exchange ends however it ends: the body handler alone deletes only after a response was written, so an upload
 * whose client hung up mid-way, or before the answer, left its file behind.
 */
public final class UploadGuard {

    private UploadGuard() {
    }

    /** A guard that asks only for credentials to be present ({@code missing} says which, in the 401). */
    public static Handler<RoutingContext> requiring(Predicate<HttpServerRequest> credentials, String missing) {
        return rc -> {
            if (!credentials.test(rc.request())) {
                rc.fail(new Unauthorized(missing));
                return;
            }
            rc.addEndHandler(done -> {
                for (FileUpload upload : rc.fileUploads()) {
                    // Already gone when the body handler deleted it first: nothing to do.
                    rc.vertx().fileSystem().delete(upload.uploadedFileName());
                }
            });
            rc.next();
        };
    }

    /**
     * Checks the credentials ({@code check} throws when they fail) and the form of an upload before its body is
     * read: a request with any token-shaped header used to get its whole body through, into memory (a body that is
     * not multipart is buffered whole) or onto the disk the database shares, the 401 coming only after it all
     * arrived. The request is held meanwhile; the body handler resumes it.
     */
    public static Handler<RoutingContext> checkedBeforeBody(Endpoints endpoints, Consumer<HttpServerRequest> check) {
        return rc -> {
            String type = rc.request().getHeader("Content-Type");
            if (type == null || !type.toLowerCase(Locale.ROOT).startsWith("multipart/form-data")) {
                refuse(rc, Invalid.field("file", "send exactly one file as multipart/form-data field 'file'"));
                return;
            }
            Context context = Vertx.currentContext();
            rc.request().pause();
            endpoints.blocking(rc, () -> {
                Throwable refused = null;
                try {
                    check.accept(rc.request());
                } catch (RuntimeException | Error e) {
                    refused = e;
                }
                Throwable failure = refused;
                context.runOnContext(v -> {
                    if (failure == null) {
                        rc.next();
                    } else {
                        refuse(rc, failure);
                    }
                });
            });
        };
    }

    /**
     * Answers a refused upload and closes its connection after the answer: its body was never read, and the
     * connection cannot carry another request before it is (nor should it wait for the idle timeout).
     */
    private static void refuse(RoutingContext rc, Throwable failure) {
        rc.response().putHeader("Connection", "close");
        rc.fail(failure);
    }

    /** Whether a request carries a bearer token. */
    public static boolean hasBearer(HttpServerRequest request) {
        return BearerToken.of(request.getHeader("Authorization")).isPresent();
    }
}
